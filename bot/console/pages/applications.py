"""Applications: the filtered table, a detail page with the history, the state change (through the
status feature's ``change_state``, so history, audit and notices are written in one transaction, as
for ``/setstatus``) and the export of the filtered table.

An export holds at most ``EXPORT_LIMIT`` rows: a longer one ends with a row saying where it was cut
and how to narrow the filter (the page says so next to the buttons too), and the file is built in a
worker thread so that the event loop keeps serving other pages meanwhile."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web

from bot.console import applications as apps
from bot.console.routing import ConsoleError, NavItem, Route, signed_in
from bot.status.commands import NOTE_MAX
from bot.status.personal import mask_name
from bot.status.service import StatusInputError, StatusService, TransitionRefused

if TYPE_CHECKING:
    from bot.console.server import Console

NAV = (NavItem("applications", "/applications", 20),)
COLUMNS = ("number", "name", "level", "unit", "state", "state_at", "updated_at")
#: the change form names the state it was shown in (hidden field): a form from an older view of the
#: application (another staff member, a chat command or an import changed it since) is refused
#: instead of being applied to a state its sender never saw
SOURCE_FIELD = "source"


def routes(console: Console) -> list[Route]:
    def service() -> StatusService:
        return StatusService.of(console.services)

    def actor_label(actor: str) -> str:
        """Who made a change, without a chat user's id: a console login, the import, the CLI, chat staff."""
        if actor.startswith("console:"):
            return actor.removeprefix("console:")
        key = {"import": "actor_import", "cli": "actor_cli", "forgotten": "actor_forgotten"}.get(actor, "actor_chat")
        return console.t(f"console.applications.{key}")

    async def listing(request: web.Request) -> web.StreamResponse:
        workflow = service().workflow
        where = apps.parse_filter(request.query, workflow)
        async with console.db() as session:
            page = await apps.page_of(session, where, workflow)
            units = await apps.units(session)
        template = "applications_table.html" if request.headers.get("HX-Request") else "applications.html"
        return console.render(request, template, page=page, units=units, workflow=workflow, local=apps.local,
                              sorts=list(apps.SORTS), export_limit=apps.EXPORT_LIMIT)

    async def export(request: web.Request) -> web.StreamResponse:
        kind = request.match_info["kind"]
        workflow = service().workflow
        where = apps.parse_filter(request.query, workflow)
        limit = apps.EXPORT_LIMIT
        async with console.db() as session:
            rows = await apps.export_rows(session, where, workflow, limit)
            cut = len(rows) > limit
            rows = rows[:limit]
            console.audit(session, request, "applications_export", details={
                "rows": len(rows), "format": kind, "filter": where.query_string(page=0), "cut": cut})
        header = [console.t(f"console.applications.col_{c}") for c in COLUMNS]
        note = console.t("console.applications.export_cut", limit=limit) if cut else ""
        body = await asyncio.to_thread(apps.build_export, kind, header, rows, note)
        content_type = "text/csv" if kind == "csv" else \
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        headers = {"Content-Disposition": f'attachment; filename="applications.{kind}"'}
        if cut:
            headers["X-Export-Cut-At"] = str(limit)
        return web.Response(body=body, content_type=content_type, headers=headers)

    async def detail_page(request: web.Request, status: int = 200, error: str = "", done: str = "",
                          note: str = "") -> web.StreamResponse:
        svc = service()
        workflow = svc.workflow
        number = workflow.normalize_number(request.match_info["number"])
        async with console.db() as session:
            app = await svc.queries.find(session, number) if workflow.valid_number(number) else None
            if app is None:
                raise ConsoleError(404, "console.applications.not_found")
            unit = await svc.queries.unit_of(session, app)
            history = await svc.queries.history(session, app)
        targets = [t for t in workflow.states[app.state].transitions if workflow.allowed(app.state, t, app.level)] \
            if app.state in workflow.states else []
        return console.render(
            request, "application_detail.html", status=status, app=app, unit=unit.name if unit else "",
            name=mask_name(app.applicant_name), history=history, workflow=workflow, targets=targets,
            local=apps.local, status_time=apps.status_time, actor_label=actor_label, error=error, done=done,
            note=note, note_max=NOTE_MAX,
        )

    async def detail(request: web.Request) -> web.StreamResponse:
        return await detail_page(request)

    async def change(request: web.Request) -> web.StreamResponse:
        svc = service()
        workflow = svc.workflow
        number = workflow.normalize_number(request.match_info["number"])
        form = await request.post()
        target = str(form.get("target", ""))
        seen = str(form.get(SOURCE_FIELD, ""))
        note = str(form.get("note", "")).strip()
        login = signed_in(request).account.login
        error = done = ""
        async with console.db() as session:
            # the row stays locked until the change is committed (PostgreSQL; SQLite admits one
            # writer), so of two staff sending a change at once the second sees the first's state
            app = await svc.queries.find(session, number, for_update=True) if workflow.valid_number(number) else None
            if app is None:
                raise ConsoleError(404, "console.applications.not_found")
            source = app.state
            if seen and seen != source:  # a form without the field (a script's) is checked as before
                values = {"seen": workflow.label(seen) if seen in workflow.states else "—",
                          "state": workflow.label(source)}
                error = console.t("console.applications.stale", **values)
            elif target == source:
                error = console.t("console.applications.same_state", state=workflow.label(target))
            else:
                try:
                    outcome = await svc.commands.change_state(session, app, target, actor=f"console:{login}",
                                                              actor_user_id=None, note=note)
                except (TransitionRefused, StatusInputError) as exc:
                    error = console.t("console.applications.refused", reason=str(exc))
                else:
                    console.audit(session, request, "application_state", target=number,
                                  details={"source": source, "target": target, "notices": outcome.notices})
                    done = console.t("console.applications.changed", source=workflow.label(source),
                                     target=workflow.label(target), notices=outcome.notices)
        if error:
            return await detail_page(request, status=409 if seen and seen != source else 400, error=error, note=note)
        return await detail_page(request, done=done)

    return [
        Route("GET", "/applications", listing),
        Route("GET", r"/applications/export.{kind:(csv|xlsx)}", export),
        Route("GET", "/applications/{number}", detail),
        Route("POST", "/applications/{number}/state", change),
    ]
