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
from bot.status.cards import Audience, StatusCards
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


DIGEST_KIND = "status-digest"


def digest_key(unit_id: int, history_ids: Iterable[int], user_id: int) -> str:
    """The outbox key of an HR contact's summary: the unit, the batch's history rows (so a replayed
    batch adds nothing) and the user. The unit is in it so that removing the contact from that unit
    can find the summary still queued (``StatusCommands.revoke_hr``)."""
    rows = sorted(history_ids)
    return f"{DIGEST_KIND}:u{unit_id}:{rows[0]}-{rows[-1]}-{len(rows)}:{user_id}"


def is_digest_key(key: str) -> bool:
    """Whether an outbox key is an HR summary's (either form): the summaries are status rows too."""
    return key.partition(":")[0] == DIGEST_KIND


def digest_unit_of_key(key: str) -> int | None:
    """The unit an HR summary's key names; None for any other key, and for a summary queued before
    keys named their unit (``status-digest:<rows>:<user>``, which may cover any of the contact's units)."""
    kind, _, rest = key.partition(":")
    unit = rest.partition(":")[0]
    if kind != DIGEST_KIND or not unit.startswith("u") or not unit[1:].isdigit():
        return None
    return int(unit[1:])


#: above this many of one batch's changes of one unit for one of its HR contacts, they get a single summary
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

    def reaches(self, channel: str) -> bool:
        """Whether a user of ``channel`` is ever sent a status notice: what a reply may promise (the
        terminal chat has no push sender, so its users are told to look the status up instead)."""
        return channel in self.channels

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
                summarised = {uid for uid, unit_id in digests if unit_id == event.application.unit_id}
                added += await self._notify(session, event, people, skip_hr=summarised)
        for (_, unit_id), (user, changed) in digests.items():
            added += await self._digest(session, user, unit_id, changed)
        return added

    @staticmethod
    def _hr_digests(
        events: Sequence[StatusChanged], recipients: Mapping[int, Recipients]
    ) -> dict[tuple[int, int], tuple[User, list[StatusChanged]]]:
        """(HR contact, unit) pairs with more than ``HR_DIGEST_FROM`` of the batch's changes (a
        spreadsheet import): the contact gets one summary of that unit instead of a notice per
        applicant, which would bury the rest of their chat. Per unit, because the summary speaks of
        "本单位" and is dropped with the contact's role for that unit. A contact's own application,
        if bound, still gets its own notice."""
        by_pair: dict[tuple[int, int], tuple[User, list[StatusChanged]]] = {}
        for event in events:
            people = recipients.get(event.application.id)
            if not people:
                continue
            own = {u.id for u in people.applicants}
            for user in people.hr:
                if user.id not in own:
                    by_pair.setdefault((user.id, event.application.unit_id), (user, []))[1].append(event)
        return {pair: entry for pair, entry in by_pair.items() if len(entry[1]) > HR_DIGEST_FROM}

    async def _digest(self, session: AsyncSession, user: User, unit_id: int, changed: list[StatusChanged]) -> int:
        """One notice telling an HR contact how many of the unit's applications changed, by state."""
        lang = normalize_language(user.language)
        states = Counter(self.workflow.label(e.application.state, lang) for e in changed)
        parts = [self.services.t("status.notice.hr_digest_state", lang, state=state, count=n) for state, n in states.most_common()]
        text = self.services.t(
            "status.notice.hr_digest", lang, count=len(changed),
            states=self.services.t("status.notice.hr_digest_separator", lang).join(parts),
        )
        key = digest_key(unit_id, (e.history.id for e in changed), user.id)
        added = await enqueue(session, user=user, message=Outbound(text=text), key=key, kind="status", now=self.services.clock.now())
        return 1 if added is not None else 0

    def _values(self, event: StatusChanged, lang: str, audience: Audience = "applicant") -> dict[str, str]:
        """The placeholders of one notice in one language for one audience (rendered once per
        language, audience and event): an HR contact reads the next step as what the applicant or
        the unit has to do, not as "请您…"."""
        app, row = event.application, event.history
        step, due = self.cards.next_step(app, lang, audience)
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
        rendered: dict[tuple[str, Audience], dict[str, str]] = {}
        added = 0
        seen: set[int] = set()
        for kind, users in (("applicant", recipients.applicants), ("hr", recipients.hr)):
            for user in users:
                if user.id in seen or (kind == "hr" and user.id in (skip_hr or ())):
                    continue
                seen.add(user.id)
                lang = normalize_language(user.language)
                if (lang, kind) not in rendered:
                    rendered[lang, kind] = self._values(event, lang, kind)
                message = Outbound(text=self.services.t(f"status.notice.{kind}", lang, **rendered[lang, kind]))
                key = status_key(app.number, row.id, user.id)
                if await enqueue(session, user=user, message=message, key=key, kind="status", now=now) is not None:
                    added += 1
        return added
