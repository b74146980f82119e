"""Reminder texts are templates in ``rules/reminders.yaml``, filled with ``bot.content.texts.fill``.

Unknown placeholders stay visible (``{typo}``) rather than crashing a push, and
``python -m bot check`` reports them (``unknown_placeholders``) before they reach anyone.
"""

from __future__ import annotations

import string

PLACEHOLDERS = (
    "year", "deadline", "days_left", "number", "level", "fee", "due", "publicity_end", "publicity_days", "state",
    "phone", "email", "address", "qq_group",
)


def unknown_placeholders(template: str) -> list[str]:
    names = [field for _, field, _, _ in string.Formatter().parse(template) if field]
    return [n for n in names if n not in PLACEHOLDERS]
