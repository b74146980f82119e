"""User-facing strings, loaded from ``dialogs/texts.yaml`` (and extended by feature text files).

Keeping strings in data lets office staff reword the bot without code changes; ``Texts.get``
fails loudly in tests (KeyError) when code asks for a key that the data lacks.

Every text file has an English twin under ``dialogs/en/`` with the same name and the same key tree
(``check_translations`` below, run by ``python -m bot check``). ``Texts.get(key, lang="en")`` reads
the English text and falls back to Chinese only for a key the English file lacks, which ``check``
reports; so a feature speaks English as soon as its English file exists, without code changes.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
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


#: the languages the bot speaks; Chinese is the reference every other language is checked against
DEFAULT_LANGUAGE = "zh"
LANGUAGES = ("zh", "en")
#: the folder (inside ``dialogs/``) holding the English twin of every text file
ENGLISH_DIR = "en"
#: text files whose English twin is still being written: ``check`` does not yet require one (it
#: still checks the twin's keys and placeholders once it exists). Remove a name when its twin lands.
ENGLISH_PENDING = frozenset({"texts_eligibility.yaml", "texts_status.yaml", "texts_reminders.yaml", "texts_console.yaml"})


def normalize_language(value: str | None) -> str:
    """A stored or client-supplied language as one the bot speaks (anything unknown is Chinese)."""
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


class Texts:
    """A flat, dotted-key view of all text files; ``get`` formats placeholders."""

    def __init__(self, entries: dict[str, str], translations: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self._entries = dict(entries)
        #: language → key → text, for every language other than Chinese
        self._translations = {lang: dict(flat) for lang, flat in (translations or {}).items()}

    @classmethod
    def load(cls, files: list[Path], root: Path | None = None) -> Texts:
        """The given Chinese text files, each with its English twin when one exists."""
        merged: dict[str, str] = {}
        english: dict[str, str] = {}
        problems: list[ContentProblem] = []
        for path in files:
            flat = _load_flat(path, root, problems)
            if flat is None:
                continue
            for key in flat:
                if key in merged:
                    problems.append(ContentProblem(str(path.name), None, f"text key {key!r} defined twice"))
            merged.update(flat)
            twin = english_twin(path)
            if twin.is_file():
                english.update(_load_flat(twin, root, problems) or {})
        if problems:
            raise ContentError(problems)
        return cls(merged, {"en": english} if english else None)

    def has(self, key: str) -> bool:
        return key in self._entries

    def keys(self) -> list[str]:
        return list(self._entries)

    def get(self, key: str, lang: str = DEFAULT_LANGUAGE, **values: Any) -> str:
        """The text of ``key`` in ``lang`` (Chinese where the language lacks it), placeholders filled."""
        template = self._entries[key]
        if lang != DEFAULT_LANGUAGE:
            template = self._translations.get(lang, {}).get(key, template)
        if not values:
            return template
        return fill(template, values)

    def variants(self, key: str) -> list[str]:
        """The text of ``key`` in every language that has it (to recognise a label the user pressed)."""
        out = [self._entries[key]] if key in self._entries else []
        out.extend(flat[key] for flat in self._translations.values() if key in flat and flat[key] not in out)
        return out


def _load_flat(path: Path, root: Path | None, problems: list[ContentProblem]) -> dict[str, str] | None:
    tree = load_model(path, _TextTree, root).root
    try:
        return _flatten(tree)
    except ValueError as exc:
        problems.append(ContentProblem(_name(path), None, str(exc)))
        return None


def _name(path: Path) -> str:
    """``texts.yaml`` or ``en/texts.yaml``: the file as a problem report names it."""
    return f"{ENGLISH_DIR}/{path.name}" if path.parent.name == ENGLISH_DIR else path.name


def english_twin(path: Path) -> Path:
    """``dialogs/texts_x.yaml`` → ``dialogs/en/texts_x.yaml``."""
    return path.parent / ENGLISH_DIR / path.name


def placeholders(template: str) -> set[str]:
    """The ``{names}`` a template fills (``{{`` escapes and malformed braces are not placeholders)."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}
    except ValueError:
        return set()


def check_translations(root: Path) -> list[ContentProblem]:
    """Every text file has an English twin (unless listed in ``ENGLISH_PENDING``) with exactly the
    same keys and, key by key, the same placeholders; no English file lacks a Chinese original."""
    dialogs = root / "dialogs"
    problems: list[ContentProblem] = []
    originals = text_files(root)
    names = {p.name for p in originals}
    for path in originals:
        twin = english_twin(path)
        shown = f"dialogs/{ENGLISH_DIR}/{path.name}"
        if not twin.is_file():
            if path.name not in ENGLISH_PENDING:
                problems.append(ContentProblem(shown, None, f"missing: every text file needs an English version ({path.name})"))
            continue
        zh = _load_flat(path, root, problems)
        en = _load_flat(twin, root, problems)
        if zh is None or en is None:
            continue
        for key in sorted(zh.keys() - en.keys()):
            problems.append(ContentProblem(shown, None, f"English text {key!r} is missing"))
        for key in sorted(en.keys() - zh.keys()):
            problems.append(ContentProblem(shown, None, f"text {key!r} is not in {path.name} (extra English key)"))
        for key in sorted(zh.keys() & en.keys()):
            want, got = placeholders(zh[key]), placeholders(en[key])
            if want != got:
                problems.append(ContentProblem(shown, None, f"{key!r}: placeholders differ from {path.name}: "
                                               f"Chinese {sorted(want)}, English {sorted(got)}"))
    english_dir = dialogs / ENGLISH_DIR
    if english_dir.is_dir():
        for stray in sorted(english_dir.glob("*.yaml")):
            if stray.name not in names:
                problems.append(ContentProblem(f"dialogs/{ENGLISH_DIR}/{stray.name}", None,
                                               "English text file without a Chinese original in dialogs/"))
    return problems


def fill(template: str, values: dict[str, Any]) -> str:
    """Fill ``{placeholders}`` in a content template; an unknown one stays visible as ``{name}``.

    Every template of the bot goes through here (texts, workflow next steps, reminder rules), so
    they all treat a typo the same way: visible in the reply, reported by ``check``, never a crash.
    """
    return template.format_map(_SafeDict(values))


def cn_date(day: date | None) -> str:
    """A date as Chinese readers write it (2024年8月30日); empty when there is none."""
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


def local_date(day: date | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """A date as a reader of ``lang`` writes it: 2024年8月30日, or 30 August 2024 (never ambiguous
    like 8/30); empty when there is none."""
    if day is None:
        return ""
    if lang == "en":
        return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
    return cn_date(day)


class _SafeDict(dict):
    """Leaves unknown placeholders visible instead of raising (a typo must not crash a reply)."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def text_files(root: Path) -> list[Path]:
    """All text files: the core's ``dialogs/texts.yaml`` first, then each feature's ``dialogs/texts_*.yaml``."""
    return [root / "dialogs" / "texts.yaml", *sorted((root / "dialogs").glob("texts_*.yaml"))]
