"""Server-side console sessions: a random id in the cookie, only its hash in the database.

A session ends after 30 minutes without a request (idle timeout), after 12 hours in any case, at
sign-out, and when its account is disabled or reset. A new id is issued at every sign-in, so an id
planted in a browser before (session fixation) is never signed in.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.console.accounts import AccountView, token_hash
from bot.console.models import ConsoleSession, StaffAccount

COOKIE = "zc_console"
PRE_COOKIE = "zc_console_pre"  # signed out: the anchor of the sign-in and setup forms' CSRF token
IDLE_TIMEOUT = timedelta(minutes=30)
MAX_AGE = timedelta(hours=12)
#: last_seen is written at most this often, so reading pages does not write on every request
TOUCH_EVERY = timedelta(seconds=30)
_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")


@dataclass(frozen=True)
class SignedIn:
    """The signed-in account of a request and its session's CSRF token."""

    account: AccountView
    id_hash: str
    csrf: str


def valid_id(value: str | None) -> bool:
    return bool(value) and bool(_ID.match(value or ""))


async def start(session: AsyncSession, account: StaffAccount, now: datetime) -> str:
    """A new session for ``account``; returns the cookie value (never stored as it is)."""
    session_id = secrets.token_urlsafe(32)
    session.add(ConsoleSession(id_hash=token_hash(session_id), account_id=account.id, created_at=now,
                               last_seen_at=now, csrf_secret=secrets.token_urlsafe(32)))
    account.last_sign_in_at = now
    await session.flush()
    return session_id


async def load(session: AsyncSession, session_id: str | None, now: datetime) -> SignedIn | None:
    """The session behind a cookie value while it is alive; an expired one is deleted."""
    if not valid_id(session_id):
        return None
    row = await session.get(ConsoleSession, token_hash(session_id or ""))
    if row is None:
        return None
    if now - row.last_seen_at > IDLE_TIMEOUT or now - row.created_at > MAX_AGE:
        await session.delete(row)
        return None
    account = await session.get(StaffAccount, row.account_id)
    if account is None or account.disabled or account.password_hash is None:
        await session.delete(row)
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return SignedIn(AccountView.of(account), row.id_hash, row.csrf_secret)


async def end(session: AsyncSession, id_hash: str) -> None:
    await session.execute(delete(ConsoleSession).where(ConsoleSession.id_hash == id_hash))


async def purge(session: AsyncSession, now: datetime) -> int:
    """Delete sessions past their idle timeout or maximum age."""
    result = await session.execute(delete(ConsoleSession).where(or_(
        ConsoleSession.last_seen_at < now - IDLE_TIMEOUT, ConsoleSession.created_at < now - MAX_AGE)))
    return int(result.rowcount or 0)


def csrf_ok(expected: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(expected.encode(), (presented or "").encode())
