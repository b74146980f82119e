"""Core tables: users, dialog state, processed update ids and the audit log.

Features add their own tables in their own modules (same ``Base``), each with its migration.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import SET_ONCE, Base, UTCDateTime

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


class User(Base):
    """A chat user on one channel. Holds no name or phone: only the channel's opaque ids.

    These columns are the one list of what a user row holds: the per-update statements
    (``bot.storage.turns``) are built from them, and ``bot.core.unit_of_work.UserRecord`` must name
    the same fields (storage refuses to start otherwise). ``SET_ONCE`` columns no update changes.
    """

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_users_channel_external"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16), info={SET_ONCE: True})
    external_id: Mapped[str] = mapped_column(String(64), info={SET_ONCE: True})
    chat_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16), default="applicant")
    language: Mapped[str] = mapped_column(String(8), default="zh")
    #: the user picked ``language`` themselves (/lang, the web page's toggle): a message written in
    #: the other language no longer switches it (``Conversation._follow_written_language``)
    language_chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, info={SET_ONCE: True})
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DialogState(Base):
    """The one multi-step exchange a user is in, written on every step so a restart resumes it."""

    __tablename__ = "dialog_states"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    dialog: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    definition_version: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProcessedUpdate(Base):
    """Update ids already handled, so a redelivered update is processed once."""

    __tablename__ = "processed_updates"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class AuditEntry(Base):
    """Who did what. ``detail`` never holds personal data (names, ID digits, phone numbers)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str | None] = mapped_column(String(128), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def add_audit(
    session: AsyncSession, at: datetime, actor_user_id: int | None, action: str, subject: str | None = None, **detail: Any
) -> None:
    """Add one audit row to the session (the one way every feature records an action).

    Never pass names, ID digits or phone numbers in ``detail``: numbers, states and counts only.
    """
    session.add(AuditEntry(at=at, actor_user_id=actor_user_id, action=action, subject=subject, detail=detail))


class UserNote(Base):
    """A few minutes of per-user context a feature needs on the user's next step (a rephrase after
    👎, facts to prefill the self-check). Expires; deleted with the user (/forget)."""

    __tablename__ = "user_notes"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    data: Mapped[str] = mapped_column(Text)  # JSON, encoded by ``bot.storage.notes``
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
