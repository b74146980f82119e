"""Session ids the server issued: a cookie value is a session only if its hash is stored here.

Without this, any well-formed value was a session, so an attacker could plant a value of their
choosing in a victim's browser (session fixation) and later read what the victim did under it.
Now a planted value must be one the server issued, and the id is replaced (``rotate``) whenever
the user hands over a secret (the ID tail at /bind, an invite code) and at /forget, so an id known
to somebody else stops working exactly when the session starts to matter.

Only a hash of the id is stored: a copy of the database hands out no live sessions.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.web import session as sess
from bot.channels.web.models import WebSession
from bot.storage.models import User

CHANNEL = "web"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(session: AsyncSession, now: datetime, key: str | None = None) -> str:
    """A new id for the session ``key`` (a new session when None); written at the next flush."""
    token = sess.new_token()
    session.add(WebSession(token_hash=token_hash(token), session_key=key or sess.session_key(token), created_at=now))
    return token


async def lookup(session: AsyncSession, token: str, now: datetime) -> str | None:
    """The session key of an issued id, or None (never issued, rotated away, or purged: ``purge``
    deletes ids older than the cookie's lifetime, after which browsers have dropped it too)."""
    row = await session.get(WebSession, token_hash(token))
    if row is not None:
        return row.session_key
    return await _adopt_legacy(session, token, now)


async def _adopt_legacy(session: AsyncSession, token: str, now: datetime) -> str | None:
    """An id handed out before ids were stored: accepted once if its user exists and the session
    has no stored id yet (so an id rotated away is never taken back). Nobody can make up such an
    id: its key is a hash of it, and only the browser holding it knows it."""
    key = sess.session_key(token)
    known = await session.execute(select(User.id).where(User.channel == CHANNEL, User.external_id == key))
    if known.first() is None:
        return None
    stored = await session.execute(select(WebSession.token_hash).where(WebSession.session_key == key).limit(1))
    if stored.first() is not None:
        return None
    session.add(WebSession(token_hash=token_hash(token), session_key=key, created_at=now))
    return key


async def rotate(session: AsyncSession, key: str, now: datetime) -> str:
    """Replace every id of the session by one new id (the session and its history stay)."""
    await session.execute(delete(WebSession).where(WebSession.session_key == key))
    return issue(session, now, key)


async def revoke(session: AsyncSession, key: str) -> None:
    """Forget every id of a session (/forget)."""
    await session.execute(delete(WebSession).where(WebSession.session_key == key))


async def purge(session: AsyncSession, now: datetime) -> int:
    """Delete ids older than the cookie's lifetime."""
    result = await session.execute(
        delete(WebSession).where(WebSession.created_at < now - timedelta(seconds=sess.COOKIE_MAX_AGE))
    )
    return int(result.rowcount or 0)
