"""aiosqlite's interface without its worker thread: SQLite statements run in the event loop.

Why: aiosqlite sends every call (execute, fetch, commit) to a worker thread and waits for a future;
on a 2-core machine each hop costs 0.1–0.2 ms, while the statements of a typical update (record the
update id, load the user, commit) take about 15 µs in SQLite itself. One update paid ~1 ms of thread
hand-overs for 15 µs of work.

Running the statements inline blocks the loop only for as long as SQLite works, with one exception:
waiting for another process's write lock. That wait is kept short (the connection's busy timeout,
``Database(lock_wait=...)``); a locked database then raises ``OperationalError`` ("database is
locked") and the update is retried asynchronously (``Conversation._handle_retrying_locks``), so other
users keep being served while, say, a spreadsheet import in another process holds the lock. Within
this process, writers queue on ``Database.writer_turn`` and never wait inside SQLite.

SQLAlchemy's ``sqlite+aiosqlite`` dialect is used unchanged; ``Database`` hands it these connections
through ``async_creator``.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Generator
from typing import Any

import aiosqlite


class _RunAtOnce:
    """Stands in for the queue to aiosqlite's worker thread: runs each call as it is queued.

    SQLAlchemy's dialect also queues onto ``Connection._tx`` directly (to set the isolation level),
    so the queue itself must run the call, not only ``_execute``.
    """

    def put_nowait(self, item: tuple[asyncio.Future | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller, as the thread does
            if future is not None and not future.done():
                future.set_exception(exc)
            return
        if future is not None and not future.done():
            future.set_result(result)


class InlineConnection(aiosqlite.Connection):
    """An ``aiosqlite.Connection`` whose calls run in the calling (event-loop) thread."""

    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _RunAtOnce()  # type: ignore[assignment]

    async def _execute(self, fn, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    def __await__(self) -> Generator[Any, None, aiosqlite.Connection]:
        return self._connect().__await__()  # no worker thread to start


def inline_creator(database: str, busy_timeout: float) -> Callable[[], Any]:
    """An ``async_creator`` for ``create_async_engine``: opens ``database`` with a short lock wait."""
    uri = database.startswith("file:")

    def connector() -> sqlite3.Connection:
        return sqlite3.connect(database, timeout=busy_timeout, uri=uri, check_same_thread=False)

    async def create() -> InlineConnection:
        return await InlineConnection(connector)

    return create


def is_locked_error(exc: BaseException) -> bool:
    """True for SQLite's "database is locked" / "database table is locked" (worth retrying)."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    return "database is locked" in text or "database table is locked" in text
