"""Per-session and per-address message limits of the web chat, counted in the database.

The limits protect the core from floods. They are kept in the database, not in a process's memory:
behind several web processes (``--workers``, or several machines on one PostgreSQL) a limit kept per
process would let a visitor send N times as much, one share per process.

Each limited key has one row holding the earliest time its next message would be due if the key
sent at exactly the allowed rate (the generic cell rate algorithm, the single-number form of a token
bucket): a message is allowed when that time is no further ahead of now than the burst allows, and
then moves it on by one interval. Check and update are one statement (an upsert whose update is
conditional), so two processes can never both spend the last allowance. Keys are stored hashed (a
session key or a client address never appears in the table), and rows whose due time has passed
carry nothing and are purged.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.channels.web.models import WebRateLimit

_TABLE = WebRateLimit.__table__


class RateLimiter:
    """``burst`` messages at once, then ``per_minute``, per key of one ``scope`` ("session", "ip")."""

    def __init__(self, scope: str, burst: int, per_minute: float, clock: Callable[[], float] = time.time) -> None:
        self.scope = scope
        self.enabled = burst > 0 and per_minute > 0
        self.interval = 60.0 / per_minute if self.enabled else 0.0
        self.tolerance = (burst - 1) * self.interval if self.enabled else 0.0
        self._now = clock

    def row_key(self, key: str) -> str:
        return hashlib.blake2b(f"{self.scope}:{key}".encode(), digest_size=16, person=b"zc-web-limit").hexdigest()

    async def take(self, session: AsyncConnection | AsyncSession, key: str) -> float:
        """Spend one message; returns 0 when allowed, else the seconds until the next is allowed.

        ``session`` may be a plain connection in a transaction: the web channel uses one, because an
        ORM session costs more CPU than these two statements."""
        if not self.enabled:
            return 0.0
        now = self._now()
        row_key = self.row_key(key)
        postgres = session.bind.dialect.name == "postgresql" if isinstance(session, AsyncSession) else (
            session.dialect.name == "postgresql")
        insert = pg_insert if postgres else sqlite_insert
        due = (func.greatest if postgres else func.max)(_TABLE.c.tat, now)
        stmt = (
            insert(_TABLE)
            .values(key=row_key, tat=now + self.interval)
            .on_conflict_do_update(
                index_elements=[_TABLE.c.key],
                set_={"tat": due + self.interval},
                where=due - now <= self.tolerance,
            )
            .returning(_TABLE.c.tat)
        )
        if (await session.execute(stmt)).first() is not None:
            return 0.0
        tat = (await session.execute(select(_TABLE.c.tat).where(_TABLE.c.key == row_key))).scalar_one()
        return max(0.001, tat - self.tolerance - now)

    @staticmethod
    def seconds(wait: float) -> int:
        """A wait rounded up to whole seconds, for the message shown to the user."""
        return max(1, math.ceil(wait))


async def purge(session: AsyncSession, now: float | None = None) -> int:
    """Delete the rows of keys that are back to a full allowance (they would allow a full burst)."""
    result = await session.execute(delete(_TABLE).where(_TABLE.c.tat < (time.time() if now is None else now)))
    return int(result.rowcount or 0)
