"""Account management (admins only): the list, add an account, disable one, reset one.

Adding and resetting show the new setup link once, on the result page; it is never stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from bot.console import accounts
from bot.console.accounts import AccountError
from bot.console.routing import SIGNED_IN, NavItem, Route

if TYPE_CHECKING:
    from bot.console.server import Console

NAV = (NavItem("accounts", "/accounts", 90, access="admin"),)


def setup_link(console: Console, token: str) -> str:
    return console.services.settings.console_url.rstrip("/") + "/setup/" + token


def routes(console: Console) -> list[Route]:
    async def show(request: web.Request, status: int = 200, **extra: object) -> web.Response:
        async with console.db() as session:
            rows = await accounts.list_accounts(session)
        values = {"accounts": rows, "link": "", "link_login": "", "message": "", "failed": status >= 400} | extra
        template = "accounts_table.html" if request.headers.get("HX-Request") else "accounts.html"
        if request.headers.get("HX-Request"):
            status = 200  # htmx swaps only successful responses, and a refusal must reach the table
        return console.render(request, template, status=status, **values)

    async def listing(request: web.Request) -> web.StreamResponse:
        return await show(request)

    async def add(request: web.Request) -> web.StreamResponse:
        form = await request.post()
        login, role = str(form.get("login", "")), str(form.get("role", ""))
        try:
            async with console.db() as session:
                account, token = await accounts.add(session, login, role, console.now())
                console.audit(session, request, "account_add", target=account.login, details={"role": role})
        except AccountError as exc:
            return await show(request, 400, message=console.t(exc.key, **exc.values))
        return await show(request, link=setup_link(console, token), link_login=account.login)

    async def disable(request: web.Request) -> web.StreamResponse:
        login = request.match_info["login"]
        try:
            async with console.db() as session:
                account = await accounts.disable(session, login, acting=request[SIGNED_IN].account.login)
                console.audit(session, request, "account_disable", target=account.login)
        except AccountError as exc:
            status = 404 if exc.key == "console.accounts.unknown" else 409
            return await show(request, status, message=console.t(exc.key, **exc.values))
        return await show(request, message=console.t("console.accounts.disabled_done", login=account.login))

    async def reset(request: web.Request) -> web.StreamResponse:
        login = request.match_info["login"]
        try:
            async with console.db() as session:
                account, token = await accounts.reset(session, login, console.now(), from_console=True)
                console.audit(session, request, "account_reset", target=account.login)
        except AccountError as exc:
            status = 404 if exc.key == "console.accounts.unknown" else 409
            return await show(request, status, message=console.t(exc.key, **exc.values))
        return await show(request, link=setup_link(console, token), link_login=account.login)

    return [
        Route("GET", "/accounts", listing, access="admin"),
        Route("POST", "/accounts/add", add, access="admin"),
        Route("POST", "/accounts/{login}/disable", disable, access="admin"),
        Route("POST", "/accounts/{login}/reset", reset, access="admin"),
    ]
