"""``check``: no user-facing text names a year after the latest review cycle on file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from bot.content.loader import ContentProblem
from bot.reference.cycles import load_cycles

_YEAR = re.compile(r"(?<!\d)(20\d\d)(?=\s*年|-\d{1,2}-\d{1,2})")
#: English writes a year on its own ("30 August 2025", "in 2025"): any 20xx standing alone
_YEAR_EN = re.compile(r"(?<![\d.〔\[-])(20\d\d)(?![\d〕\]])")
_ALTERNATIVES = re.compile(r"(?:^|\.)alternatives(?:_en)?\[")


def _is_english(rel: str, where: str) -> bool:
    """English text: a file under ``dialogs/en/``, or a field whose name ends in ``_en``."""
    last = where.rsplit(".", 1)[-1].split("[", 1)[0]
    return rel.startswith("dialogs/en/") or last.endswith("_en")


def _strings(node: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, f"{path}[{index}]")


def check_no_later_years(root: Path) -> list[ContentProblem]:
    """No user-facing text names a year after the latest review cycle on file.

    The notices at hand are the 2024 ones and no later notice of this review was found, so a 2025
    date or fee in an answer could only be invented. Entry alternatives are phrasings the matcher
    reads (users do ask about next year); they are never shown and are not checked."""
    years = [c.year for c in load_cycles(root)]
    if not years:
        return []
    latest = max(years)
    files = [*sorted((root / "dialogs").glob("texts*.yaml")), *sorted((root / "dialogs" / "en").glob("texts*.yaml")),
             *sorted((root / "rules").glob("*.yaml")),
             root / "knowledge" / "documents.yaml", *sorted((root / "knowledge" / "entries").glob("*.yaml"))]
    problems: list[ContentProblem] = []
    for path in files:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError:
            continue  # not YAML at all: the file's own checker reports where (check must not crash)
        rel = str(path.relative_to(root))
        for where, text in _strings(data, ""):
            if _ALTERNATIVES.search(where) or where.endswith(".url"):
                continue
            pattern = _YEAR_EN if _is_english(rel, where) else _YEAR
            for match in pattern.finditer(text):
                if int(match.group(1)) > latest:
                    problems.append(ContentProblem(rel, None, f"{where}: names {match.group(1)}, after the latest review "
                                                              f"cycle on file ({latest})"))
    return problems
