"""Units and HR contacts: invite codes per unit and revoking a contact, both through the status
feature's commands (the same code as ``python -m bot hr invite``), each audited."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from bot.console import units
from bot.console.applications import local
from bot.console.routing import ConsoleError, NavItem, Route, signed_in
from bot.status.importer import FORMULA_STARTS, clean_unit_name
from bot.status.service import StatusService

if TYPE_CHECKING:
    from bot.console.server import Console

NAV = (NavItem("units", "/units", 60),)
UNIT_NAME_MAX = 100


def routes(console: Console) -> list[Route]:
    def service() -> StatusService:
        return StatusService.of(console.services)

    async def page(request: web.Request, status: int = 200, **extra: object) -> web.StreamResponse:
        async with console.db() as session:
            unit_list = await units.unit_rows(session, console.now())
            contacts = await units.contact_rows(session, console.salt)
        values = {"invite": None, "error": "", "done": ""} | extra
        return console.render(request, "units.html", status=status, units=unit_list, contacts=contacts, local=local,
                              name_max=UNIT_NAME_MAX, **values)

    async def listing(request: web.Request) -> web.StreamResponse:
        return await page(request)

    async def invite(request: web.Request) -> web.StreamResponse:
        form = await request.post()
        name = clean_unit_name(str(form.get("unit", "")))
        if not name or len(name) > UNIT_NAME_MAX:
            return await page(request, status=400, error=console.t("console.units.bad_name", limit=UNIT_NAME_MAX))
        if name.startswith(FORMULA_STARTS):  # refused as on an import row (=HYPERLINK(…) is no unit)
            return await page(request, status=400, error=console.t("status.import_errors.formula"))
        async with console.db() as session:
            code, expires, unit = await service().commands.create_invite(session, name)
            console.audit(session, request, "invite_create", target=unit.name)
        return await page(request, invite={"code": code, "unit": unit.name, "until": local(expires)})

    async def revoke(request: web.Request) -> web.StreamResponse:
        contact_id = request.match_info["contact"]
        async with console.db() as session:
            found = await service().commands.revoke_hr(
                session, int(contact_id), actor=f"console:{signed_in(request).account.login}"
            )
            if found is None:
                raise ConsoleError(404, "console.units.no_contact")
            unit, user = found
            reference = units.contact_reference(console.salt, user.id)
            console.audit(session, request, "hr_revoke", target=unit.name, details={"contact": reference})
        return await page(request, done=console.t("console.units.revoked", unit=unit.name, contact=reference))

    return [
        Route("GET", "/units", listing),
        Route("POST", "/units/invite", invite),
        Route("POST", r"/units/contacts/{contact:\d{1,9}}/revoke", revoke),
    ]
