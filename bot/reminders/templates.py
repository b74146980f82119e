"""Reminder texts are templates in ``rules/reminders.yaml``; this fills them safely.

Unknown placeholders stay visible (``{typo}``) rather than crashing a push, and
``python -m bot check`` reports them before they reach anyone.
"""

from __future__ import annotations

import string
from datetime import date
from typing import Any

PLACEHOLDERS = (
    "year", "deadline", "days_left", "number", "level", "fee", "due", "publicity_end", "publicity_days", "state",
    "phone", "email", "address", "qq_group",
)


def cn_date(day: date) -> str:
    """2024年8月30日."""
    return f"{day.year}年{day.month}月{day.day}日"


class _Safe(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(template: str, values: dict[str, Any]) -> str:
    return string.Formatter().vformat(template, (), _Safe(values))


def unknown_placeholders(template: str) -> list[str]:
    names = [field for _, field, _, _ in string.Formatter().parse(template) if field]
    return [n for n in names if n not in PLACEHOLDERS]
