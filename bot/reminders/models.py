"""Tables of the reminders feature: subscriptions, staff broadcasts and the reminder log.

- ``Subscription`` stores only explicit choices; a missing row means the role's default (HR contacts
  are subscribed to their unit's notices unless they opt out), so defaults can change in data.
- ``Broadcast`` keeps the text, the segment, the state and the final figures of a staff broadcast;
  its recipients are outbox rows with ``broadcast_id``, so progress is counted from the outbox.
- ``ReminderLog`` records every reminder decision once (queued, dropped as past, suppressed); its
  unique key is what makes a reminder unique per (rule, subject, user, moment) across restarts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, UTCDateTime

BROADCAST_STATES = ("sending", "done", "cancelled")


class Subscription(Base):
    __tablename__ = "reminder_subscriptions"
    __table_args__ = (UniqueConstraint("user_id", "topic", name="uq_reminder_subscriptions_user_topic"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    topic: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Broadcast(Base):
    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(Text)
    #: the English version for English readers (None: they get ``text`` with a one-line English note)
    text_en: Mapped[str | None] = mapped_column(Text, nullable=True)
    segment: Mapped[dict[str, Any]] = mapped_column(JSON)  # {"kind": "level", "value": "intermediate"}
    segment_label: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(16), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    source: Mapped[str] = mapped_column(String(16), default="chat")  # chat | cli
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    blocked: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    cancelled: Mapped[int] = mapped_column(Integer, default=0)
    reasons: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: the outbox key of the staff's progress message (edited in place as figures change)
    progress_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    last_progress_pct: Mapped[int] = mapped_column(Integer, default=-1)
    #: the console confirm form's one-time key (unique: one form submitted twice makes one broadcast)
    confirm_key: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True, index=True)


class ReminderLog(Base):
    __tablename__ = "reminder_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    rule: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True)
    moment: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16))  # queued | dropped
    reason: Mapped[str] = mapped_column(String(200), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
