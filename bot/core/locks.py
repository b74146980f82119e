"""Serialise one user's updates while different users run concurrently.

In one process an asyncio lock per user suffices; across processes (webhook mode on PostgreSQL) the
conversation also takes a transaction-scoped advisory lock keyed by the user.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class KeyedLocks:
    """A lock per key, dropped when nobody holds or waits for it (no unbounded growth)."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiters: dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiters[key] = self._waiters.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiters[key] -= 1
            if self._waiters[key] == 0:
                del self._waiters[key]
                self._locks.pop(key, None)

    def __len__(self) -> int:
        return len(self._locks)
