"""Whether an entry's review cycle is over, read from data (``rules/cycles/<year>.yaml``).

An answer about the 2024 cycle given in 2025 must say that the cycle has ended rather than present
2024's deadline as current. The date comes from ``online_deadline`` in the cycle file (written for
the eligibility rules); without that file the cycle counts as past once the calendar year is later
than the entry's cycle year.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class CycleStatus:
    year: str
    deadline: dt.date | None
    ended: bool


def read_deadline(root: Path, year: str) -> dt.date | None:
    """``online_deadline`` of ``rules/cycles/<year>.yaml``; None when absent or unreadable.

    The file belongs to the eligibility rules and is validated by their checker; here only the one
    field is read, leniently, so a problem there never breaks an answer."""
    path = root / "rules" / "cycles" / f"{year}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return None
    if isinstance(data, dict):
        for holder in (data, data.get("cycle") if isinstance(data.get("cycle"), dict) else None):
            if holder is None:
                continue
            value = holder.get("online_deadline")
            if isinstance(value, dict):  # {date: 2024-08-30, source: {...}}
                value = value.get("date")
            if isinstance(value, dt.datetime):
                return value.date()
            if isinstance(value, dt.date):
                return value
            if isinstance(value, str):
                try:
                    return dt.date.fromisoformat(value.strip())
                except ValueError:
                    return None
    return None


class Cycles:
    """Cycle deadlines, read once per runtime (content does not change under a running process)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._deadlines: dict[str, dt.date | None] = {}

    def status(self, cycle: str, today: dt.date) -> CycleStatus | None:
        """None for entries valid in every cycle (``cycle: all``)."""
        if not cycle.isdigit():
            return None
        if cycle not in self._deadlines:
            self._deadlines[cycle] = read_deadline(self.root, cycle)
        deadline = self._deadlines[cycle]
        ended = today > deadline if deadline is not None else today.year > int(cycle)
        return CycleStatus(cycle, deadline, ended)
