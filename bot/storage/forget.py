"""The last step of /forget: the user row goes, and the audit log keeps no way back to the person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import AuditEntry, User, add_audit


async def anonymise_audit(session: AsyncSession, user_id: int) -> None:
    """Remove a forgotten user's id from the audit log (the actor column and ``user:<id>`` values
    in details); the rows stay, so counts of what happened are kept."""
    marker = f"user:{user_id}"
    rows = await session.execute(select(AuditEntry).where(AuditEntry.actor_user_id == user_id))
    for entry in rows.scalars():
        entry.actor_user_id = None
        detail = entry.detail or {}
        if marker in detail.values():
            entry.detail = {key: ("forgotten" if value == marker else value) for key, value in detail.items()}


async def delete_user_row(session: AsyncSession, user_id: int, now: datetime) -> None:
    """Anonymise the user's audit entries, record that a user was forgotten (no actor), delete the
    row (what other tables keep about the user is the features' ``forget_user`` hooks' work)."""
    await anonymise_audit(session, user_id)
    add_audit(session, now, None, "user.forget")
    await session.execute(delete(User).where(User.id == user_id))
