"""Find, read and version dialog definitions.

Every ``dialogs/*.yaml`` that is not a text file (``texts.yaml``, ``texts_*.yaml``) is a dialog. Its
version is a hash of the file's bytes: a dialog in flight that was started under another version is
restarted politely instead of being resumed in a state that may no longer exist.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from bot.content.loader import ContentError, ContentProblem, load_model
from bot.dialogs.schema import Dialog


def dialog_files(folder: Path) -> list[Path]:
    """Dialog definition files in ``folder`` (sorted; text files excluded)."""
    return sorted(p for p in folder.glob("*.yaml") if not p.name.startswith("texts"))


def definition_version(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def load_dialog_file(path: Path, root: Path | None = None) -> Dialog:
    """Load one dialog; schema errors carry the file and line (``ContentError``)."""
    dialog = load_model(path, Dialog, root)
    expected = path.stem
    if dialog.dialog != expected:
        name = str(path.name)
        raise ContentError([ContentProblem(name, 1, f"dialog name {dialog.dialog!r} must match the file name {expected!r}")])
    return dialog.model_copy(update={"version": definition_version(path)})


def load_dialog(root: Path, name: str) -> Dialog:
    """Load ``dialogs/<name>.yaml`` under the content root."""
    return load_dialog_file(root / "dialogs" / f"{name}.yaml", root)


def load_all(root: Path) -> dict[str, Dialog]:
    """Every dialog under ``root/dialogs``; raises ContentError with all problems found."""
    dialogs: dict[str, Dialog] = {}
    problems: list[ContentProblem] = []
    for path in dialog_files(root / "dialogs"):
        try:
            dialogs[path.stem] = load_dialog_file(path, root)
        except ContentError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ContentError(problems)
    return dialogs
