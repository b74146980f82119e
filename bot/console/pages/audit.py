"""The audit log: filter by account, action and date; export the filtered entries as CSV.

The export holds at most ``audit.EXPORT_LIMIT`` entries (the newest); a longer one ends with a row
saying where it was cut and how to narrow the filter. The CSV is written in a worker thread."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.console import audit
from bot.console.applications import filter_day
from bot.console.audit import AuditFilter
from bot.console.routing import NavItem, Route

if TYPE_CHECKING:
    from bot.console.server import Console

NAV = (NavItem("audit", "/audit", 80),)
ZONE = ZoneInfo("Asia/Shanghai")


def filter_of(query) -> tuple[AuditFilter, dict[str, str]]:  # noqa: ANN001 - a MultiDict
    """The filter a query string asks for (a malformed date is ignored) and the values to show."""
    login = query.get("login", "").strip().lower()[:40]
    action = query.get("action", "").strip()[:40]
    since, until = filter_day(query.get("since", "")), filter_day(query.get("until", ""))
    where = AuditFilter(
        login=login,
        action=action,
        since=datetime.combine(since, time(), ZONE) if since else None,
        until=datetime.combine(until + timedelta(days=1), time(), ZONE) if until else None,
    )
    shown = {"login": login, "action": action, "since": since.isoformat() if since else "",
             "until": until.isoformat() if until else ""}
    return where, shown


def local(moment: datetime) -> str:
    return moment.astimezone(ZONE).strftime("%Y-%m-%d %H:%M:%S")


def routes(console: Console) -> list[Route]:
    async def listing(request: web.Request) -> web.StreamResponse:
        where, shown = filter_of(request.query)
        async with console.db() as session:
            rows = await audit.entries(session, where)
            actions = await audit.actions(session)
        template = "audit_table.html" if request.headers.get("HX-Request") else "audit.html"
        return console.render(request, template, rows=rows, actions=actions, shown=shown, local=local,
                              limit=audit.PAGE_SIZE)

    async def export(request: web.Request) -> web.StreamResponse:
        where, _shown = filter_of(request.query)
        limit = audit.EXPORT_LIMIT
        async with console.db() as session:
            rows = await audit.entries(session, where, limit=limit + 1)
            cut = len(rows) > limit
            rows = rows[:limit]
            console.audit(session, request, "audit_export", details={"rows": len(rows), "cut": cut})
        header = [console.t(f"console.audit.col_{c}") for c in ("at", "login", "action", "target", "details", "address")]
        cells = [[local(r.at), r.login, r.action, r.target, json.dumps(r.details, ensure_ascii=False), r.address]
                 for r in rows]
        if cut:
            cells.append([console.t("console.audit.export_cut", limit=limit)])
        body = await asyncio.to_thread(lambda: audit.to_csv(header, cells).encode("utf-8"))
        headers = {"Content-Disposition": 'attachment; filename="audit.csv"'}
        if cut:
            headers["X-Export-Cut-At"] = str(limit)
        return web.Response(body=body, content_type="text/csv", charset="utf-8", headers=headers)

    return [Route("GET", "/audit", listing), Route("GET", "/audit.csv", export)]
