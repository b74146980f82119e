"""Injectable time source, so reminders, expiry and cycles are testable with a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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
