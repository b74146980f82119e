"""Locks that hold until a transaction ends, across processes: PostgreSQL advisory locks.

SQLite needs none: an update's transaction starts with BEGIN IMMEDIATE, which already admits one
writer at a time across processes.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession


def _lock_key(name: str) -> int:
    """A signed 64-bit key for PostgreSQL advisory locks."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


_XACT_LOCK = text("SELECT pg_advisory_xact_lock(:k)")


async def hold_locks(connection: AsyncConnection, *names: str) -> None:
    """``lock_names`` on a connection already in a transaction (migrations, an update's own)."""
    if connection.dialect.name != "postgresql":
        return
    for name in sorted(set(names)):
        await connection.execute(_XACT_LOCK, {"k": _lock_key(name)})


async def lock_names(session: AsyncSession, *names: str) -> None:
    """Hold a lock on each name until the session's transaction ends, across processes.

    PostgreSQL: transaction-scoped advisory locks, taken in sorted order so two transactions wanting
    overlapping names never wait for each other in a cycle. SQLite needs nothing: an update's
    transaction starts with BEGIN IMMEDIATE, which already admits one writer at a time across
    processes. Use it where a check and the write that depends on it must not interleave with
    another transaction's (a read-then-insert under READ COMMITTED does not see a concurrent insert).
    """
    await hold_locks(await session.connection(), *names)
