"""Delivery settings: pacing, leases, retries and quiet hours.

The defaults follow Telegram's published limits (30 messages per second overall, 1 per second per
chat). Office staff may change them in ``rules/outbox.yaml`` (the outbox serves every feature, so its
settings live in a file of their own); the benchmark raises the global rate to match a self-hosted
Bot API server's cap.
"""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.clock import LOCAL_TZ, parse_clock_time
from bot.content.loader import ContentProblem, load_model

OUTBOX_FILE = Path("rules") / "outbox.yaml"


class QuietHours(BaseModel):
    """Non-urgent pushes are held from ``start`` to ``end`` (local time, may cross midnight)."""

    model_config = ConfigDict(extra="forbid")
    start: time = time(22, 0)
    end: time = time(8, 0)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _parse(cls, value: object) -> object:
        return parse_clock_time(value)

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(LOCAL_TZ).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


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


class OutboxFile(BaseModel):
    """The whole ``rules/outbox.yaml``."""

    model_config = ConfigDict(extra="forbid")
    version: str
    delivery: DeliveryConfig = Field(default_factory=DeliveryConfig)


def load_delivery_config(root: Path) -> DeliveryConfig:
    """The ``delivery:`` section of ``rules/outbox.yaml``, or defaults when the file is absent."""
    path = root / OUTBOX_FILE
    if not path.exists():
        return DeliveryConfig()
    return load_model(path, OutboxFile, root).delivery


def check_outbox_config(root: Path) -> list[ContentProblem]:
    """``python -m bot check``: the file validates (a defect raises ``ContentError`` with its line)."""
    if (root / OUTBOX_FILE).exists():
        load_model(root / OUTBOX_FILE, OutboxFile, root)
    return []
