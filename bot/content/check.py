"""``python -m bot check``: validate every content file and report file, line and reason.

Each content area registers a checker ``(root) -> list[ContentProblem]`` in ``CHECKERS``; a checker
that raises ``ContentError`` has its problems collected too, so one run reports everything.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from bot.content.loader import ContentError, ContentProblem

Checker = Callable[[Path], list[ContentProblem]]

_TEXT_CALL = re.compile(r"""\b(?:t|get|text)\(\s*["']([a-z0-9_]+(?:\.[a-z0-9_]+)+)["']""")


def check_texts(root: Path) -> list[ContentProblem]:
    """Texts load, and every literal text key used in the code exists."""
    from bot.app import text_files
    from bot.content.texts import Texts

    texts = Texts.load(text_files(root), root)
    problems = []
    package = Path(__file__).resolve().parent.parent
    for source in sorted(package.rglob("*.py")):
        for lineno, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
            for key in _TEXT_CALL.findall(line):
                if not texts.has(key) and not any(k.startswith(key + ".") for k in texts.keys()):
                    rel = source.relative_to(package.parent)
                    problems.append(ContentProblem(str(rel), lineno, f"text key {key!r} is not in dialogs/texts*.yaml"))
    return problems


def check_office(root: Path) -> list[ContentProblem]:
    from bot.content.office import load_office

    load_office(root)
    return []


CHECKERS: dict[str, Checker] = {
    "texts": check_texts,
    "office": check_office,
}


def register(name: str, checker: Checker) -> None:
    CHECKERS[name] = checker


def _load_feature_checkers() -> None:
    """Import the modules that register checkers for their content (knowledge, dialogs, rules)."""
    import importlib

    for module in ("bot.content.feature_checks",):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


def run_checks(root: Path) -> dict[str, list[ContentProblem]]:
    """Run every checker; returns problems by area (empty lists when all is well)."""
    _load_feature_checkers()
    results: dict[str, list[ContentProblem]] = {}
    for name, checker in CHECKERS.items():
        try:
            results[name] = checker(root)
        except ContentError as exc:
            results[name] = exc.problems
    return results
