"""Read-only status queries over the caller's session: applications, their history, units, who
may see what. No writes here, so every handler may call them freely."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.unit_of_work import UserRecord
from bot.status.models import Application, Binding, HrContact, StatusHistory, Unit


class StatusQueries:
    """Stateless lookups (built once with the rest of ``StatusService``)."""

    async def find(self, session: AsyncSession, number: str, for_update: bool = False) -> Application | None:
        """The application; ``for_update`` (a staff change): its row locked until the transaction
        ends, so a concurrent change or import waits and then sees the new state."""
        query = select(Application).where(Application.number == number)
        result = await session.execute(query.with_for_update() if for_update else query)
        return result.scalar_one_or_none()

    async def unit_of(self, session: AsyncSession, app: Application) -> Unit | None:
        return await session.get(Unit, app.unit_id)

    async def unit_named(self, session: AsyncSession, name: str) -> Unit | None:
        result = await session.execute(select(Unit).where(Unit.name == name.strip()))
        return result.scalar_one_or_none()

    async def history(self, session: AsyncSession, app: Application) -> list[StatusHistory]:
        result = await session.execute(
            select(StatusHistory).where(StatusHistory.application_id == app.id).order_by(StatusHistory.at, StatusHistory.id)
        )
        return list(result.scalars())

    async def bound_applications(self, session: AsyncSession, user: UserRecord) -> list[Application]:
        result = await session.execute(
            select(Application)
            .join(Binding, Binding.application_id == Application.id)
            .where(Binding.user_id == user.id)
            .order_by(Application.number)
        )
        return list(result.scalars())

    async def hr_units(self, session: AsyncSession, user: UserRecord) -> list[Unit]:
        result = await session.execute(
            select(Unit).join(HrContact, HrContact.unit_id == Unit.id).where(HrContact.user_id == user.id).order_by(Unit.name)
        )
        return list(result.scalars())

    async def may_view(self, session: AsyncSession, user: UserRecord, is_staff: bool, app: Application) -> bool:
        """Staff, the unit's HR contacts and bound applicants may see an application."""
        if is_staff:
            return True
        hr = await session.execute(
            select(HrContact.id).where(HrContact.user_id == user.id, HrContact.unit_id == app.unit_id)
        )
        if hr.first() is not None:
            return True
        bound = await session.execute(
            select(Binding.id).where(Binding.user_id == user.id, Binding.application_id == app.id)
        )
        return bound.first() is not None

    async def unit_page(self, session: AsyncSession, unit_id: int, page: int, size: int) -> tuple[list[Application], int]:
        total = (
            await session.execute(select(func.count()).select_from(Application).where(Application.unit_id == unit_id))
        ).scalar_one()
        result = await session.execute(
            select(Application)
            .where(Application.unit_id == unit_id)
            .order_by(Application.number)
            .offset(page * size)
            .limit(size)
        )
        return list(result.scalars()), int(total)
