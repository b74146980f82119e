"""User-facing fields of data files in two languages.

A rules file keeps a user-facing field ``x`` in Chinese and its English version beside it as ``x_en``
(a string, a list of strings or a mapping of strings, shaped like ``x``). The schemas declare both,
so the loaders accept them; ``pick`` chooses by the reader's language; ``english_problems`` is what
``python -m bot check`` runs over each loaded file, so a Chinese field without its English sibling
(or one whose placeholders differ) is reported with file and line instead of reaching a reader.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml
from pydantic import BaseModel

from bot.content.loader import ContentProblem, line_of
from bot.content.texts import placeholders

EN = "en"
SUFFIX = "_en"


def is_english(lang: str | None) -> bool:
    return lang == EN


def pick(model: Any, field: str, lang: str | None) -> Any:
    """``model.field`` in the reader's language: its ``_en`` sibling for English when it is filled."""
    if is_english(lang):
        english = getattr(model, field + SUFFIX, None)
        if english:
            return english
    return getattr(model, field)


def _compare(zh: Any, en: Any, where: str) -> list[str]:
    """Why ``en`` is not a full English counterpart of ``zh`` ([] when it is)."""
    if en is None or en == "" or en == [] or en == {}:
        return [f"{where}: no English version ({where}{SUFFIX})"]
    if isinstance(zh, str):
        if not isinstance(en, str):
            return [f"{where}{SUFFIX}: must be text like {where}"]
        if placeholders(zh) != placeholders(en):
            return [f"{where}{SUFFIX}: placeholders {sorted(placeholders(en))} differ from {sorted(placeholders(zh))}"]
        return []
    if isinstance(zh, list):
        if not isinstance(en, list) or len(en) != len(zh):
            return [f"{where}{SUFFIX}: must list as many items as {where} ({len(zh)})"]
        return [p for i, (a, b) in enumerate(zip(zh, en, strict=True)) for p in _compare(a, b, f"{where}[{i}]")]
    if isinstance(zh, Mapping):
        if not isinstance(en, Mapping) or set(en) != set(zh):
            return [f"{where}{SUFFIX}: must have the same keys as {where} ({', '.join(map(str, zh))})"]
        return [p for key in zh for p in _compare(zh[key], en[key], f"{where}.{key}")]
    return []


def english_gaps(value: Any, where: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], str]]:
    """Every ``x`` of the loaded data whose ``x_en`` is missing or does not match it, with its location."""
    found: list[tuple[tuple[Any, ...], str]] = []
    if isinstance(value, BaseModel):
        fields = type(value).model_fields
        for name in fields:
            item = getattr(value, name)
            if name.endswith(SUFFIX):
                continue
            if name + SUFFIX in fields and item not in (None, "", [], {}):
                label = ".".join(str(p) for p in (*where, name))
                found += [((*where, name), reason) for reason in _compare(item, getattr(value, name + SUFFIX), label)]
            found += english_gaps(item, (*where, name))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += english_gaps(item, (*where, i))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            found += english_gaps(item, (*where, key))
    return found


def english_problems(model: BaseModel, file: str, node: yaml.Node | None = None) -> list[ContentProblem]:
    """``python -m bot check``: one problem per user-facing field of ``model`` without its English."""
    return [ContentProblem(file, line_of(node, loc), reason) for loc, reason in english_gaps(model)]
