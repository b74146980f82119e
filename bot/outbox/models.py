"""Outbox rows. A push is written here in the same transaction as the change that causes it, so a
crash never loses it; the unique ``idempotency_key`` makes enqueueing the same push twice a no-op."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, UTCDateTime


class OutboxMessage(Base):
    """One push; ``state`` is pending, sending, sent, failed, blocked or cancelled."""

    __tablename__ = "outbox"
    #: the worker's claim query filters on (state, not_before)
    __table_args__ = (Index("ix_outbox_claim", "state", "not_before"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32), index=True)  # reminder | status | broadcast | notice
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)  # Outbound.model_dump()
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    urgent: Mapped[bool] = mapped_column(default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    broadcast_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    platform_message_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
