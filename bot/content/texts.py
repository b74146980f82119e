"""User-facing strings, loaded from ``dialogs/texts.yaml`` (and extended by feature text files).

Keeping strings in data lets office staff reword the bot without code changes; ``Texts.get``
fails loudly in tests (KeyError) when code asks for a key that the data lacks.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from pydantic import RootModel

from bot.content.loader import ContentError, ContentProblem, load_model


class _TextTree(RootModel[dict[str, Any]]):
    """A nested mapping of string leaves."""


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in tree.items():
        if not isinstance(key, str):
            raise ValueError(f"{prefix}{key}: key must be a string (quote yes/no/on/off/numbers in YAML)")
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, full + "."))
        elif isinstance(value, str):
            out[full] = value
        else:
            raise ValueError(f"{full}: text must be a string, got {type(value).__name__}")
    return out


class Texts:
    """A flat, dotted-key view of all text files; ``get`` formats placeholders."""

    def __init__(self, entries: dict[str, str]) -> None:
        self._entries = dict(entries)

    @classmethod
    def load(cls, files: list[Path], root: Path | None = None) -> Texts:
        merged: dict[str, str] = {}
        problems: list[ContentProblem] = []
        for path in files:
            tree = load_model(path, _TextTree, root).root
            try:
                flat = _flatten(tree)
            except ValueError as exc:
                problems.append(ContentProblem(str(path.name), None, str(exc)))
                continue
            for key in flat:
                if key in merged:
                    problems.append(ContentProblem(str(path.name), None, f"text key {key!r} defined twice"))
            merged.update(flat)
        if problems:
            raise ContentError(problems)
        return cls(merged)

    def has(self, key: str) -> bool:
        return key in self._entries

    def keys(self) -> list[str]:
        return list(self._entries)

    def get(self, key: str, **values: Any) -> str:
        template = self._entries[key]
        if not values:
            return template
        return fill(template, values)


def fill(template: str, values: dict[str, Any]) -> str:
    """Fill ``{placeholders}`` in a content template; an unknown one stays visible as ``{name}``.

    Every template of the bot goes through here (texts, workflow next steps, reminder rules), so
    they all treat a typo the same way: visible in the reply, reported by ``check``, never a crash.
    """
    return template.format_map(_SafeDict(values))


def cn_date(day: date | None) -> str:
    """A date as Chinese readers write it (2024年8月30日); empty when there is none."""
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


class _SafeDict(dict):
    """Leaves unknown placeholders visible instead of raising (a typo must not crash a reply)."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def text_files(root: Path) -> list[Path]:
    """All text files: the core's ``dialogs/texts.yaml`` first, then each feature's ``dialogs/texts_*.yaml``."""
    return [root / "dialogs" / "texts.yaml", *sorted((root / "dialogs").glob("texts_*.yaml"))]
