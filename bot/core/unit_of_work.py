"""The unit of work: the one way into the database while an update is handled.

Why a port: a handler needs the user's row, their dialog row and, for a feature's own tables, a
session, all inside the update's one transaction. The core names what it needs here, with no
database library; ``bot.storage`` implements it (``bot.storage.turns.UpdateTransaction``, opened by
``Database.run_update``), including the lock waits and advisory locks. A handler reaches it as
``ctx.uow``:

* ``ctx.user`` is a frozen ``UserRecord`` read when the update arrived; ``ctx.update_user`` changes it;
* ``ctx.dialog`` / ``set_dialog`` / ``clear_dialog`` read and write the ``DialogRecord``;
* ``ctx.uow.session`` is an ORM session on the update's transaction, for a feature's own queries
  (opened on first use: most updates never need one);
* ``ctx.uow.execute`` / ``ctx.uow.fetch`` run a prepared ``text()`` statement on the same
  transaction without opening that session (what the per-message paths use).

Opening another transaction during an update (``Database.session()``) raises instead of waiting for
the update's own SQLite writer turn, which would never come.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A ``users`` row as read at the start of an update.

    The ``users`` table (``bot.storage.models.User``) must have exactly these columns: storage
    builds its statements from the table and refuses to start when the two differ.
    """

    id: int
    channel: str
    external_id: str
    chat_id: str
    role: str
    language: str
    #: the language was chosen with /lang (or the web page's toggle), not guessed: kept as it is
    language_chosen: bool
    active: bool
    blocked: bool
    consent_at: datetime | None
    created_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True, slots=True)
class DialogRecord:
    """A ``dialog_states`` row: where the user stands in a multi-step dialog."""

    user_id: int
    dialog: str
    step: str
    data: dict[str, Any]
    definition_version: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class LoadedUser:
    """What the start of an update reads about its user. ``has_notes``: the user has at least one
    row in ``user_notes`` (expired ones included), so a feature asking for a note on an ordinary
    question (the knowledge base's "pressed 👎" note) needs no query when there is none."""

    user: UserRecord
    dialog: DialogRecord | None
    has_notes: bool


class StorageFailed(Exception):
    """The database could not do what the update needed (unreachable, locked for too long, a
    driver error). The conversation answers it with one message; ``cause`` is the driver's
    exception class name, for the log."""

    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause


class UnitOfWork(Protocol):
    """What a handler may use during one update; everything runs in the update's one transaction."""

    @property
    def session(self) -> AsyncSession:
        """An ORM session on the update's transaction, for a feature's own tables (never commits)."""
        ...

    async def execute(self, statement: Any, params: Mapping[str, Any]) -> int:
        """One prepared ``text()`` write; returns the affected row count."""
        ...

    async def fetch(self, statement: Any, params: Mapping[str, Any]) -> list[tuple]:
        """Rows of one prepared ``text()`` read, as tuples."""
        ...

    async def lock(self, *names: str) -> None:
        """Hold a lock on each name until the update ends, across processes (check-then-write)."""
        ...

    # ---- the update's own rows (the conversation and ``Context`` use these) --------------------
    async def record_update(self, channel: str, update_id: str, at: datetime) -> bool: ...

    async def load_turn(self, channel: str, external_id: str) -> LoadedUser | None:
        """The user, their dialog and whether they have notes, in one query; None for a new user."""
        ...

    async def create_user(
        self, channel: str, external_id: str, chat_id: str, language: str, now: datetime, active: bool = True
    ) -> UserRecord: ...

    async def update_user(self, user_id: int, **values: Any) -> None: ...

    async def delete_user(self, user_id: int, now: datetime) -> None:
        """The last step of /forget: the row goes and the audit log keeps no way back to the person."""
        ...

    async def load_dialog(self, user_id: int) -> DialogRecord | None: ...

    async def save_dialog(
        self, user_id: int, dialog: str, step: str, data: dict[str, Any], version: str, now: datetime
    ) -> DialogRecord: ...

    async def delete_dialog(self, user_id: int) -> bool: ...

    async def audit(
        self, at: datetime, actor_user_id: int | None, action: str, subject: str | None, detail: Mapping[str, Any]
    ) -> None: ...


class UpdateStore(Protocol):
    """How the conversation opens an update's unit of work (``bot.storage.db.Database``)."""

    async def run_update(self, lock_name: str, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        """Run ``work`` in one transaction holding ``lock_name``; commit when it returns, roll back
        when it raises. Waits out another process's write lock (running ``work`` again) and turns
        driver errors into ``StorageFailed``."""
        ...

    async def role_of(self, channel: str, external_id: str) -> str | None:
        """A user's role, read outside any update (None for an unknown user)."""
        ...
