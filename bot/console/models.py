"""Tables of the staff console: accounts, setup links, sessions, sign-in attempts and the audit log.

Secrets are never stored as they are: passwords as Argon2 hashes, setup links and session ids as
SHA-256 hashes of the random value the browser holds, throttle keys as keyed hashes. The audit log
names the staff account (staff are identified by their login on purpose) and a masked address.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, UTCDateTime


class StaffAccount(Base):
    """One person of the office who may sign in to the console."""

    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    login: Mapped[str] = mapped_column(String(40), unique=True)
    role: Mapped[str] = mapped_column(String(8))  # staff | admin
    #: None until the person has chosen a password through their setup link (and after a reset)
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class StaffSetupToken(Base):
    """A one-time link to choose a password (24 h); only the hash of the link's token is kept."""

    __tablename__ = "staff_setup_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ConsoleSession(Base):
    """A signed-in browser: the hash of its cookie, whose it is, and when it was last used."""

    __tablename__ = "console_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: the CSRF token of this session's forms (random, never derived from the cookie)
    csrf_secret: Mapped[str] = mapped_column(String(64))


class ConsoleSignInAttempt(Base):
    """Failed sign-ins of one key (a login as typed, or a client address), both stored hashed."""

    __tablename__ = "console_sign_in_attempts"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    scope: Mapped[str] = mapped_column(String(8))  # account | address
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class ConsoleAudit(Base):
    """One action taken in the console or by the ``staff`` command (who, what, when, from where)."""

    __tablename__ = "console_audit"
    __table_args__ = (Index("ix_console_audit_at", "at"), Index("ix_console_audit_login_at", "login", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the acting account's login ("cli" for the command line, "" when nobody is signed in)
    login: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str] = mapped_column(String(80), default="")
    #: facts about the action, never personal data of applicants
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: the client address masked (IPv4 /24, IPv6 /48), or "cli"
    address: Mapped[str] = mapped_column(String(64), default="")
