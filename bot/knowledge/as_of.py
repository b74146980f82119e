"""The content as it was at an earlier commit, for scoring questions against it.

Phrasings written after a question set was collected make that set's figures climb whether or not
the matcher got better: they were written for those very questions. Scoring the set with today's
code and today's matcher settings (``knowledge/matcher.yaml``: weights and thresholds) against the
entries, synonyms and word lists of the commit that added the set (``kb eval --as-of REV``)
measures what a change of code or settings does to questions the knowledge base had not seen,
which is what a new asker meets.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.paths import PROJECT_ROOT

#: the content folders (see ``bot.paths``); only these are taken from the commit
CONTENT_FOLDERS = ("knowledge", "dialogs", "rules")
#: the matcher's settings, taken from the work tree instead: they are what is being measured
SETTINGS_NOW = ("knowledge/matcher.yaml", "knowledge/en/matcher.yaml")
#: a revision is a commit name, a branch or tag, or one of those with ~N / ^N
_REVISION_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./~^@{}")
_MAX_REVISION = 100


class RevisionError(Exception):
    """The revision is malformed, unknown to the repository, or git cannot be run."""


def _checked(revision: str) -> str:
    # git would read "--output=…" as an option; a name made of ref characters cannot be one
    if not revision or len(revision) > _MAX_REVISION or revision.startswith("-") or not set(revision) <= _REVISION_CHARS:
        raise RevisionError(f"not a revision name: {revision[:40]!r}")
    return revision


def _git(repository: Path, revision: str, *args: str) -> bytes:
    command = ["git", "-C", str(repository), *args]
    try:
        done = subprocess.run(command, capture_output=True, timeout=120, check=False)  # noqa: S603 - fixed argv, checked revision
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RevisionError(f"git could not be run: {type(exc).__name__}") from exc
    if done.returncode != 0:
        first = done.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
        raise RevisionError(f"git cannot read {revision!r}: {first[0] if first else 'unknown revision'}")
    return done.stdout


def _archive(revision: str, repository: Path) -> bytes:
    commit = f"{revision}^{{commit}}"
    # an early commit may lack a folder, and git archive refuses a path it does not hold
    top = set(_git(repository, revision, "ls-tree", "--name-only", commit).decode("utf-8", "replace").splitlines())
    folders = [f for f in CONTENT_FOLDERS if f in top]
    if "knowledge" not in folders:
        raise RevisionError(f"{revision!r} holds no knowledge/ folder")
    return _git(repository, revision, "archive", "--format=tar", commit, "--", *folders)


def _extract(archive: bytes, into: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        members = [m for m in tar.getmembers() if m.isfile() or m.isdir()]
        tar.extractall(into, members=members, filter="data")


def _keep_settings(root: Path, repository: Path) -> None:
    for name in SETTINGS_NOW:
        now = repository / name
        if now.is_file() and (root / name).parent.is_dir():
            (root / name).write_bytes(now.read_bytes())


@contextmanager
def content_as_of(revision: str, repository: Path = PROJECT_ROOT) -> Iterator[Path]:
    """A temporary folder holding the content folders of ``revision`` with the work tree's matcher
    settings, set as the content root (``CONTENT_DIR``) while the block runs; both are undone
    afterwards."""
    archive = _archive(_checked(revision), repository)
    before = os.environ.get("CONTENT_DIR")
    with tempfile.TemporaryDirectory(prefix="content-as-of-") as folder:
        root = Path(folder)
        _extract(archive, root)
        _keep_settings(root, repository)
        os.environ["CONTENT_DIR"] = str(root)
        try:
            yield root
        finally:
            if before is None:
                os.environ.pop("CONTENT_DIR", None)
            else:
                os.environ["CONTENT_DIR"] = before
