"""Status notices: the ``StatusChanged`` event and its one handler, which writes the notices into
the outbox in the same transaction as the change.

Every state change (``/setstatus``, the CLI, a spreadsheet import) raises ``StatusChanged`` once
its history row exists; ``StatusNotices.on_changed`` takes a batch of them, finds the recipients of
the whole batch (the link tables, ``bot.status.links``, then who can receive pushes,
``bot.outbox.recipients``) and enqueues one notice per person, in that person's language. The outbox
key is per application, history row and user, so a replayed event adds nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.texts import local_date, normalize_language
from bot.core.context import Services
from bot.core.messages import Outbound
from bot.outbox.queue import enqueue
from bot.outbox.recipients import PUSH_CHANNELS, reachable
from bot.status.cards import StatusCards
from bot.status.links import bound_by_application, hr_by_unit, union
from bot.status.models import Application, StatusHistory
from bot.status.personal import mask_name
from bot.storage.models import User


def status_key(number: str, row_id: int, user_id: int) -> str:
    """The outbox key of one notice: per application, history row and user."""
    return f"status:{number}:{row_id}:{user_id}"


def number_of_key(key: str) -> str | None:
    """The application number a notice's outbox key names (None for any other key)."""
    kind, _, rest = key.partition(":")
    return rest.partition(":")[0] if kind == "status" else None


#: above this many of one batch's changes for one HR contact, they get a single summary
HR_DIGEST_FROM = 3


@dataclass(frozen=True)
class StatusChanged:
    """An application entered a new state; ``history`` is its (flushed) history row."""

    application: Application
    history: StatusHistory


@dataclass
class Recipients:
    applicants: list[User]
    hr: list[User]

    def __bool__(self) -> bool:
        return bool(self.applicants or self.hr)


class StatusNotices:
    """The handler of ``StatusChanged``; built once with the rest of ``StatusService``."""

    def __init__(self, services: Services, cards: StatusCards, channels: Iterable[str] = PUSH_CHANNELS) -> None:
        self.services = services
        self.cards = cards
        self.workflow = cards.workflow
        #: the channels notices are pushed to, as for reminders and broadcasts: a user of any other
        #: channel (the terminal chat) could never be sent a row, so none is written for them
        self.channels = tuple(channels)

    async def recipients(self, session: AsyncSession, apps: Sequence[Application]) -> dict[int, Recipients]:
        """Bound applicants and unit HR contacts of many applications who can receive pushes on the
        push channels: one query per link table and one for the users (``reachable``, as reminders
        and broadcasts)."""
        if not apps:
            return {}
        by_app = await bound_by_application(session, {a.id for a in apps})
        by_unit = await hr_by_unit(session, {a.unit_id for a in apps})
        users = {u.id: u for u in await reachable(session, union(by_app) | union(by_unit), self.channels)}

        def people(ids: set[int]) -> list[User]:
            return [users[uid] for uid in sorted(ids) if uid in users]

        return {a.id: Recipients(people(by_app.get(a.id, set())), people(by_unit.get(a.unit_id, set()))) for a in apps}

    async def on_changed(
        self, session: AsyncSession, events: Sequence[StatusChanged], recipients: Mapping[int, Recipients] | None = None
    ) -> int:
        """Write the notices of ``events`` into the outbox; returns how many were added.

        ``recipients`` (by application id) may be passed when the caller has them already.
        """
        if not events:
            return 0
        if recipients is None:
            recipients = await self.recipients(session, [e.application for e in events])
        digests = self._hr_digests(events, recipients)
        added = 0
        for event in events:
            people = recipients.get(event.application.id)
            if people:
                added += await self._notify(session, event, people, skip_hr=set(digests))
        for user, changed in digests.values():
            added += await self._digest(session, user, changed)
        return added

    @staticmethod
    def _hr_digests(
        events: Sequence[StatusChanged], recipients: Mapping[int, Recipients]
    ) -> dict[int, tuple[User, list[StatusChanged]]]:
        """HR contacts with more than ``HR_DIGEST_FROM`` of the batch's changes (a spreadsheet
        import): they get one summary instead of a notice per applicant, which would bury the rest
        of their chat. A contact's own application, if bound, still gets its own notice."""
        by_user: dict[int, tuple[User, list[StatusChanged]]] = {}
        for event in events:
            people = recipients.get(event.application.id)
            if not people:
                continue
            own = {u.id for u in people.applicants}
            for user in people.hr:
                if user.id not in own:
                    by_user.setdefault(user.id, (user, []))[1].append(event)
        return {uid: entry for uid, entry in by_user.items() if len(entry[1]) > HR_DIGEST_FROM}

    async def _digest(self, session: AsyncSession, user: User, changed: list[StatusChanged]) -> int:
        """One notice telling an HR contact how many of the unit's applications changed, by state."""
        lang = normalize_language(user.language)
        states = Counter(self.workflow.label(e.application.state, lang) for e in changed)
        parts = [self.services.t("status.notice.hr_digest_state", lang, state=state, count=n) for state, n in states.most_common()]
        text = self.services.t(
            "status.notice.hr_digest", lang, count=len(changed),
            states=self.services.t("status.notice.hr_digest_separator", lang).join(parts),
        )
        rows = sorted(e.history.id for e in changed)
        # the batch's history rows name it: a replayed batch adds nothing
        key = f"status-digest:{rows[0]}-{rows[-1]}-{len(rows)}:{user.id}"
        added = await enqueue(session, user=user, message=Outbound(text=text), key=key, kind="status", now=self.services.clock.now())
        return 1 if added is not None else 0

    def _values(self, event: StatusChanged, lang: str) -> dict[str, str]:
        """The placeholders of one notice in one language (rendered once per language and event)."""
        app, row = event.application, event.history
        step, due = self.cards.next_step(app, lang)
        return {
            "number": app.number,
            "name": mask_name(app.applicant_name),
            "state": self.workflow.label(app.state, lang),
            "explanation": self.cards.explanation(app, lang),
            "note": self.services.t("status.notice.note", lang, note=row.note) if row.note else "",
            "step": step,
            "due": self.services.t("status.notice.due", lang, due=local_date(due, lang)) if due else "",
        }

    async def _notify(
        self, session: AsyncSession, event: StatusChanged, recipients: Recipients, skip_hr: set[int] | None = None
    ) -> int:
        """One notice per person, each in the recipient's own language (``users.language``); the HR
        contacts in ``skip_hr`` get the batch's summary instead."""
        app, row = event.application, event.history
        now = self.services.clock.now()
        by_language: dict[str, dict[str, str]] = {}
        added = 0
        seen: set[int] = set()
        for kind, users in (("applicant", recipients.applicants), ("hr", recipients.hr)):
            for user in users:
                if user.id in seen or (kind == "hr" and user.id in (skip_hr or ())):
                    continue
                seen.add(user.id)
                lang = normalize_language(user.language)
                if lang not in by_language:
                    by_language[lang] = self._values(event, lang)
                message = Outbound(text=self.services.t(f"status.notice.{kind}", lang, **by_language[lang]))
                key = status_key(app.number, row.id, user.id)
                if await enqueue(session, user=user, message=message, key=key, kind="status", now=now) is not None:
                    added += 1
        return added
