"""Tables of the web channel: recent history per browser session, and the announcement inbox.

A browser page cannot be pushed to while it is closed, so pushes for web users (announcements,
reminders) land in ``web_inbox`` and move into the history the next time the page opens. Both tables
are keyed by the session key (the web user's ``external_id``), never by the cookie itself.
``web_rate_limits`` holds the message limits shared by every web process (``ratelimit.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, UTCDateTime


class WebMessage(Base):
    """One entry of a session's recent history (bounded; older entries are trimmed)."""

    __tablename__ = "web_messages"
    __table_args__ = (
        Index("ix_web_messages_session_id", "session_key", "id"),
        Index("ix_web_messages_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_key: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(8))  # user | bot | notice
    #: {"text": str, "buttons": [[{"text", "data"}]]}
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: the browser's id of the request that produced a user entry, so a retried request is answered
    #: from history instead of being handled twice
    client_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebSession(Base):
    """A session id the server issued (only its hash): a cookie value not found here is refused.

    Several ids may map to one session key over time: the id is replaced (rotated) when the user
    hands over a secret (binding, an invite code), so an id planted before (session fixation) stops
    working exactly when the session starts to matter.
    """

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_key: Mapped[str] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class WebInboxItem(Base):
    """A push for a web user, waiting until their page next opens."""

    __tablename__ = "web_inbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_key: Mapped[str] = mapped_column(String(40), index=True)
    #: the outbox row's key: a retried delivery after an uncertain send does not add a second item
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True, unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)  # Outbound.model_dump()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class WebRateLimit(Base):
    """One limited key (a hashed session key or client address) and when its next message is due."""

    __tablename__ = "web_rate_limits"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: seconds since the epoch; the key may send while this is at most the burst allowance ahead of now
    tat: Mapped[float] = mapped_column(Float, index=True)
