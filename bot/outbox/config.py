"""Delivery settings: pacing, leases, retries and quiet hours.

The defaults follow Telegram's published limits (30 messages per second overall, 1 per second per
chat). Office staff may change them in the ``delivery:`` section of ``rules/reminders.yaml``; the
benchmark raises the global rate to match a self-hosted Bot API server's cap.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.clock import LOCAL_TZ


class QuietHours(BaseModel):
    """Non-urgent pushes are held from ``start`` to ``end`` (local time, may cross midnight)."""

    model_config = ConfigDict(extra="forbid")
    start: time = time(22, 0)
    end: time = time(8, 0)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _parse(cls, value: object) -> object:
        if isinstance(value, str):
            hour, _, minute = value.partition(":")
            if not hour.isdigit() or not minute.isdigit():
                raise ValueError(f"{value!r} is not HH:MM")
            return time(int(hour), int(minute))
        if isinstance(value, int):  # YAML 1.1 reads an unquoted 22:00 as minutes (1320)
            return time(value // 60 % 24, value % 60)
        return value

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(LOCAL_TZ).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_end(self, moment: datetime) -> datetime:
        """The first moment at or after ``moment`` outside quiet hours."""
        if not self.contains(moment):
            return moment
        local = moment.astimezone(LOCAL_TZ)
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end <= local:
            end += timedelta(days=1)
        return end


class DeliveryConfig(BaseModel):
    """How the outbox worker paces and retries; every field has a safe default."""

    model_config = ConfigDict(extra="forbid")
    global_rate: float = Field(default=30.0, gt=0, le=10_000, description="messages per second, all chats")
    per_chat_interval: float = Field(default=1.0, ge=0, le=3600, description="seconds between two messages to one chat")
    lease_seconds: float = Field(default=30.0, gt=0, le=3600)
    max_attempts: int = Field(default=6, ge=1, le=100)
    backoff_base: float = Field(default=2.0, gt=0, le=600)
    backoff_max: float = Field(default=300.0, gt=0, le=86_400)
    max_in_flight: int = Field(default=0, ge=0, le=10_000, description="0 = derived from the rate")
    hold_seconds: float = Field(default=2.0, ge=0, le=60, description="longest in-memory wait for a chat slot")
    poll_seconds: float = Field(default=0.5, gt=0, le=60)
    quiet_hours: QuietHours | None = Field(default_factory=QuietHours)

    @property
    def in_flight_limit(self) -> int:
        """Enough concurrent sends to keep the pipe full for about one second."""
        return self.max_in_flight or max(8, int(self.global_rate * 1.0))

    def backoff(self, attempts: int) -> float:
        """Bounded exponential backoff for transient errors (attempt 1 → base seconds)."""
        return min(self.backoff_max, self.backoff_base * 2 ** max(0, attempts - 1))


def load_delivery_config(root: Path) -> DeliveryConfig:
    """The ``delivery:`` section of ``rules/reminders.yaml``, or defaults when absent."""
    from bot.content.loader import read_yaml

    path = root / "rules" / "reminders.yaml"
    if not path.exists():
        return DeliveryConfig()
    data, _ = read_yaml(path, root)
    section = (data or {}).get("delivery") or {}
    return DeliveryConfig.model_validate(section)
