"""The console's aiohttp application: sessions, CSRF, roles, security headers and page rendering.

Page modules only write handlers. Every handler is wrapped by ``Console.guard``: it loads the
session (signed out → the sign-in page), refuses a ``staff`` account on an admin page (403 page),
checks the CSRF token on every state-changing request (form field ``csrf`` or the ``X-CSRF-Token``
header that ``static/console.js`` adds to htmx requests), and puts the ``SignedIn`` on the request.
Every response carries ``Cache-Control: no-store`` (after sign-out the back button shows nothing
but the sign-in page) and the security headers below.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
import jinja2
from aiohttp import BodyPartReader, web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.web import proxy
from bot.channels.web.http_common import add_headers, security_headers
from bot.console import audit, sessions, throttle
from bot.console.pages import PAGE_MODULES
from bot.console.routing import (
    MULTIPART_READER,
    NEW_PRE_TOKEN,
    SIGNED_IN,
    SIGNED_OUT_CSRF,
    ConsoleError,
    NavItem,
    Route,
)
from bot.console.sessions import COOKIE, PRE_COOKIE, SignedIn
from bot.status.lockout import salt_of
from bot.status.personal import keyed_hash

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
STATIC_DIR = PACKAGE_DIR / "static"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
#: a form parsed whole (every form but a streamed upload) may hold this much
MAX_FORM_BYTES = 64 * 1024
#: a CSRF token is 43 characters; a streamed form's first field longer than this is no token
CSRF_FIELD_BYTES = 256
ZONE = ZoneInfo("Asia/Shanghai")

SECURITY_HEADERS = security_headers("'self'")


@dataclass
class ConsoleConfig:
    host: str = "127.0.0.1"
    port: int = 8081
    #: believe X-Forwarded-For / X-Forwarded-Proto (only behind a proxy that overwrites them)
    trust_proxy: bool = False


class Console:
    """What every page handler uses: the bot's services, the database, texts, rendering, audit."""

    def __init__(self, bot_app, config: ConsoleConfig | None = None) -> None:  # noqa: ANN001 - bot.app.App
        self.app = bot_app
        self.services = bot_app.services
        self.config = config or ConsoleConfig()
        self.texts = bot_app.services.texts
        self.salt = salt_of(bot_app.services)
        self.throttle = throttle.SignInThrottle(self.salt)
        self.nav: list[NavItem] = []
        self.routes: list[Route] = []
        for name in PAGE_MODULES:
            page = importlib.import_module(name)
            self.routes.extend(page.routes(self))
            self.nav.extend(getattr(page, "NAV", ()))
        self.nav.sort(key=lambda item: item.position)

    # ---- basics --------------------------------------------------------------------------------
    def t(self, key: str, **values: Any) -> str:
        return self.texts.get(key, **values)

    def now(self) -> datetime:
        return self.services.clock.now()

    @contextlib.asynccontextmanager
    async def db(self) -> AsyncIterator[AsyncSession]:
        """One transaction (committed on success); do not nest."""
        async with self.app.db.session() as session:
            yield session

    def client_ip(self, request: web.Request) -> str:
        return proxy.client_ip(request, self.config.trust_proxy)

    def is_https(self, request: web.Request) -> bool:
        return proxy.is_https(request, self.config.trust_proxy)

    def audit(self, session: AsyncSession, request: web.Request, action: str, target: str = "",
              details: dict[str, Any] | None = None, login: str | None = None) -> None:
        """Record an action of the signed-in account (or ``login``) in the caller's transaction."""
        user = request.get(SIGNED_IN)
        who = login if login is not None else (user.account.login if user else "")
        audit.record(session, who, action, self.now(), target, details, self.client_ip(request))

    # ---- cookies -------------------------------------------------------------------------------
    def cookie_name(self, request: web.Request, base: str = COOKIE) -> str:
        """``__Host-`` over HTTPS: the browser then insists on Secure, Path=/ and no Domain."""
        return "__Host-" + base if self.is_https(request) else base

    def set_cookie(self, request: web.Request, response: web.StreamResponse, value: str, base: str = COOKIE) -> None:
        response.set_cookie(self.cookie_name(request, base), value, path="/", httponly=True,
                            samesite="Strict", secure=self.is_https(request))

    def clear_cookie(self, request: web.Request, response: web.StreamResponse, base: str = COOKIE) -> None:
        response.del_cookie(self.cookie_name(request, base), path="/", secure=self.is_https(request),
                            httponly=True, samesite="Strict")

    def pre_token(self, request: web.Request) -> str | None:
        value = request.cookies.get(self.cookie_name(request, PRE_COOKIE))
        return value if sessions.valid_id(value) else None

    def signed_out_csrf(self, anchor: str) -> str:
        return keyed_hash(self.salt, "console-signed-out-csrf", anchor)[:43]

    # ---- rendering -----------------------------------------------------------------------------
    def render(self, request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
        """A page (or an htmx fragment) with the layout's context: texts, navigation, CSRF token."""
        user: SignedIn | None = request.get(SIGNED_IN)
        nav = [item for item in self.nav if user and (item.access != "admin" or user.account.is_admin)]
        base = {"t": self.t, "user": user, "nav": nav, "path": request.path, "zone": ZONE,
                "action_label": self.action_label,
                "csrf": user.csrf if user else request.get(SIGNED_OUT_CSRF, "")}
        response = aiohttp_jinja2.render_template(template, request, base | context, status=status)
        anchor = request.get(NEW_PRE_TOKEN)
        if anchor:
            self.set_cookie(request, response, anchor, PRE_COOKIE)
        return response

    def action_label(self, action: str) -> str:
        """An audit action's Chinese name (``console.action.<action>``), else the action itself."""
        key = f"console.action.{action}"
        return self.t(key) if self.texts.has(key) else action

    def error_page(self, request: web.Request, status: int, key: str, **values: Any) -> web.Response:
        return self.render(request, "error.html", status=status, message=self.t(key, **values),
                           title=self.t(f"console.error.title_{status}") if self.texts.has(
                               f"console.error.title_{status}") else self.t("console.error.title"))

    # ---- the guard around every handler ---------------------------------------------------------
    def guard(self, route: Route):  # noqa: ANN201
        async def guarded(request: web.Request) -> web.StreamResponse:
            changes = request.method not in {"GET", "HEAD"}
            if route.access == "public":
                anchor = self.pre_token(request)
                if anchor is None:
                    anchor = secrets.token_urlsafe(32)
                    request[NEW_PRE_TOKEN] = anchor
                request[SIGNED_OUT_CSRF] = self.signed_out_csrf(anchor)
                if changes and not await self.csrf_presented(request, request[SIGNED_OUT_CSRF], fresh=anchor is None):
                    raise ConsoleError(403, "console.error.csrf")
                return await route.handler(request)
            async with self.db() as session:
                user = await sessions.load(session, request.cookies.get(self.cookie_name(request)), self.now())
            if user is None:
                if request.headers.get("HX-Request"):  # an htmx call: have the whole page go to sign-in
                    return web.Response(status=204, headers={"HX-Redirect": "/signin"})
                raise web.HTTPSeeOther("/signin")
            request[SIGNED_IN] = user
            if route.access == "admin" and not user.account.is_admin:
                raise ConsoleError(403, "console.error.admin_only")
            if changes and not await self.csrf_presented(request, user.csrf, streamed=route.streamed):
                raise ConsoleError(403, "console.error.csrf")
            return await route.handler(request)

        return guarded

    async def csrf_presented(self, request: web.Request, expected: str, fresh: bool = False,
                             streamed: bool = False) -> bool:
        """Whether the request carries the session's CSRF token: in the header (htmx) or the form's
        ``csrf`` field. A form is parsed whole within ``MAX_FORM_BYTES``, except on a ``streamed``
        route, where only its first field is read (``_first_field_token``)."""
        if fresh:  # no cookie came with the request: nothing it could carry was issued by us
            return False
        presented = request.headers.get(CSRF_HEADER)
        if presented is None and streamed and request.content_type == "multipart/form-data":
            presented = await self._first_field_token(request)
        elif presented is None and request.content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
            form = await request.post()
            value = form.get(CSRF_FIELD)
            presented = value if isinstance(value, str) else None
        return sessions.csrf_ok(expected, presented)

    @staticmethod
    async def _first_field_token(request: web.Request) -> str | None:
        """The ``csrf`` field of a streamed multipart form, which must come first (the form puts
        its hidden field before the file, and browsers send fields in document order).

        Only that field is read, at most ``CSRF_FIELD_BYTES``: the token is checked before a byte of
        the file is taken in, and the reader, left just past it, goes to the handler."""
        try:
            reader = await request.multipart()
            part = await reader.next()
            if not isinstance(part, BodyPartReader) or part.name != CSRF_FIELD:
                return None
            value = b""
            while chunk := await part.read_chunk(CSRF_FIELD_BYTES):
                value += chunk
                if len(value) > CSRF_FIELD_BYTES:
                    return None
        except (ValueError, AssertionError):
            return None  # no multipart body at all, or a broken one: no token
        request[MULTIPART_READER] = reader
        try:
            return value.decode("ascii")
        except UnicodeDecodeError:
            return None


# ---- middlewares ------------------------------------------------------------------------------
def error_middleware(console: Console):  # noqa: ANN201
    """Refusals and failures become a page in Chinese; the log gets the class name, never user text."""

    @web.middleware
    async def middleware(request: web.Request, handler):  # noqa: ANN001, ANN202
        try:
            return await handler(request)
        except ConsoleError as exc:
            return console.error_page(request, exc.status, exc.key, **exc.values)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            key = {404: "console.error.not_found", 405: "console.error.bad_request",
                   413: "console.error.too_large"}.get(exc.status, "console.error.bad_request")
            return console.error_page(request, exc.status, key)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - never show internals
            log.error("console request failed: %s", type(exc).__name__)
            return console.error_page(request, 500, "console.error.internal")

    return middleware


async def _headers(request: web.Request, response: web.StreamResponse) -> None:
    add_headers(response, SECURITY_HEADERS)
    if request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-cache"
    else:
        response.headers["Cache-Control"] = "no-store"


CONSOLE_KEY: web.AppKey[Console] = web.AppKey("console", Console)


def create_app(bot_app, config: ConsoleConfig | None = None) -> web.Application:  # noqa: ANN001
    """The console application for a started ``bot.app.App`` (tests run it on a test server)."""
    console = Console(bot_app, config)
    application = web.Application(middlewares=[error_middleware(console)], client_max_size=MAX_FORM_BYTES)
    application[CONSOLE_KEY] = console
    aiohttp_jinja2.setup(
        application,
        loader=jinja2.PackageLoader("bot.console", "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
    )
    application.on_response_prepare.append(_headers)
    for route in console.routes:
        application.router.add_route(route.method, route.path, console.guard(route))
    application.router.add_get("/healthz", _health)
    application.router.add_static("/static/", STATIC_DIR, show_index=False, follow_symlinks=False)
    return application


async def _health(_request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def _purge_loop(console: Console) -> None:
    """Every ten minutes: delete expired sessions and sign-in counts that carry nothing any more."""
    while True:
        await asyncio.sleep(600)
        try:
            async with console.db() as session:
                await sessions.purge(session, console.now())
                await throttle.purge(session, console.now())
        except Exception as exc:  # noqa: BLE001
            log.warning("console purge failed: %s", type(exc).__name__)


async def serve(bot_app, config: ConsoleConfig, ready: asyncio.Event | None = None) -> None:  # noqa: ANN001
    """Serve until cancelled."""
    application = create_app(bot_app, config)
    runner = web.AppRunner(application, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port)
    await site.start()
    purge = asyncio.create_task(_purge_loop(application[CONSOLE_KEY]))
    try:
        if ready is not None:
            ready.set()
        await asyncio.Event().wait()
    finally:
        purge.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await purge
        await runner.cleanup()
