"""Who is linked to an application or a unit: bound applicants and units' HR contacts.

The one place that reads the link tables for pushes: status notices group them by application and
unit, reminders and broadcasts take the union. Reachability (active, not blocked, channel) is
``bot.outbox.recipients.reachable``'s job, not this module's.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.status.models import Binding, HrContact

#: keys per query (keeps the IN list within every database's limits)
CHUNK = 500


async def _linked(session: AsyncSession, key: Any, user_id: Any, keys: Iterable[int] | None) -> dict[int, set[int]]:
    """User ids per ``key`` value of a link table; every row when ``keys`` is None."""
    found: dict[int, set[int]] = {}
    if keys is None:
        batches: list[list[int] | None] = [None]
    else:
        wanted = sorted(set(keys))
        batches = [wanted[i : i + CHUNK] for i in range(0, len(wanted), CHUNK)]
    for batch in batches:
        stmt = select(key, user_id)
        if batch is not None:
            stmt = stmt.where(key.in_(batch))
        for value, uid in await session.execute(stmt):
            found.setdefault(value, set()).add(uid)
    return found


async def bound_by_application(session: AsyncSession, application_ids: Iterable[int] | None = None) -> dict[int, set[int]]:
    """Bound applicants' user ids per application (of ``application_ids``, or of all)."""
    return await _linked(session, Binding.application_id, Binding.user_id, application_ids)


async def hr_by_unit(session: AsyncSession, unit_ids: Iterable[int] | None = None) -> dict[int, set[int]]:
    """HR contacts' user ids per unit (of ``unit_ids``, or of all)."""
    return await _linked(session, HrContact.unit_id, HrContact.user_id, unit_ids)


def union(linked: dict[int, set[int]]) -> set[int]:
    """Every user id of a ``bound_by_application`` / ``hr_by_unit`` answer."""
    return set().union(*linked.values()) if linked else set()
