"""Units and their HR contacts for the console: one grouped query per figure, contacts masked.

Writes (invite codes, revoking a contact) go through ``StatusService.commands``; this module only
reads. A contact is shown by channel and a short salted reference, never by chat id, so the page
tells contacts apart without showing anything that identifies the person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.status.models import Application, HrContact, InviteCode, Unit
from bot.status.personal import keyed_hash
from bot.storage.models import User


@dataclass
class UnitRow:
    id: int
    name: str
    applications: int
    contacts: int
    open_invites: int


@dataclass
class ContactRow:
    id: int
    unit: str
    channel: str
    reference: str  # a short salted hash of the user id
    since: datetime


def contact_reference(salt: str, user_id: int) -> str:
    """``HR-`` and 8 characters of a salted hash: the same person keeps the same reference."""
    return "HR-" + keyed_hash(salt, "console-hr-contact", str(user_id))[:8].upper()


async def unit_rows(session: AsyncSession, now: datetime) -> list[UnitRow]:
    apps = dict((await session.execute(select(Application.unit_id, func.count()).group_by(Application.unit_id))).all())
    contacts = dict((await session.execute(select(HrContact.unit_id, func.count()).group_by(HrContact.unit_id))).all())
    invites = dict((await session.execute(
        select(InviteCode.unit_id, func.count())
        .where(InviteCode.used_at.is_(None), InviteCode.expires_at > now)
        .group_by(InviteCode.unit_id)
    )).all())
    units = (await session.execute(select(Unit.id, Unit.name).order_by(Unit.name))).all()
    return [UnitRow(i, n, int(apps.get(i, 0)), int(contacts.get(i, 0)), int(invites.get(i, 0))) for i, n in units]


async def contact_rows(session: AsyncSession, salt: str) -> list[ContactRow]:
    rows = await session.execute(
        select(HrContact.id, Unit.name, User.channel, User.id, HrContact.created_at)
        .join(Unit, Unit.id == HrContact.unit_id)
        .join(User, User.id == HrContact.user_id)
        .order_by(Unit.name, HrContact.created_at)
    )
    return [ContactRow(cid, unit, channel, contact_reference(salt, uid), since) for cid, unit, channel, uid, since in rows]
