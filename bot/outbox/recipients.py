"""Who can receive a push: the one query every cause of pushes (status notices, reminders,
broadcasts) ends with.

A user can receive pushes when they are active (they have written to the bot privately, so their
chat id is theirs, not a group's), have not blocked the bot, and, when the cause says so, are on
one of the channels it pushes to.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import User

#: user ids per query (stays under SQLite's bound-parameter limit)
CHUNK = 900


async def reachable(session: AsyncSession, user_ids: Iterable[int], channels: Iterable[str] | None = None) -> list[User]:
    """The users among ``user_ids`` who can receive pushes, by id; ``channels`` None means any."""
    ids = sorted(set(user_ids))
    if not ids:
        return []
    out: list[User] = []
    for start in range(0, len(ids), CHUNK):
        stmt = select(User).where(User.id.in_(ids[start : start + CHUNK]), User.active.is_(True), User.blocked.is_(False))
        if channels is not None:
            stmt = stmt.where(User.channel.in_(list(channels)))
        out.extend((await session.execute(stmt)).scalars())
    return sorted(out, key=lambda u: u.id)
