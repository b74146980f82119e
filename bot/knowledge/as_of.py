"""The content as it was at an earlier commit, for scoring questions against it.

Phrasings written after a question set was collected make that set's figures climb whether or not
the matcher got better: they were written for those very questions. Scoring the set with today's
code and today's matcher settings (``knowledge/matcher.yaml``: weights and thresholds) against the
entries, synonyms and word lists of the commit that added the set (``kb eval --as-of REV``)
measures what a change of code or settings does to questions the knowledge base had not seen,
which is what a new asker meets.

A change that reads a new *declaration* (an entry's levels or subject, the words that mark a held
level or name a subject) has nothing to read in an old commit, so plain ``--as-of`` cannot show it.
``declarations_now`` lays today's declarations over the old content: for every entry of the commit
that still exists (or was merged into one that does), its declared fields become today's, and the
files and word lists that give those declarations meaning are today's too. Phrasings, answers and
synonyms stay the commit's: they are what was written for the questions, the declarations are how
the matcher is told what an entry is about.
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

import yaml

from bot.paths import PROJECT_ROOT

#: the content folders (see ``bot.paths``); only these are taken from the commit
CONTENT_FOLDERS = ("knowledge", "dialogs", "rules")
#: the matcher's settings, taken from the work tree instead: they are what is being measured
SETTINGS_NOW = ("knowledge/matcher.yaml", "knowledge/en/matcher.yaml")
#: an entry's fields that declare what it is about rather than say it (see ``declarations_now``)
DECLARED_FIELDS = ("levels", "subject", "about_levels", "about_qualifications", "asks")
#: the fields older content used for what ``DECLARED_FIELDS`` now say
_FORMER_FIELDS = ("about_skills",)
#: files taken whole from the work tree with ``declarations_now``: the levels (their names and the
#: words that mark one as held) and the ask types the declared ``asks`` name
DECLARATION_FILES = ("knowledge/levels.yaml", "knowledge/asks.yaml")
#: top-level keys of word-list files taken from the work tree with ``declarations_now``
DECLARATION_KEYS = {"knowledge/synonyms.yaml": ("subjects",), "knowledge/en/synonyms.yaml": ("held", "levels")}
#: keys older content used for what ``DECLARATION_KEYS`` now say
_FORMER_KEYS = {"knowledge/synonyms.yaml": ("skill_words",)}
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


def _take_from_work_tree(root: Path, repository: Path, names: tuple[str, ...]) -> None:
    """Replace the files ``names`` under ``root`` with the work tree's (where both folders exist)."""
    for name in names:
        now = repository / name
        if now.is_file() and (root / name).parent.is_dir():
            (root / name).write_bytes(now.read_bytes())


def _read_yaml(path: Path) -> dict:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    return loaded if isinstance(loaded, dict) else {}


def _entries_now(repository: Path) -> Iterator[dict]:
    """The work tree's entries as raw dicts (the model loader would reject an old commit's schema)."""
    for path in sorted((repository / "knowledge" / "entries").glob("*.yaml")):
        for entry in _read_yaml(path).get("entries") or []:
            if isinstance(entry, dict) and "id" in entry:
                yield entry


def _declarations(repository: Path) -> dict[str, dict]:
    """Entry id (and every id it replaced) → today's declared fields, from the work tree."""
    found: dict[str, dict] = {}
    for entry in _entries_now(repository):
        declared = {name: entry[name] for name in DECLARED_FIELDS if name in entry}
        for old in entry.get("replaces") or []:
            found.setdefault(str(old), declared)
        found[str(entry["id"])] = declared
    return found


def merged_since(repository: Path = PROJECT_ROOT) -> dict[str, str]:
    """Old id → the entry that replaced it, from the work tree's entries: an entry merged since a
    commit answered that commit's askers as the entry that took it over answers them now."""
    return {str(old): str(entry["id"]) for entry in _entries_now(repository) for old in entry.get("replaces") or []}


def apply_declarations_now(root: Path, repository: Path = PROJECT_ROOT) -> None:
    """Lay the work tree's declarations over the content under ``root`` (see the module docstring).
    Comments of the rewritten files are not kept: the folder is a temporary copy."""
    _take_from_work_tree(root, repository, DECLARATION_FILES)
    for name, keys in DECLARATION_KEYS.items():
        target = root / name
        if not target.is_file():
            continue
        data, today = _read_yaml(target), _read_yaml(repository / name)
        for key in _FORMER_KEYS.get(name, ()):
            data.pop(key, None)
        for key in keys:
            if key in today:
                data[key] = today[key]
            else:
                data.pop(key, None)
        target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    declarations = _declarations(repository)
    for path in sorted((root / "knowledge" / "entries").glob("*.yaml")):
        data = _read_yaml(path)
        for entry in data.get("entries") or []:
            declared = declarations.get(str(entry.get("id"))) if isinstance(entry, dict) else None
            if declared is None:
                continue
            for name in (*DECLARED_FIELDS, *_FORMER_FIELDS):
                entry.pop(name, None)
            entry.update(declared)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@contextmanager
def content_as_of(revision: str, repository: Path = PROJECT_ROOT, declarations_now: bool = False) -> Iterator[Path]:
    """A temporary folder holding the content folders of ``revision`` with the work tree's matcher
    settings (and with ``declarations_now``, its declarations: see ``apply_declarations_now``), set
    as the content root (``CONTENT_DIR``) while the block runs; both are undone afterwards."""
    archive = _archive(_checked(revision), repository)
    before = os.environ.get("CONTENT_DIR")
    with tempfile.TemporaryDirectory(prefix="content-as-of-") as folder:
        root = Path(folder)
        _extract(archive, root)
        _take_from_work_tree(root, repository, SETTINGS_NOW)
        if declarations_now:
            try:
                apply_declarations_now(root, repository)
            except yaml.YAMLError as exc:
                raise RevisionError(f"the content of {revision!r} or of the work tree is no valid YAML: {type(exc).__name__}") from exc
        os.environ["CONTENT_DIR"] = str(root)
        try:
            yield root
        finally:
            if before is None:
                os.environ.pop("CONTENT_DIR", None)
            else:
                os.environ["CONTENT_DIR"] = before
