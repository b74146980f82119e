"""The statements every update runs (update id, user row, dialog state), at the driver level.

Why not the ORM: on a 2-core machine one ORM statement cost 150–300 µs of Python around 5 µs of
SQLite, and every update runs three or four of them; they were most of the bot's time per message.
These few statements are built once, as SQL with named parameters, from the tables' own column
lists (``User``, ``DialogState``: a new column needs no other edit here), and run

* on SQLite directly on the connection's ``sqlite3`` handle (``bot.storage.inline_sqlite``), with
  SQLAlchemy's own type processors converting values, so rows look exactly as the ORM writes them;
* on PostgreSQL through SQLAlchemy Core (``text`` with typed parameters), asyncpg being async anyway.

Both run on the update's connection inside its transaction; ``UpdateTransaction`` adds the ORM
session a feature opens later, on the same transaction, and is the core's ``UnitOfWork``. Rows come back as frozen records, so a change to
the user or the dialog is always an explicit statement, never an unnoticed attribute write.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.types import Boolean, TypeEngine

from bot.core.unit_of_work import DialogRecord, LoadedUser, UserRecord
from bot.storage.base import SET_ONCE, UTCDateTime
from bot.storage.forget import delete_user_row
from bot.storage.locks import hold_locks
from bot.storage.models import DialogState, User, add_audit


@dataclass(frozen=True)
class UserStatements:
    """The SQL about the ``users`` row, all derived from one table definition (``user_statements``)."""

    columns: tuple[str, ...]
    #: columns an update may change (the statement is built from this list, never from input)
    updatable: tuple[str, ...]
    #: what a new row gets for a column the caller does not give (the table's scalar defaults)
    defaults: Mapping[str, Any]
    load_with_dialog: str
    create: str
    types: Mapping[str, TypeEngine]


def _columns_matching(table: Table, record: type) -> tuple[str, ...]:
    """The table's column names, after checking the record dataclass has exactly those fields."""
    columns = tuple(c.name for c in table.columns)
    fields = {f.name for f in dataclasses.fields(record)}
    if set(columns) != fields:
        raise RuntimeError(
            f"{table.name} columns and {record.__name__} fields differ: only in the table "
            f"{sorted(set(columns) - fields)}, only in the record {sorted(fields - set(columns))}"
        )
    return columns


def user_statements(users: Table, dialogs: Table, record: type) -> UserStatements:
    """Build the per-update SQL of ``users`` (joined with ``dialogs``) from the tables themselves, so
    a new column is read, created and updatable without another list to edit. ``record`` (the
    dataclass handlers see) must have exactly the table's columns; a difference stops start-up."""
    columns = _columns_matching(users, record)
    generated = {c.name for c in users.columns if c.primary_key and c.autoincrement in (True, "auto")}
    insert = tuple(name for name in columns if name not in generated)
    updatable = tuple(
        c.name for c in users.columns if not c.primary_key and not c.info.get(SET_ONCE) and c.name not in generated
    )
    defaults = {
        c.name: (c.default.arg if c.default is not None and c.default.is_scalar else None)
        for c in users.columns
        if c.name in insert
    }
    dialog_columns = [c.name for c in dialogs.columns if c.name != "user_id"]
    load = (
        f"SELECT {', '.join(f'u.{name}' for name in columns)}, "
        f"{', '.join(f'd.{name} AS d_{name}' for name in dialog_columns)}, "
        # whether a note waits (most users have none: the note lookup is then skipped)
        "EXISTS (SELECT 1 FROM user_notes n WHERE n.user_id = u.id) AS has_notes "
        f"FROM {users.name} u LEFT JOIN {dialogs.name} d ON d.user_id = u.id "
        "WHERE u.channel = :channel AND u.external_id = :external_id"
    )
    create = (
        f"INSERT INTO {users.name} ({', '.join(insert)}) VALUES ({', '.join(f':{name}' for name in insert)}) "
        f"RETURNING {', '.join(columns)}"
    )
    types = {c.name: c.type for c in users.columns} | {c.name: c.type for c in dialogs.columns}
    types |= {f"d_{c.name}": c.type for c in dialogs.columns} | {"has_notes": Boolean()}
    return UserStatements(columns, updatable, defaults, load, create, types)


USERS = user_statements(User.__table__, DialogState.__table__, UserRecord)
#: user columns an update may change (kept under this name for callers and tests)
UPDATABLE_USER_COLUMNS = USERS.updatable
_DIALOG_FIELDS = _columns_matching(DialogState.__table__, DialogRecord)

#: column and parameter types that need converting (everything else passes through as is)
_TYPES: dict[str, TypeEngine] = {**USERS.types, "at": UTCDateTime()}

RECORD_UPDATE = (
    "INSERT INTO processed_updates (channel, update_id, processed_at) VALUES (:channel, :update_id, :at) "
    "ON CONFLICT DO NOTHING"
)
LOAD_USER_AND_DIALOG = USERS.load_with_dialog
CREATE_USER = USERS.create
LOAD_DIALOG = f"SELECT {', '.join(_DIALOG_FIELDS)} FROM dialog_states WHERE user_id = :user_id"
SAVE_DIALOG = (
    f"INSERT INTO dialog_states ({', '.join(_DIALOG_FIELDS)}) VALUES ({', '.join(f':{n}' for n in _DIALOG_FIELDS)}) "
    "ON CONFLICT (user_id) DO UPDATE SET "
    + ", ".join(f"{n} = excluded.{n}" for n in _DIALOG_FIELDS if n != "user_id")
)
DELETE_DIALOG = "DELETE FROM dialog_states WHERE user_id = :user_id"


class TurnStatements:
    """Runs the per-update statements on one connection, in its current transaction."""

    def __init__(self, conn: AsyncConnection, sqlite_handle: sqlite3.Connection | None = None) -> None:
        self.conn = conn
        self.dialect: Dialect = conn.dialect
        self._sqlite: sqlite3.Connection | None = sqlite_handle
        self._binders, self._readers = _processors(self.dialect)

    # ---- execution ----------------------------------------------------------------------------
    async def _run(self, sql: str, params: Mapping[str, Any]) -> tuple[list[dict[str, Any]], int]:
        """Rows as dicts (values converted to Python types) and the affected row count."""
        if self.dialect.name == "sqlite":
            handle = await self._sqlite_handle()
            bound = {k: (self._binders[k](v) if self._binders.get(k) and v is not None else v) for k, v in params.items()}
            try:
                cursor = handle.execute(sql, bound)
                names = [c[0] for c in cursor.description] if cursor.description else []
                raw_rows = cursor.fetchall() if names else []
            except sqlite3.Error as exc:  # the same exception classes as the ORM path raises
                raise DBAPIError.instance(sql, bound, exc, sqlite3.Error) from exc
            rowcount = cursor.rowcount
            cursor.close()
        else:
            result = await self.conn.execute(self._pg_statement(sql, params), dict(params))
            names = list(result.keys()) if result.returns_rows else []
            raw_rows = [tuple(r) for r in result.fetchall()] if names else []
            rowcount = result.rowcount
        if not raw_rows:
            return [], rowcount
        readers = [self._readers.get(name) for name in names] if self.dialect.name == "sqlite" else [None] * len(names)
        rows = [self._convert(names, readers, r) for r in raw_rows]
        return rows, rowcount

    @staticmethod
    def _convert(names: list[str], readers: list, row: tuple) -> dict[str, Any]:
        return {name: reader(value) if reader is not None and value is not None else value
                for name, reader, value in zip(names, readers, row, strict=True)}

    async def _sqlite_handle(self) -> sqlite3.Connection:
        if self._sqlite is None:
            self._sqlite = await sqlite_handle(self.conn)
        return self._sqlite

    @staticmethod
    def _pg_statement(sql: str, params: Mapping[str, Any]):  # noqa: ANN205
        """``text`` with typed parameters, built once per SQL string and parameter set (asyncpg
        returns aware datetimes, and SQLAlchemy's codec decodes JSON, so results need no typing)."""
        key = (sql, frozenset(params))
        statement = _PG_STATEMENTS.get(key)
        if statement is None:
            statement = text(sql).bindparams(*(bindparam(k, type_=_TYPES[k]) for k in params if k in _TYPES))
            _PG_STATEMENTS[key] = statement
        return statement

    async def run_text(self, clause: TextClause, params: Mapping[str, Any]) -> int:
        """A module-level ``text()`` write (its typed bind parameters converted as SQLAlchemy would);
        returns the affected row count. Lets a feature write one row without opening a session."""
        if self.dialect.name != "sqlite":
            return (await self.conn.execute(clause, dict(params))).rowcount
        handle = await self._sqlite_handle()
        binders = _text_binders(clause, self.dialect)
        bound = {k: (binders[k](v) if k in binders and v is not None else v) for k, v in params.items()}
        try:
            cursor = handle.execute(clause.text, bound)
        except sqlite3.Error as exc:
            raise DBAPIError.instance(clause.text, bound, exc, sqlite3.Error) from exc
        count = cursor.rowcount
        cursor.close()
        return count

    async def fetch_text(self, clause: TextClause, params: Mapping[str, Any]) -> list[tuple]:
        """Rows of a module-level ``text()`` query, as plain tuples. Only the parameters are typed:
        select columns whose raw value reads the same on both backends (text, numbers)."""
        if self.dialect.name != "sqlite":
            return [tuple(r) for r in (await self.conn.execute(clause, dict(params))).fetchall()]
        handle = await self._sqlite_handle()
        binders = _text_binders(clause, self.dialect)
        bound = {k: (binders[k](v) if k in binders and v is not None else v) for k, v in params.items()}
        try:
            cursor = handle.execute(clause.text, bound)
            rows = cursor.fetchall()
        except sqlite3.Error as exc:
            raise DBAPIError.instance(clause.text, bound, exc, sqlite3.Error) from exc
        cursor.close()
        return rows

    # ---- the statements -----------------------------------------------------------------------
    async def record_update(self, channel: str, update_id: str, at: datetime) -> bool:
        """Record the update id; False when it was recorded before (a redelivery).

        One ``INSERT … ON CONFLICT DO NOTHING``: atomic on both backends, so two processes racing on
        one update id cannot both win.
        """
        _, count = await self._run(RECORD_UPDATE, {"channel": channel, "update_id": update_id, "at": at})
        return count > 0

    async def load_turn(self, channel: str, external_id: str) -> LoadedUser | None:
        """The user, their dialog (if any) and whether they have any note, in one query; None for
        a user not seen before."""
        rows, _ = await self._run(LOAD_USER_AND_DIALOG, {"channel": channel, "external_id": external_id})
        if not rows:
            return None
        row = rows[0]
        user = UserRecord(**{k: row[k] for k in USERS.columns})
        dialog = None
        if row["d_dialog"] is not None:
            values = {name: row[f"d_{name}"] for name in _DIALOG_FIELDS if name != "user_id"}
            values.update(data=_as_dict(values["data"]), definition_version=values["definition_version"] or "")
            dialog = DialogRecord(user_id=user.id, **values)
        return LoadedUser(user, dialog, bool(row["has_notes"]))

    async def create_user(
        self, channel: str, external_id: str, chat_id: str, language: str, now: datetime, active: bool = True
    ) -> UserRecord:
        given = {"channel": channel, "external_id": external_id, "chat_id": chat_id, "language": language,
                 "active": active, "created_at": now, "last_seen_at": now}
        rows, _ = await self._run(CREATE_USER, {**USERS.defaults, **given})
        return UserRecord(**rows[0])

    async def update_user(self, user_id: int, **values: Any) -> None:
        """Change some of the user's columns (names from ``UPDATABLE_USER_COLUMNS`` only)."""
        unknown = set(values) - set(UPDATABLE_USER_COLUMNS)
        if unknown:
            raise ValueError(f"not an updatable user column: {sorted(unknown)}")
        if not values:
            return
        assignments = ", ".join(f"{name} = :{name}" for name in UPDATABLE_USER_COLUMNS if name in values)
        await self._run(f"UPDATE users SET {assignments} WHERE id = :user_id", {**values, "user_id": user_id})

    async def load_dialog(self, user_id: int) -> DialogRecord | None:
        rows, _ = await self._run(LOAD_DIALOG, {"user_id": user_id})
        if not rows:
            return None
        row = rows[0]
        row["data"] = _as_dict(row["data"])
        row["definition_version"] = row["definition_version"] or ""
        return DialogRecord(**row)

    async def save_dialog(
        self, user_id: int, dialog: str, step: str, data: dict[str, Any], version: str, now: datetime
    ) -> DialogRecord:
        record = DialogRecord(user_id, dialog, step, dict(data), version, now)
        await self._run(
            SAVE_DIALOG,
            {"user_id": user_id, "dialog": dialog, "step": step, "data": record.data,
             "definition_version": version, "updated_at": now},
        )
        return record

    async def delete_dialog(self, user_id: int) -> bool:
        _, count = await self._run(DELETE_DIALOG, {"user_id": user_id})
        return count > 0


async def sqlite_handle(conn: AsyncConnection) -> sqlite3.Connection:
    """The ``sqlite3`` connection under an SQLAlchemy connection (``inline_sqlite`` runs it in the loop)."""
    fairy = await conn.get_raw_connection()
    return fairy.driver_connection._conn  # type: ignore[union-attr]


def run_sqlite(handle: sqlite3.Connection, sql: str) -> None:
    """A parameterless statement (BEGIN, COMMIT, ROLLBACK) with SQLAlchemy's exception classes."""
    try:
        handle.execute(sql)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(sql, (), exc, sqlite3.Error) from exc


class UpdateTransaction(TurnStatements):
    """One update's unit of work (the core's ``UnitOfWork`` port): the per-update statements, plain
    ``text()`` statements and, on demand, an ORM session.

    Everything runs in one database transaction on one connection; ``Database.update_transaction``
    opens and ends it. The ORM session is created on first use (most updates never need one).
    """

    def __init__(self, conn: AsyncConnection, sqlite_handle: sqlite3.Connection | None = None) -> None:
        super().__init__(conn, sqlite_handle)
        self._session: AsyncSession | None = None

    @property
    def has_session(self) -> bool:
        return self._session is not None

    @property
    def session(self) -> AsyncSession:
        """The ORM session on the update's transaction (opened on first use; never commits itself)."""
        if self._session is None:
            # PostgreSQL: the connection is in the update's transaction; the session joins it and
            # never commits it. SQLite: the transaction was begun below SQLAlchemy; the session
            # begins its own view of it and ``Database.update_transaction`` commits through it.
            if self.conn.in_transaction():
                self._session = AsyncSession(bind=self.conn, join_transaction_mode="rollback_only", expire_on_commit=False)
            else:
                self._session = AsyncSession(bind=self.conn, expire_on_commit=False)
        return self._session

    async def execute(self, statement: TextClause, params: Mapping[str, Any]) -> int:
        """One ``text()`` write; at the driver level unless a session is open (then through it,
        so its pending changes are flushed first)."""
        if self._session is None:
            return await self.run_text(statement, params)
        return (await self._session.execute(statement, dict(params))).rowcount

    async def fetch(self, statement: TextClause, params: Mapping[str, Any]) -> list[tuple]:
        """A ``text()`` read, at the driver level unless a session is open."""
        if self._session is None:
            return await self.fetch_text(statement, params)
        return [tuple(r) for r in (await self._session.execute(statement, dict(params))).fetchall()]

    async def lock(self, *names: str) -> None:
        """Advisory locks on PostgreSQL until the transaction ends; SQLite's BEGIN IMMEDIATE already
        admits one writer at a time."""
        await hold_locks(self.conn, *names)

    # ---- the update's own rows: ``TurnStatements``, plus the last step of /forget --------------
    async def delete_user(self, user_id: int, now: datetime) -> None:
        """Anonymise the user's audit entries, record that a user was forgotten (no actor) and
        delete the row; what other tables keep is the features' ``forget_user`` hooks' work."""
        await delete_user_row(self.session, user_id, now)

    async def audit(
        self, at: datetime, actor_user_id: int | None, action: str, subject: str | None, detail: Mapping[str, Any]
    ) -> None:
        add_audit(self.session, at, actor_user_id, action, subject, **detail)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _as_dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


_PROCESSORS: dict[str, tuple[dict, dict]] = {}
_PG_STATEMENTS: dict[tuple[str, frozenset[str]], Any] = {}
_TEXT_BINDERS: dict[int, tuple[TextClause, dict]] = {}


def _text_binders(clause: TextClause, dialect: Dialect) -> dict:
    """Bind converters of a ``text()`` clause's typed parameters (kept per clause object)."""
    cached = _TEXT_BINDERS.get(id(clause))
    if cached is None or cached[0] is not clause:
        binders = {}
        for name, param in clause._bindparams.items():
            processor = param.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                binders[name] = processor
        cached = _TEXT_BINDERS[id(clause)] = (clause, binders)
    return cached[1]


def _processors(dialect: Dialect) -> tuple[dict, dict]:
    """SQLAlchemy's own bind and result converters for ``_TYPES`` on this dialect (built once)."""
    cached = _PROCESSORS.get(dialect.name)
    if cached is None:
        impls = {name: t.dialect_impl(dialect) for name, t in _TYPES.items()}
        cached = (
            {name: impl.bind_processor(dialect) for name, impl in impls.items()},
            {name: impl.result_processor(dialect, None) for name, impl in impls.items()},
        )
        _PROCESSORS[dialect.name] = cached
    return cached
