"""Per-update context handed to every handler, and the bundle of long-lived services.

Handlers receive a ``Context``: the inbound message, the user's record, the update's unit of work
(``ctx.uow``, the one way into the database; ``bot.core.unit_of_work``) and helpers for texts, the
user row, dialog state and the audit log.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from bot.clock import Clock
from bot.content.office import ADDRESS_EN, Office, contacts_in
from bot.content.texts import DEFAULT_LANGUAGE, Texts, normalize_language
from bot.core.messages import Inbound, Outbound
from bot.core.unit_of_work import DialogRecord, UnitOfWork, UserRecord

if TYPE_CHECKING:
    from bot.reference.cycles import CycleCalendar
    from bot.settings import Settings
    from bot.storage.db import Database

STAFF_ROLES = frozenset({"staff", "admin"})
#: a dialog untouched this long is over: the next text or button press starts afresh
DIALOG_IDLE_LIMIT = timedelta(hours=24)
C = TypeVar("C")


@dataclass
class Services:
    """Long-lived collaborators built once by the composition root (``bot.app``)."""

    settings: Settings
    db: Database
    texts: Texts
    office: Office
    clock: Clock
    #: the review cycles on file (current cycle, fees, paper-form days, reminder span), read once
    cycles: CycleCalendar
    #: the directory holding ``dialogs/``, ``knowledge/`` and ``rules/`` (tests pass a copy)
    content_root: Path
    #: a feature's own long-lived objects (its service, its loaded rules), one per class; the core
    #: cannot name feature classes, so they are keyed by class and looked up with ``component``
    _components: dict[type, object] = field(default_factory=dict, repr=False)

    def component(self, kind: type[C], build: Callable[[], C]) -> C:
        """The one ``kind`` object of this process, built by ``build`` the first time it is asked for.

        Features build theirs when the app is built (so content errors stop start-up); tools that
        build ``Services`` without a feature get it on first use.
        """
        found = self._components.get(kind)
        if found is None:
            found = self._components[kind] = build()
        return cast(C, found)

    def contact_values(self, lang: str | None = None) -> dict[str, str]:
        """Placeholders every text may use: the office's phone, e-mail and address (glossed in
        English for ``lang="en"``; without a language the English address rides along as
        ``address_en`` for code that fills texts per recipient, see ``contacts_in``)."""
        values = {
            "phone": self.office.phone,
            "email": self.office.email,
            "address": self.office.address,
            "qq_group": self.office.qq_group,
        }
        if self.office.address_en:
            values[ADDRESS_EN] = self.office.address_en
        return contacts_in(values, lang)

    def t(self, key: str, lang: str = DEFAULT_LANGUAGE, **values: Any) -> str:
        """A user-facing text in ``lang`` with the office contacts available as placeholders."""
        return self.texts.get(key, lang, **(self.contact_values(lang) | values))

    def is_configured_staff(self, channel: str, external_id: str) -> bool:
        """STAFF_IDS holds bare Telegram ids, or ``channel:id`` for other channels."""
        ids = set(self.settings.staff_ids)
        return f"{channel}:{external_id}" in ids or (channel == "telegram" and external_id in ids)


class Context:
    """Everything a handler needs for one update.

    ``user`` is the user's row as read when the update arrived (a frozen ``UserRecord``; change it
    with ``update_user``). ``uow`` is the update's unit of work: the only way into the database
    while the update runs (its ``session`` for a feature's own tables, ``execute`` / ``fetch`` for
    prepared statements), all in the update's one transaction. Dialog state goes through
    ``dialog`` / ``set_dialog`` / ``clear_dialog``.
    """

    def __init__(
        self,
        inbound: Inbound,
        user: UserRecord,
        services: Services,
        uow: UnitOfWork,
        dialog: DialogRecord | None = None,
        dialog_known: bool = False,
        prepared: Any = None,
        has_notes: bool = True,
    ) -> None:
        self.inbound = inbound
        self.user = user
        self.services = services
        self.uow = uow
        #: the user's dialog row as loaded with the user (saves a query per update);
        #: ``_dialog_known`` is False until it has been read once
        self._dialog = dialog
        self._dialog_known = dialog_known
        #: what a feature's ``prepare_document`` produced for this update before its transaction
        self.prepared = prepared
        #: False when the user had no note (``bot.storage.user_notes``) as the update began and none was
        #: written since: reading one needs no query. True (the safe default) means "maybe".
        self.has_notes = has_notes
        #: set by the conversation while a dialog reads the text: the knowledge base's sure answer to
        #: a question typed where the dialog expected a choice ([] when it is not sure), so a dialog
        #: can answer 纸质表交到哪 in passing and ask its question again instead of "not understood"
        self.aside: Callable[[str], Awaitable[list[Outbound]]] | None = None

    # ---- texts -----------------------------------------------------------------------------
    @property
    def language(self) -> str:
        """The language of this turn's replies: the user's (``users.language``, "zh" or "en")."""
        return normalize_language(self.user.language)

    def t(self, key: str, **values: Any) -> str:
        """A user-facing text in the user's language, with the office contacts as placeholders."""
        return self.services.t(key, self.language, **values)

    @property
    def now(self) -> datetime:
        return self.services.clock.now()

    # ---- the user --------------------------------------------------------------------------
    @property
    def is_staff(self) -> bool:
        """Checked on every staff command: configuration first, then the role in the database."""
        if self.services.is_configured_staff(self.user.channel, self.user.external_id):
            return True
        return self.user.role in STAFF_ROLES

    async def update_user(self, **values: Any) -> None:
        """Change columns of the user's row now; ``user`` shows the new values afterwards."""
        await self.uow.update_user(self.user.id, **values)
        self.user = replace(self.user, **values)

    # ---- dialog state ----------------------------------------------------------------------
    async def dialog(self) -> DialogRecord | None:
        if not self._dialog_known:
            self._dialog = await self.uow.load_dialog(self.user.id)
            self._dialog_known = True
        return self._dialog

    async def set_dialog(
        self, dialog: str, step: str, data: dict[str, Any] | None = None, version: str = ""
    ) -> DialogRecord:
        """Write the user's dialog position now (survives kill -9 once the update commits)."""
        state = await self.uow.save_dialog(self.user.id, dialog, step, dict(data or {}), version, self.now)
        self._dialog, self._dialog_known = state, True
        return state

    async def clear_dialog(self) -> bool:
        if self._dialog_known and self._dialog is None:
            return False
        removed = await self.uow.delete_dialog(self.user.id)
        self._dialog, self._dialog_known = None, True
        return removed

    async def expire_idle_dialog(self, dialog: str | None = None) -> bool:
        """End the user's dialog (only ``dialog``, when given) if untouched for ``DIALOG_IDLE_LIMIT``;
        True when it was ended, so the caller says so (``dialog.expired``) instead of answering a
        step the user has long forgotten."""
        state = await self.dialog()
        if state is None or state.updated_at is None or (dialog is not None and state.dialog != dialog):
            return False
        if self.now - state.updated_at <= DIALOG_IDLE_LIMIT:
            return False
        await self.clear_dialog()
        return True

    # ---- audit -----------------------------------------------------------------------------
    async def audit(self, action: str, subject: str | None = None, **detail: Any) -> None:
        """Record an action. Never pass names, ID digits or phone numbers in ``detail``."""
        await self.uow.audit(self.now, self.user.id, action, subject, detail)
