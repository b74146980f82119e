"""Injectable time source, so reminders, expiry and cycles are testable with a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    """Anything that tells the current time as an aware datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real wall clock, in UTC (convert with ``LOCAL_TZ`` for display)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock tests can set and advance."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            start = start.replace(tzinfo=LOCAL_TZ)
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment if moment.tzinfo else moment.replace(tzinfo=LOCAL_TZ)

    def advance(self, **kwargs: float) -> None:
        self._now = self._now + timedelta(**kwargs)


def local_now(clock: Clock) -> datetime:
    """The clock's time in Asia/Shanghai."""
    return clock.now().astimezone(LOCAL_TZ)


def parse_clock_time(value: object) -> object:
    """A pydantic ``before`` validator for a local time of day written as ``HH:MM`` in YAML.

    YAML 1.1 reads an unquoted ``09:00`` as a sexagesimal number (540 minutes), so an int is taken
    as minutes after midnight; anything else is left for pydantic to judge.
    """
    if isinstance(value, str):
        hour, _, minute = value.partition(":")
        if not hour.isdigit() or not minute.isdigit() or int(hour) > 23 or int(minute) > 59:
            raise ValueError(f"{value!r} is not HH:MM")
        return time(int(hour), int(minute))
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value < 24 * 60:
            raise ValueError(f"{value!r} is not HH:MM")
        return time(value // 60, value % 60)
    return value
