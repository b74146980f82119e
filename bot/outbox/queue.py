"""Enqueue pushes. Call inside the transaction that causes the push (status change, broadcast…)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Outbound
from bot.core.unit_of_work import UserRecord
from bot.outbox.models import OutboxMessage
from bot.storage.models import User


async def enqueue(
    session: AsyncSession,
    *,
    user: User | UserRecord,
    message: Outbound,
    key: str,
    kind: str,
    now: datetime,
    not_before: datetime | None = None,
    urgent: bool = False,
    broadcast_id: int | None = None,
) -> OutboxMessage | None:
    """Add one push for ``user`` unless a row with ``key`` exists already (then return None).

    ``key`` must identify the push, not the attempt: e.g. ``status:{app_no}:{history_id}:{user_id}``.
    """
    existing = await session.execute(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key))
    if existing.first() is not None:
        return None
    row = OutboxMessage(
        idempotency_key=key,
        user_id=user.id,
        channel=user.channel,
        chat_id=user.chat_id,
        kind=kind,
        payload=message.model_dump(mode="json"),
        state="pending",
        urgent=urgent,
        attempts=0,
        not_before=not_before or now,
        broadcast_id=broadcast_id,
        created_at=now,
    )
    async with session.begin_nested():
        session.add(row)
    return row


def payload_to_outbound(payload: dict) -> Outbound:
    return Outbound.model_validate(payload)
