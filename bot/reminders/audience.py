"""Who receives what: subscription topics with role defaults, reminder audiences, broadcast segments.

Only explicit choices are stored (``Subscription``); a user without a row for a topic gets the
default of their roles (``default_for`` in ``rules/reminders.yaml``). An explicit opt-out always
wins, including for HR contacts, who are subscribed to their unit's notices by default.

Roles here are derived, not stored: ``hr`` = has an HR-contact row for some unit, ``bound`` = bound
to an application, ``staff`` = staff role, ``applicant`` = every user. That last one is a topic
default (通知公告 reaches everyone who did not opt out), not the broadcast segment of the same name.

Broadcast segments (``SEGMENT_KINDS``), before opt-outs and reachability:

- ``all``: every user who ever wrote to the bot (applicants, HR contacts, staff, the merely curious);
- ``applicants``: users bound to at least one application (``/bind`` with the ID check), HR contacts
  and staff included when they bound their own. A user row says nothing more: ``users.role`` is
  "applicant" for anyone who said hello, so it cannot tell an applicant from a visitor;
- ``hr``: HR contacts of any unit;
- ``level`` / ``state``: users bound to an application at that level / in that state;
- ``unit``: users bound to one of the unit's applications, and the unit's HR contacts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.unit_of_work import UserRecord
from bot.outbox.recipients import PUSH_CHANNELS, reachable, reachable_counts
from bot.reminders.definitions import RemindersFile
from bot.reminders.models import Subscription
from bot.status.links import bound_by_application, hr_by_unit, union
from bot.status.models import Application, Binding, HrContact
from bot.storage.models import User

SEGMENT_KINDS = ("all", "applicants", "hr", "level", "state", "unit")


@dataclass(frozen=True)
class Segment:
    """A broadcast audience: ``kind`` and, for level/state/unit, the id it is narrowed to."""

    kind: str
    value: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"kind": self.kind, "value": self.value}

    @classmethod
    def from_dict(cls, data: dict) -> Segment:
        return cls(kind=str(data.get("kind")), value=data.get("value"))


async def hr_user_ids(session: AsyncSession, unit_id: int | None = None) -> set[int]:
    """HR contacts of one unit, or of every unit."""
    return union(await hr_by_unit(session, None if unit_id is None else [unit_id]))


async def bound_user_ids(session: AsyncSession, application_ids: Iterable[int] | None = None) -> set[int]:
    """Applicants bound to these applications, or to any."""
    return union(await bound_by_application(session, application_ids))


class Subscriptions:
    """Topic membership for a set of users, combining explicit rows with role defaults."""

    def __init__(self, rules: RemindersFile) -> None:
        self.rules = rules

    async def explicit(self, session: AsyncSession, topic: str) -> dict[int, bool]:
        rows = await session.execute(select(Subscription.user_id, Subscription.active).where(Subscription.topic == topic))
        return dict(rows.all())

    async def roles(self, session: AsyncSession, user: UserRecord) -> set[str]:
        roles = {"applicant"}
        if user.role in ("staff", "admin"):
            roles.add("staff")
        if await session.scalar(select(HrContact.id).where(HrContact.user_id == user.id).limit(1)) is not None:
            roles.add("hr")
        if await session.scalar(select(Binding.id).where(Binding.user_id == user.id).limit(1)) is not None:
            roles.add("bound")
        return roles

    async def is_subscribed(self, session: AsyncSession, user: UserRecord, topic_id: str) -> bool:
        row = await session.scalar(
            select(Subscription.active).where(Subscription.user_id == user.id, Subscription.topic == topic_id)
        )
        if row is not None:
            return bool(row)
        topic = self.rules.topic(topic_id)
        return bool(topic and set(topic.default_for) & await self.roles(session, user))

    async def set(self, session: AsyncSession, user: UserRecord, topic_id: str, active: bool, now) -> None:  # noqa: ANN001
        row = await session.scalar(
            select(Subscription).where(Subscription.user_id == user.id, Subscription.topic == topic_id)
        )
        if row is None:
            session.add(Subscription(user_id=user.id, topic=topic_id, active=active, updated_at=now))
        else:
            row.active = active
            row.updated_at = now
        await session.flush()

    async def filter(self, session: AsyncSession, user_ids: Iterable[int], topic_id: str) -> set[int]:
        """The users among ``user_ids`` subscribed to ``topic_id`` (explicitly or by default)."""
        ids = set(user_ids)
        if not ids:
            return set()
        topic = self.rules.topic(topic_id)
        defaults = set(topic.default_for) if topic else set()
        explicit = await self.explicit(session, topic_id)
        by_default: set[int] = set()
        if "applicant" in defaults:
            by_default = set(ids)
        else:
            if "hr" in defaults:
                by_default |= await hr_user_ids(session) & ids
            if "bound" in defaults:
                by_default |= await bound_user_ids(session) & ids
            if "staff" in defaults:
                staff = await session.execute(select(User.id).where(User.role.in_(["staff", "admin"])))
                by_default |= set(staff.scalars()) & ids
        return {uid for uid in ids if explicit.get(uid, uid in by_default)}

    async def topic_members(self, session: AsyncSession, topic_id: str) -> set[int]:
        """Everyone subscribed to a topic (explicit rows plus the role defaults)."""
        topic = self.rules.topic(topic_id)
        defaults = set(topic.default_for) if topic else set()
        candidates: set[int] = {uid for uid, active in (await self.explicit(session, topic_id)).items() if active}
        if "applicant" in defaults:
            candidates |= set((await session.execute(select(User.id))).scalars())
        if "hr" in defaults:
            candidates |= await hr_user_ids(session)
        if "bound" in defaults:
            candidates |= await bound_user_ids(session)
        return await self.filter(session, candidates, topic_id)


async def segment_user_ids(session: AsyncSession, segment: Segment) -> set[int]:
    """Users of a broadcast segment, before the reachability and opt-out filters."""
    kind, value = segment.kind, segment.value
    if kind == "all":
        return set((await session.execute(select(User.id))).scalars())
    if kind == "hr":
        return await hr_user_ids(session)
    if kind == "applicants":
        # bound applicants only: the role column is "applicant" for every visitor (module docstring)
        return await bound_user_ids(session)
    if kind in ("level", "state"):
        column = Application.level if kind == "level" else Application.state
        apps = await session.execute(select(Application.id).where(column == value))
        return await bound_user_ids(session, list(apps.scalars()))
    if kind == "unit":
        if value is None or not str(value).isdigit():
            return set()
        unit_id = int(value)
        apps = await session.execute(select(Application.id).where(Application.unit_id == unit_id))
        return await bound_user_ids(session, list(apps.scalars())) | await hr_user_ids(session, unit_id)
    raise ValueError(f"unknown segment kind {kind!r}")


async def segment_recipients(
    session: AsyncSession, segment: Segment, subscriptions: Subscriptions, channels: Iterable[str] | None = PUSH_CHANNELS
) -> list[User]:
    """Reachable users of the segment who did not opt out of 通知公告 (notices)."""
    ids = await subscriptions.filter(session, await segment_user_ids(session, segment), "notices")
    return await reachable(session, ids, channels)


async def segment_recipient_counts(
    session: AsyncSession, segment: Segment, subscriptions: Subscriptions, channels: Iterable[str] | None = PUSH_CHANNELS
) -> Counter[tuple[str, str | None]]:
    """The recipients ``segment_recipients`` would return, counted by (channel, stored language):
    the same users, without loading them (for previews)."""
    ids = await subscriptions.filter(session, await segment_user_ids(session, segment), "notices")
    return await reachable_counts(session, ids, channels, User.channel, User.language)
