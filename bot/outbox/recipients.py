"""Who can receive a push: the one query every cause of pushes (status notices, reminders,
broadcasts) ends with.

A user can receive pushes when they are active (they have written to the bot privately, so their
chat id is theirs, not a group's), have not blocked the bot, and, when the cause says so, are on
one of the channels it pushes to.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.storage.models import User

#: user ids per query (stays under SQLite's bound-parameter limit)
CHUNK = 900

#: the channels pushes go to by default: Telegram (``python -m bot run``) and the web chat's inbox
#: (``python -m bot web``); ``push_channels`` in ``rules/reminders.yaml`` overrides it for broadcasts.
#: The terminal chat has no push sender, so its users are never given a row.
PUSH_CHANNELS = ("telegram", "web")


def _reachable_among(stmt: Select, chunk: list[int], channels: Iterable[str] | None) -> Select:
    """``stmt`` narrowed to the users of ``chunk`` who can receive pushes (on ``channels``)."""
    stmt = stmt.where(User.id.in_(chunk), User.active.is_(True), User.blocked.is_(False))
    return stmt if channels is None else stmt.where(User.channel.in_(list(channels)))


async def reachable(session: AsyncSession, user_ids: Iterable[int], channels: Iterable[str] | None = None) -> list[User]:
    """The users among ``user_ids`` who can receive pushes, by id; ``channels`` None means any."""
    ids = sorted(set(user_ids))
    out: list[User] = []
    for start in range(0, len(ids), CHUNK):
        out.extend((await session.execute(_reachable_among(select(User), ids[start : start + CHUNK], channels))).scalars())
    return sorted(out, key=lambda u: u.id)


async def reachable_counts(session: AsyncSession, user_ids: Iterable[int], channels: Iterable[str] | None,
                           *columns: InstrumentedAttribute) -> Counter[tuple]:
    """How many of the users ``reachable`` would return have each combination of ``columns`` (e.g.
    channel and language), counted by the database: a preview of thousands of recipients then
    builds no user objects."""
    ids = sorted(set(user_ids))
    counts: Counter[tuple] = Counter()
    for start in range(0, len(ids), CHUNK):
        stmt = _reachable_among(select(*columns, func.count()), ids[start : start + CHUNK], channels).group_by(*columns)
        for *values, count in (await session.execute(stmt)).all():
            counts[tuple(values)] += count
    return counts
