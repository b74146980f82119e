"""Per-update context handed to every handler, and the bundle of long-lived services.

Handlers receive a ``Context``: the inbound message, the user row, the open database session (one
transaction per update) and helpers for texts, dialog state and the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.content.office import Office
from bot.content.texts import Texts
from bot.core.messages import Inbound
from bot.storage.models import AuditEntry, DialogState, User

if TYPE_CHECKING:
    from bot.settings import Settings
    from bot.storage.db import Database

STAFF_ROLES = frozenset({"staff", "admin"})


@dataclass
class Services:
    """Long-lived collaborators built once by the composition root (``bot.app``)."""

    settings: Settings
    db: Database
    texts: Texts
    office: Office
    clock: Clock
    extras: dict[str, Any] = field(default_factory=dict)

    def contact_values(self) -> dict[str, str]:
        """Placeholders every text may use: the office's phone, e-mail and address."""
        return {
            "phone": self.office.phone,
            "email": self.office.email,
            "address": self.office.address,
            "qq_group": self.office.qq_group,
        }

    def is_configured_staff(self, channel: str, external_id: str) -> bool:
        """STAFF_IDS holds bare Telegram ids, or ``channel:id`` for other channels."""
        ids = set(self.settings.staff_ids)
        return f"{channel}:{external_id}" in ids or (channel == "telegram" and external_id in ids)


@dataclass
class Context:
    """Everything a handler needs for one update."""

    inbound: Inbound
    user: User
    session: AsyncSession
    services: Services
    #: the user's dialog row as loaded with the user (saves a query per update); ``_dialog_known``
    #: is False until it has been read once
    _dialog: DialogState | None = field(default=None, repr=False)
    _dialog_known: bool = field(default=False, repr=False)

    # ---- texts -----------------------------------------------------------------------------
    def t(self, key: str, **values: Any) -> str:
        """A user-facing text with the office contacts available as placeholders."""
        merged = self.services.contact_values() | values
        return self.services.texts.get(key, **merged)

    @property
    def now(self) -> datetime:
        return self.services.clock.now()

    # ---- roles -----------------------------------------------------------------------------
    @property
    def is_staff(self) -> bool:
        """Checked on every staff command: configuration first, then the role in the database."""
        if self.services.is_configured_staff(self.user.channel, self.user.external_id):
            return True
        return self.user.role in STAFF_ROLES

    # ---- dialog state ----------------------------------------------------------------------
    async def dialog(self) -> DialogState | None:
        if not self._dialog_known:
            self._dialog = await self.session.get(DialogState, self.user.id)
            self._dialog_known = True
        return self._dialog

    async def set_dialog(
        self, dialog: str, step: str, data: dict[str, Any] | None = None, version: str = ""
    ) -> DialogState:
        """Write the user's dialog position now (survives kill -9 once the update commits)."""
        state = await self.dialog()
        if state is None:
            state = DialogState(user_id=self.user.id)
            self.session.add(state)
        state.dialog = dialog
        state.step = step
        state.data = dict(data or {})
        state.definition_version = version
        state.updated_at = self.now
        await self.session.flush()
        self._dialog, self._dialog_known = state, True
        return state

    async def clear_dialog(self) -> bool:
        if self._dialog_known and self._dialog is None:
            return False
        if self._dialog is not None:
            self.session.expunge(self._dialog)
        result = await self.session.execute(delete(DialogState).where(DialogState.user_id == self.user.id))
        self._dialog, self._dialog_known = None, True
        return bool(result.rowcount)

    # ---- audit -----------------------------------------------------------------------------
    async def audit(self, action: str, subject: str | None = None, **detail: Any) -> None:
        """Record an action. Never pass names, ID digits or phone numbers in ``detail``."""
        self.session.add(
            AuditEntry(at=self.now, actor_user_id=self.user.id, action=action, subject=subject, detail=detail)
        )


async def find_user(session: AsyncSession, channel: str, external_id: str) -> User | None:
    result = await session.execute(select(User).where(User.channel == channel, User.external_id == external_id))
    return result.scalar_one_or_none()
