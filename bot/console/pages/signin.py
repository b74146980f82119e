"""Sign-in, sign-out and choosing a password through a setup link."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web

from bot.console import accounts, sessions
from bot.console.accounts import AccountError
from bot.console.passwords import hash_password, verify_password
from bot.console.routing import Route, signed_in
from bot.console.sessions import PRE_COOKIE
from bot.core.locks import KeyedLocks

if TYPE_CHECKING:
    from bot.console.server import Console


def routes(console: Console) -> list[Route]:
    #: one attempt per login at a time: parallel guesses would all read the delay before any of them
    #: counted its failure (the console is one process, so an in-process lock covers every request)
    attempts = KeyedLocks()

    async def signin_form(request: web.Request) -> web.StreamResponse:
        async with console.db() as session:
            if await sessions.load(session, request.cookies.get(console.cookie_name(request)), console.now()):
                raise web.HTTPSeeOther("/")
        notice = console.t("console.setup.done") if request.query.get("done") == "1" else ""
        return console.render(request, "signin.html", login="", message="", notice=notice)

    async def signin(request: web.Request) -> web.StreamResponse:
        form = await request.post()
        login = str(form.get("login", "")).strip().lower()[:80]
        async with attempts.hold(login):
            return await attempt(request, login, str(form.get("password", "")))

    async def attempt(request: web.Request, login: str, password: str) -> web.StreamResponse:
        address = console.client_ip(request)
        now = console.now()
        async with console.db() as session:
            wait = await console.throttle.wait_seconds(session, login, address, now)
            account_id, stored = await accounts.sign_in_candidate(session, login)
        if wait:
            return console.render(request, "signin.html", status=429, login=login, notice="",
                                  message=console.t("console.signin.slow_down", seconds=wait))
        # Argon2 takes a good fraction of a second: in a worker thread, outside any transaction
        ok = await asyncio.to_thread(verify_password, stored, password)
        async with console.db() as session:
            account = await accounts.get(session, account_id) if ok and account_id is not None else None
            if account is None or account.disabled:
                await console.throttle.failed(session, login, address, now)
                known = await accounts.find(session, login) if accounts.valid_login(login) else None
                # a failure is audited against a real account only: what was typed may be a password
                console.audit(session, request, "sign_in_failed", target=known.login if known else "", login="")
                failed = True
            else:
                await console.throttle.succeeded(session, login, address)
                session_id = await sessions.start(session, account, now)
                console.audit(session, request, "sign_in", login=account.login)
                failed = False
        if failed:
            return console.render(request, "signin.html", status=401, login=login, notice="",
                                  message=console.t("console.signin.failed"))
        response = web.HTTPSeeOther("/")
        console.set_cookie(request, response, session_id)
        console.clear_cookie(request, response, PRE_COOKIE)
        raise response

    async def signout(request: web.Request) -> web.StreamResponse:
        user = signed_in(request)
        async with console.db() as session:
            await sessions.end(session, user.id_hash)
            console.audit(session, request, "sign_out")
        response = web.HTTPSeeOther("/signin")
        console.clear_cookie(request, response)
        raise response

    async def setup_form(request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        async with console.db() as session:
            account = await accounts.setup_account(session, token, console.now())
        if account is None:
            return console.render(request, "setup.html", status=404, login="", valid=False, message="")
        return console.render(request, "setup.html", login=account.login, valid=True, message="")

    async def setup(request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        form = await request.post()
        password = str(form.get("password", ""))
        try:
            async with console.db() as session:
                await accounts.check_new_password(session, token, password, str(form.get("repeat", "")), console.now())
            password_hash = await asyncio.to_thread(hash_password, password)  # slow on purpose: not in the loop
            async with console.db() as session:
                account = await accounts.store_password(session, token, password_hash, console.now())
                console.audit(session, request, "password_set", target=account.login, login=account.login)
        except AccountError as exc:
            async with console.db() as session:
                account = await accounts.setup_account(session, token, console.now())
            return console.render(request, "setup.html", status=400, login=account.login if account else "",
                                  valid=account is not None, message=console.t(exc.key, **exc.values))
        raise web.HTTPSeeOther("/signin?done=1")

    return [
        Route("GET", "/signin", signin_form, access="public"),
        Route("POST", "/signin", signin, access="public"),
        Route("POST", "/signout", signout),
        Route("GET", "/setup/{token}", setup_form, access="public"),
        Route("POST", "/setup/{token}", setup, access="public"),
    ]
