"""The database handle: engine, sessions and migrations (Alembic run in-process).

SQLite is the default; PostgreSQL (asyncpg) works with the same code. SQLite statements run in the
event loop (``bot.storage.inline_sqlite``: a thread hop per statement cost more than the statement).
Migrations run on start-up and via ``python -m bot db upgrade``; they reuse the async engine's
connection so no second, synchronous driver is needed.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from contextvars import ContextVar
from pathlib import Path
from typing import TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.core.unit_of_work import StorageFailed, UnitOfWork
from bot.storage.inline_sqlite import inline_creator, is_locked_error
from bot.storage.locks import hold_locks
from bot.storage.turns import UpdateTransaction, run_sqlite, sqlite_handle
from bot.storage.writer_turn import WriterTurn

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

#: how long a SQLite statement may wait for another process's write lock before "database is locked"
#: (seconds). Command-line tools may wait long; a serving process waits briefly, because the wait
#: blocks its event loop, and retries the update asynchronously (``Database.run_update``).
TOOL_LOCK_WAIT = 30.0
SERVING_LOCK_WAIT = 0.05
#: SQLite locked by another process (an import, a second bot process): ``run_update`` runs the
#: update again with growing pauses for up to this long, then gives up with ``StorageFailed``
LOCKED_GIVE_UP_AFTER = 20.0
LOCKED_FIRST_PAUSE = 0.02
LOCKED_MAX_PAUSE = 0.5
T = TypeVar("T")

#: set while this task runs an update (``run_update``): another transaction opened then would wait
#: for the update's own SQLite writer turn, so ``Database.session`` refuses instead
_IN_UPDATE: ContextVar[bool] = ContextVar("in_update", default=False)


class SessionInsideUpdate(RuntimeError):
    """``Database.session()`` was called while an update's transaction is open in the same task."""


#: what the database driver raises when it cannot do what was asked (``run_update`` turns these
#: into the core's ``StorageFailed``)
DRIVER_ERRORS: tuple[type[Exception], ...] = (OperationalError, DBAPIError)


def is_write_lock_busy(exc: BaseException) -> bool:
    """SQLite's write lock is held by another process: the update can run again a moment later."""
    return isinstance(exc, OperationalError) and is_locked_error(exc)


def _sqlite_pragmas(lock_wait: float):  # noqa: ANN202
    """The connect hook: foreign keys, WAL (readers never wait for the writer), the lock wait."""

    def on_connect(dbapi_conn, _record) -> None:  # noqa: ANN001
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(lock_wait * 1000)}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return on_connect


class Database:
    """Owns the engine; hand out sessions with ``session()`` and migrate with ``upgrade()``."""

    def __init__(
        self, url: str, echo: bool = False, schema: str | None = None, lock_wait: float = TOOL_LOCK_WAIT
    ) -> None:
        """``schema`` (PostgreSQL only) isolates a test run in its own schema via search_path;
        ``lock_wait`` (SQLite only) is the longest in-loop wait for another process's write lock."""
        self.url = url
        self.schema = schema
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        kwargs: dict = {"echo": echo}
        if self.dialect == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["async_creator"] = inline_creator(database or ":memory:", lock_wait)
        else:
            kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
            if schema:
                kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas(lock_wait))
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        self._sqlite_writer: WriterTurn | None = None
        self._turn_conn: AsyncConnection | None = None
        self._turn_handle: sqlite3.Connection | None = None

    def writer_turn(self) -> AbstractAsyncContextManager[object]:
        """Wait for this process's turn to write (SQLite only; a no-op on PostgreSQL).

        SQLite admits one writer at a time; without a queue in the process, concurrent transactions
        would wait inside SQLite's busy handler, which polls with sleeps of up to 100 ms and so adds
        latency spikes under load. ``WriterTurn`` hands the single writer slot over instantly (and,
        unlike ``asyncio.Lock``, does not turn one slow holder into a queue every update waits in).
        """
        if self.dialect != "sqlite":
            return nullcontext()
        if self._sqlite_writer is None:
            self._sqlite_writer = WriterTurn()
        return self._sqlite_writer

    @asynccontextmanager
    async def update_transaction(self) -> AsyncIterator[UpdateTransaction]:
        """One update's transaction: committed when the block ends, rolled back if it raises.

        PostgreSQL: a pooled connection and an SQLAlchemy transaction (updates of different users
        run concurrently). SQLite: this process's writer turn and one long-lived connection, with
        BEGIN IMMEDIATE / COMMIT issued on the ``sqlite3`` handle directly: updates are serialised
        here anyway, and a pool checkout plus SQLAlchemy's begin and commit cost more than the
        update's own statements. If a feature opened an ORM session, the commit goes through it.
        """
        if self.dialect != "sqlite":
            async with self.engine.connect() as conn, conn.begin():
                tx = UpdateTransaction(conn)
                try:
                    yield tx
                    if tx.has_session:
                        await tx.session.flush()
                finally:
                    await tx.close()
            return
        async with self.writer_turn():
            conn = self._turn_conn
            if conn is None or conn.closed or conn.invalidated:
                conn = self._turn_conn = await self.engine.connect()
                self._turn_handle = await sqlite_handle(conn)
            handle = self._turn_handle
            assert handle is not None
            if handle.in_transaction:  # left open by an update that was cancelled mid-way
                handle.rollback()
            run_sqlite(handle, "BEGIN IMMEDIATE")
            tx = UpdateTransaction(conn, handle)
            try:
                yield tx
                if tx.has_session:
                    await tx.session.commit()  # flushes, then commits the whole transaction
                elif conn.in_transaction():  # a Core statement ran through SQLAlchemy
                    await conn.commit()
                if handle.in_transaction:  # nothing went through SQLAlchemy (the usual case)
                    run_sqlite(handle, "COMMIT")
            except BaseException:
                if tx.has_session:
                    await tx.session.rollback()
                elif conn.in_transaction():
                    await conn.rollback()
                if handle.in_transaction:
                    handle.rollback()
                raise
            finally:
                await tx.close()

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    async def run_update(self, lock_name: str, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        """The core's way into the database for one update (``UpdateStore``): ``work`` runs in one
        transaction holding the lock ``lock_name`` (an advisory lock on PostgreSQL, so one user's
        updates are serialised across processes), committed when it returns.

        While another process holds SQLite's write lock, the attempt is rolled back (nothing
        doubles), the loop waits asynchronously and ``work`` runs again; driver errors, and a lock
        that outlasts ``LOCKED_GIVE_UP_AFTER``, become ``StorageFailed``.
        """
        waited = 0.0
        pause = LOCKED_FIRST_PAUSE
        marker = _IN_UPDATE.set(True)  # Database.session() refuses until the update is over
        try:
            while True:
                try:
                    async with self.update_transaction() as tx:
                        await tx.lock(lock_name)
                        return await work(tx)
                except DRIVER_ERRORS as exc:
                    if not is_write_lock_busy(exc) or waited >= LOCKED_GIVE_UP_AFTER:
                        raise StorageFailed(type(exc).__name__) from exc
                await asyncio.sleep(pause)
                waited += pause
                pause = min(pause * 2, LOCKED_MAX_PAUSE)
        finally:
            _IN_UPDATE.reset(marker)

    async def role_of(self, channel: str, external_id: str) -> str | None:
        """A user's role, read outside any update transaction (None for an unknown user)."""
        try:
            async with self.engine.connect() as conn:
                return await conn.scalar(_ROLE_OF, {"channel": channel, "external_id": external_id})
        except DRIVER_ERRORS as exc:
            raise StorageFailed(type(exc).__name__) from exc

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction: committed on success, rolled back on error.

        On SQLite it waits for this process's writer turn first, so in-process transactions queue
        here instead of inside SQLite (where a wait would block the event loop). Do not nest, and
        do not call it while handling an update (``SessionInsideUpdate``): the handler's database
        is ``ctx.uow``, and a second transaction would wait for the update's own writer turn.
        """
        if _IN_UPDATE.get():
            raise SessionInsideUpdate(
                "Database.session() inside an update: use ctx.uow.session, the update's own transaction"
            )
        async with self.writer_turn(), self.sessionmaker() as session, session.begin():
            yield session

    async def upgrade(self, revision: str = "head") -> None:
        """Apply Alembic migrations up to ``revision``."""
        async with self.engine.begin() as conn:
            if self.is_postgres:
                # Two processes starting together must not migrate concurrently.
                await hold_locks(conn, "migrate")
            await conn.run_sync(_run_alembic, revision)

    async def current_revision(self) -> str | None:
        async with self.engine.connect() as conn:
            return await conn.run_sync(_current_revision)

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        if self._turn_conn is not None:
            await self._turn_conn.close()
            self._turn_conn = self._turn_handle = None
        await self.engine.dispose()


def _alembic_config(connection: Connection):  # noqa: ANN202
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def _run_alembic(connection: Connection, revision: str) -> None:
    from alembic import command

    command.upgrade(_alembic_config(connection), revision)


def _current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


_ROLE_OF = text("SELECT role FROM users WHERE channel = :channel AND external_id = :external_id")
