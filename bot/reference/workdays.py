"""Chinese working days: public holidays and make-up working days, not Mon–Fri.

公示 periods and reminders count working days. ``chinese_calendar`` knows the official calendar up
to its release year; for later years staff add the State Council's dates to ``rules/holidays.yaml``.
A year known to neither falls back to Monday–Friday with one warning in the log: a slightly wrong
date is better than a bot that crashes on 1 January.
"""

from __future__ import annotations

import logging
import re
from datetime import date, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.content.loader import ContentProblem, load_model

log = logging.getLogger(__name__)

HOLIDAYS_FILE = Path("rules") / "holidays.yaml"
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\.\.(\d{4}-\d{2}-\d{2}))?$")


def _expand(items: list[str]) -> list[date]:
    out: list[date] = []
    for item in items:
        match = _RANGE.match(str(item).strip())
        if not match:
            raise ValueError(f"{item!r} is not YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD")
        start = date.fromisoformat(match.group(1))
        end = date.fromisoformat(match.group(2)) if match.group(2) else start
        if end < start or (end - start).days > 31:
            raise ValueError(f"{item!r}: the range must run forwards and span at most 31 days")
        out.extend(start + timedelta(days=i) for i in range((end - start).days + 1))
    return out


class YearDays(BaseModel):
    model_config = ConfigDict(extra="forbid")
    holidays: list[str] = Field(default_factory=list)
    workdays: list[str] = Field(default_factory=list)

    @field_validator("holidays", "workdays", mode="before")
    @classmethod
    def _stringify(cls, value: object) -> object:
        # YAML reads an unquoted 2027-01-01 as a date; accept it.
        return [str(v) for v in value] if isinstance(value, list) else value

    @model_validator(mode="after")
    def _check(self) -> YearDays:
        both = set(_expand(self.holidays)) & set(_expand(self.workdays))
        if both:
            raise ValueError(f"dates are both holiday and workday: {sorted(str(d) for d in both)}")
        return self


class HolidaysFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    years: dict[int, YearDays] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _dates_in_their_year(self) -> HolidaysFile:
        for year, days in self.years.items():
            for d in _expand(days.holidays) + _expand(days.workdays):
                if d.year != year:
                    raise ValueError(f"years.{year}: {d} is not in {year}")
        return self


class WorkdayCalendar:
    """``is_workday`` / ``add_workdays`` / ``period_end`` over the official calendar plus staff data."""

    def __init__(self, extra: HolidaysFile | None = None) -> None:
        self._holidays: dict[int, set[date]] = {}
        self._workdays: dict[int, set[date]] = {}
        for year, days in (extra.years if extra else {}).items():
            self._holidays[year] = set(_expand(days.holidays))
            self._workdays[year] = set(_expand(days.workdays))
        self._warned: set[int] = set()

    @classmethod
    def load(cls, root: Path) -> WorkdayCalendar:
        path = root / HOLIDAYS_FILE
        return cls(load_model(path, HolidaysFile, root) if path.exists() else None)

    def is_workday(self, day: date) -> bool:
        official = self._official(day)
        if official is not None:
            return official
        if day.year in self._holidays:
            if day in self._workdays[day.year]:
                return True
            return day.weekday() < 5 and day not in self._holidays[day.year]
        if day.year not in self._warned:
            self._warned.add(day.year)
            log.warning(
                "no holiday data for %s (chinesecalendar and %s): counting Monday-Friday as working days",
                day.year,
                HOLIDAYS_FILE,
            )
        return day.weekday() < 5

    def _official(self, day: date) -> bool | None:
        """The package's answer, or None when it does not know the year (or is missing)."""
        if day.year in self._holidays:  # staff data wins: it may correct a late change
            return None
        try:
            import chinese_calendar
        except ImportError:  # pragma: no cover - it is a declared dependency
            return None
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            return None

    def add_workdays(self, start: date, count: int) -> date:
        """The date ``count`` working days after ``start`` (``start`` itself not counted)."""
        if count < 0:
            raise ValueError("count must be ≥ 0")
        day = start
        remaining = count
        while remaining:
            day += timedelta(days=1)
            if self.is_workday(day):
                remaining -= 1
        return day

    def period_end(self, start: date, count: int) -> date:
        """Last day of a period of ``count`` working days that begins on ``start`` (counted when a workday)."""
        if count < 1:
            raise ValueError("count must be ≥ 1")
        day = start
        while not self.is_workday(day):
            day += timedelta(days=1)
        return self.add_workdays(day, count - 1)

    def workdays_between(self, start: date, end: date) -> int:
        """Working days in the half-open range (start, end]."""
        total = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            total += self.is_workday(day)
        return total


def check_holidays(root: Path) -> list[ContentProblem]:
    """Checker for ``python -m bot check``."""
    WorkdayCalendar.load(root)
    return []
