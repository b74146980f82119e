"""``python -m bot check``: validate every content file and report file, line and reason.

Each feature module declares its checkers ``(root) -> list[ContentProblem]`` (``FeatureModule.checks``);
the command line hands them here. A checker that raises ``ContentError`` has its problems collected
too, so one run reports everything.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path

from bot.content.loader import ContentError, ContentProblem

Checker = Callable[[Path], list[ContentProblem]]

_TEXT_CALL = re.compile(r"""\b(?:t|get|text)\(\s*["']([a-z0-9_]+(?:\.[a-z0-9_]+)+)["']""")


def check_texts(root: Path) -> list[ContentProblem]:
    """Texts load, and every literal text key used in the code exists."""
    from bot.content.texts import Texts, text_files

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


def run_checks(root: Path, checkers: Mapping[str, Checker]) -> dict[str, list[ContentProblem]]:
    """Run every checker; returns problems by area (empty lists when all is well)."""
    results: dict[str, list[ContentProblem]] = {}
    for name, checker in checkers.items():
        try:
            results[name] = checker(root)
        except ContentError as exc:
            results[name] = exc.problems
    return results
