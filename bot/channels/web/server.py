"""The aiohttp application: the chat page, its static files and a small JSON API over the core.

API (JSON, same origin only):
- ``GET /api/state`` — history of this browser session (waiting announcements are moved into it),
  the CSRF token, the page's dynamic texts and the main menu, in the page's language (``lang``).
  Sets the session cookie if missing (new sessions are stored, so an address asking for too many
  in a minute gets a 429 with ``Retry-After``; the page's script waits and asks again).
- ``POST /api/message`` — ``{"kind": "text", "text": …, "client_id": …}`` or
  ``{"kind": "button", "data": …, "client_id": …}`` with the ``X-CSRF-Token`` header; answers with the
  new history entries. ``client_id`` is the browser's id of the request: a retry after a dropped
  connection is answered from history instead of being handled twice.

The adapter only translates; every decision is the core's. It never returns internal error text.

The page speaks the user's language (``users.language``): once the browser's session has a user row,
theirs; before that, the browser's ``Accept-Language`` (English when it prefers English to Chinese).
The page's 中文 / English toggle is the core's ``/lang`` button (``lang:en``), after which the page
reloads in the new language; both pages are rendered once, at start-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.web import history, issued, page, proxy, ratelimit, render
from bot.channels.web import session as sess
from bot.channels.web.feature import WebHistoryFeature
from bot.channels.web.http_common import Refusal, add_headers, security_headers
from bot.channels.web.models import WebMessage
from bot.channels.web.page import (
    SCRIPT_TEXT_KEYS,
    STATIC_DIR,
    accepted_language,
    page_blocks,
    source_prefixes,
)
from bot.channels.web.ratelimit import RateLimiter
from bot.channels.web.sender import WebInboxSender
from bot.content.texts import DEFAULT_LANGUAGE, LANGUAGES, normalize_language
from bot.core.addresses import client_network
from bot.core.conversation import MAX_TEXT_LENGTH
from bot.core.locks import KeyedLocks
from bot.core.messages import Inbound
from bot.core.sanitize import clean_text, drop_unencodable
from bot.storage.models import User

log = logging.getLogger(__name__)

CHANNEL = "web"
#: the page's language, sent by its script so that a refusal (rate limit, expired page) is worded in
#: it; without the header the browser's Accept-Language decides
PAGE_LANGUAGE_HEADER = "X-Page-Language"
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,40}$")
TRIM_EVERY = 4

SECURITY_HEADERS = security_headers("'none'")


@dataclass
class WebConfig:
    """Server options; the defaults suit one office server behind a reverse proxy."""

    host: str = "127.0.0.1"
    port: int = 8080
    #: trust X-Forwarded-For / X-Forwarded-Proto (only behind a proxy that overwrites them)
    trust_proxy: bool = False
    #: mark the cookie Secure (also automatic when the request arrived over HTTPS)
    secure_cookie: bool = False
    session_burst: int = 10
    session_per_minute: float = 30
    ip_burst: int = 120
    ip_per_minute: float = 600
    #: new sessions per client address: every cookieless request would otherwise store a session id,
    #: so a script fetching the page in a loop could fill the database (0 per minute, or no ip limit:
    #: no limit)
    issue_burst: int = 60
    issue_per_minute: float = 30
    max_body_bytes: int = 16 * 1024  # 1,000 characters JSON-escaped take ~6 KB
    history_limit: int = 100
    #: processes sharing the port (SO_REUSEPORT); only the first runs the background jobs
    workers: int = 1
    run_background: bool = True
    retention_days: int = history.RETENTION_DAYS


class ApiError(Refusal):
    """An expected refusal: HTTP status and the text key of the message shown to the user (in the page's language)."""


class WebChannel:
    """Translates HTTP requests into ``Inbound`` and replies into history entries."""

    def __init__(self, bot_app, config: WebConfig | None = None) -> None:  # noqa: ANN001 - bot.app.App
        self.app = bot_app
        self.config = config or WebConfig()
        self.texts = bot_app.services.texts
        self.contacts = bot_app.services.contact_values()
        self.session_limit = RateLimiter("session", self.config.session_burst, self.config.session_per_minute)
        self.ip_limit = RateLimiter("ip", self.config.ip_burst, self.config.ip_per_minute)
        # no per-address limits at all (--ip-limit 0, e.g. a load test from one address) includes this one
        self.issue_limit = RateLimiter("issue", self.config.issue_burst,
                                       self.config.issue_per_minute if self.ip_limit.enabled else 0)
        self._locks = KeyedLocks()
        #: an answer's source line is recognised by its prefix in any language (a history may mix them)
        self.source_prefixes = tuple(dict.fromkeys(
            p for lang in LANGUAGES for p in source_prefixes(self.t("web.source_prefixes", lang))))
        #: the page in each language, rendered once
        self.pages = {lang: self._render_page(lang) for lang in LANGUAGES}
        features = [f for f in bot_app.conversation.features if isinstance(f, WebHistoryFeature)]
        self.history_feature: WebHistoryFeature | None = features[0] if features else None

    # ---- helpers ----------------------------------------------------------------------------
    def t(self, key: str, lang: str = DEFAULT_LANGUAGE, **values: Any) -> str:
        return self.texts.get(key, lang, **(self.contacts | values))

    def _render_page(self, lang: str) -> str:
        root = self.app.services.content_root

        def text(key: str, **values: Any) -> str:
            return self.t(key, lang, **values)

        return page.render(text, page_blocks(lang, page.sources_block(root, text, lang)))

    async def page_language(self, session: AsyncSession, request: web.Request, key: str | None) -> str:
        """The language of this browser's page: its user's (once the session has a user row), else
        what the browser's Accept-Language prefers."""
        stored = await self.stored_language(session, key) if key is not None else None
        return stored or accepted_language(request.headers.get("Accept-Language"))

    @staticmethod
    async def stored_language(session: AsyncSession, key: str) -> str | None:
        """The language of the session's user (None while the session has no user row)."""
        row = await session.execute(select(User.language).where(User.channel == CHANNEL, User.external_id == key))
        stored = row.scalar_one_or_none()
        return normalize_language(stored) if stored is not None else None

    @staticmethod
    def refusal_language(request: web.Request) -> str:
        """The language of an error answer: the page's own (its script says it), else the browser's."""
        claimed = request.headers.get(PAGE_LANGUAGE_HEADER)
        if claimed in LANGUAGES:
            return claimed
        return accepted_language(request.headers.get("Accept-Language"))

    def client_ip(self, request: web.Request) -> str:
        return proxy.client_ip(request, self.config.trust_proxy)

    def limit_address(self, request: web.Request) -> str:
        """The client as the per-address limits count it (``bot.core.addresses``)."""
        return client_network(self.client_ip(request))

    def is_https(self, request: web.Request) -> bool:
        return proxy.is_https(request, self.config.trust_proxy)

    def secure_context(self, request: web.Request) -> bool:
        return self.config.secure_cookie or self.is_https(request)

    def cookie_name(self, request: web.Request) -> str:
        """``__Host-zc_session`` over HTTPS (Secure, host-only), ``zc_session`` over plain HTTP."""
        return sess.SECURE_COOKIE_NAME if self.secure_context(request) else sess.COOKIE_NAME

    def set_cookie(self, request: web.Request, response: web.StreamResponse, token: str) -> None:
        response.set_cookie(
            self.cookie_name(request),
            token,
            max_age=sess.COOKIE_MAX_AGE,
            path="/",
            httponly=True,
            samesite="Lax",
            secure=self.secure_context(request),
        )

    def session_token(self, request: web.Request) -> str | None:
        """The cookie's value if well-formed (over HTTPS only the ``__Host-`` cookie counts);
        whether the server issued it is ``session_of``'s question."""
        token = request.cookies.get(self.cookie_name(request))
        return token if sess.valid_token(token) else None

    async def session_of(self, session: AsyncSession, request: web.Request) -> tuple[str, str] | None:
        """(token, session key) of the request's cookie when the server issued it, else None."""
        token = self.session_token(request)
        if token is None:
            return None
        key = await issued.lookup(session, token, self.app.services.clock.now())
        return (token, key) if key is not None else None

    def error(self, status: int, key: str, lang: str = DEFAULT_LANGUAGE, **values: Any) -> web.Response:
        body = {"error": self.t(key, lang, **values)}
        if "seconds" in values:
            body["retry_after"] = values["seconds"]
        headers = {"Retry-After": str(values["seconds"])} if "seconds" in values else None
        return web.json_response(body, status=status, headers=headers)

    # ---- handlers ---------------------------------------------------------------------------
    async def issue_session(self, request: web.Request) -> tuple[str | None, float]:
        """A new session id for a browser without one, stored (``issued``), or (None, wait) while its
        address has asked for too many new sessions (``issue_limit``)."""
        wait = await self.limits_wait([(self.issue_limit, self.limit_address(request))])
        if wait:
            return None, wait
        async with self.app.db.session() as session:
            return issued.issue(session, self.app.services.clock.now()), 0.0

    async def index(self, request: web.Request) -> web.Response:
        async with self.app.db.session() as session:
            current = await self.session_of(session, request)
            lang = await self.page_language(session, request, current[1] if current else None)
        # over the address's limit the page is still served; its script's /api/state asks again
        token = (await self.issue_session(request))[0] if current is None else None
        response = web.Response(text=self.pages[lang], content_type="text/html", charset="utf-8")
        response.headers["Cache-Control"] = "no-store"
        response.headers["Content-Language"] = page.HTML_LANG[lang]
        response.headers["Vary"] = "Accept-Language, Cookie"
        if token is not None:
            self.set_cookie(request, response, token)
        return response

    async def health(self, _request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def no_icon(self, _request: web.Request) -> web.Response:
        """Browsers ask for /favicon.ico; answer quietly instead of logging a 404 on every visit."""
        return web.Response(status=204, headers={"Cache-Control": "max-age=86400"})

    async def state(self, request: web.Request) -> web.Response:
        entries: list[dict[str, Any]] = []
        delivered = 0
        now = self.app.services.clock.now()
        async with self.app.db.session() as session:
            current = await self.session_of(session, request)
            if current is not None:
                lang = await self.page_language(session, request, current[1])
                token, key = current
                delivered = await history.deliver_inbox(session, key, now)
                if delivered:
                    await history.trim(session, key, self.config.history_limit)
                rows = await history.load(session, key, self.config.history_limit)
                entries = self.shown(rows)
        fresh = current is None
        if fresh:  # a new visitor: no user row yet, so the browser's language
            lang = accepted_language(request.headers.get("Accept-Language"))
            token, wait = await self.issue_session(request)
            if token is None:
                raise ApiError(429, "web.rate_limited", seconds=RateLimiter.seconds(wait))
        body = {
            "csrf": sess.csrf_token(token),
            "messages": entries,
            "new_notices": delivered,
            # the menu strip sits right below the greeting: the greeting does not repeat its buttons
            "intro": render.message({"text": self.t("start.welcome", lang), "buttons": []}, "bot", self.source_prefixes),
            "menu": self.menu_buttons(lang)[0],
            "texts": {k.removeprefix("web."): self.t(k, lang) for k in SCRIPT_TEXT_KEYS},
            "max_length": MAX_TEXT_LENGTH,
            "lang": lang,
        }
        response = web.json_response(body, headers={"Cache-Control": "no-store"})
        if fresh:
            self.set_cookie(request, response, token)
        return response

    def menu_buttons(self, lang: str = DEFAULT_LANGUAGE) -> list[list[dict[str, str]]]:
        """The main menu as the core defines it (``menu:<key>`` callbacks, labels from texts)."""
        return [[{"text": self.t(f"menu.{k}", lang), "data": f"menu:{k}"} for k in self.app.conversation.menu_keys]]

    async def message(self, request: web.Request) -> web.Response:
        token = self.session_token(request)
        if token is None:
            raise ApiError(403, "web.session_expired")
        self.check_origin(request)
        if not sess.csrf_ok(token, request.headers.get(sess.CSRF_HEADER)):
            raise ApiError(403, "web.session_expired")
        if request.content_type != "application/json":
            raise ApiError(415, "web.bad_request")
        if request.content_length is not None and request.content_length > self.config.max_body_bytes:
            raise ApiError(413, "web.too_large", limit=MAX_TEXT_LENGTH)
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: deeply nested JSON
            raise ApiError(400, "web.bad_request") from None
        kind, text, data, client_id = self.parse(body)

        key = sess.session_key(token)
        wait = await self.rate_limit_wait(key, self.limit_address(request))
        if wait:
            raise ApiError(429, "web.rate_limited", seconds=RateLimiter.seconds(wait))
        # after the limits, so made-up cookie values cost a lookup only within them
        async with self.app.db.session() as session:
            key = await issued.lookup(session, token, self.app.services.clock.now())
            lang = await self.page_language(session, request, key) if key is not None else DEFAULT_LANGUAGE
        if key is None:  # a value the server never issued (or rotated away): no session
            raise ApiError(403, "web.session_expired")

        async with self._locks.hold(key):
            result = await self.exchange(key, kind, text, data, client_id, address=self.client_ip(request), language=lang)
            new_token = await self.renew_session(key, result)
        if new_token is not None:
            result["csrf"] = sess.csrf_token(new_token)
        response = web.json_response(result, headers={"Cache-Control": "no-store"})
        if new_token is not None:
            self.set_cookie(request, response, new_token)
        return response

    async def renew_session(self, key: str, result: dict[str, Any]) -> str | None:
        """A new session id after a secret was handed over (rotated: same session) or after /forget
        (a new, empty session; the core's /forget already revoked the old ids)."""
        rotate = result.pop("rotate", False)
        if not rotate and not result.get("reset"):
            return None
        now = self.app.services.clock.now()
        async with self.app.db.session() as session:
            return await issued.rotate(session, key, now) if rotate else issued.issue(session, now)

    async def rate_limit_wait(self, key: str, address: str) -> float:
        """Seconds this message must wait under the session's or the address's limit (0: go ahead).

        The counters are shared by every web process through the database. When the database is
        briefly locked (SQLite under another process's write) the message is let through rather
        than refused: the limits guard against floods, not against one message.
        """
        return await self.limits_wait([(self.session_limit, key), (self.ip_limit, address)])

    async def limits_wait(self, limits: list[tuple[RateLimiter, str]]) -> float:
        """Seconds to wait under the first of ``limits`` (limiter, key) that is spent (0: go ahead)."""
        limiters = [(lim, k) for lim, k in limits if lim.enabled]
        if not limiters:
            return 0.0
        db = self.app.db
        try:
            async with db.writer_turn(), db.engine.begin() as conn:
                for limiter, scope_key in limiters:
                    wait = await limiter.take(conn, scope_key)
                    if wait:
                        return wait
        except OperationalError:
            log.warning("web rate limit not checked: the database is busy")
        return 0.0

    def parse(self, body: Any) -> tuple[str, str, str, str]:
        if not isinstance(body, dict):
            raise ApiError(400, "web.bad_request")
        kind = body.get("kind")
        client_id = body.get("client_id")
        if kind not in {"text", "button"} or not isinstance(client_id, str) or not _CLIENT_ID.match(client_id):
            raise ApiError(400, "web.bad_request")
        text = body.get("text", "")
        data = body.get("data", "")
        if not isinstance(text, str) or not isinstance(data, str):
            raise ApiError(400, "web.bad_request")
        text, data = clean_text(text), drop_unencodable(data)
        if kind == "button" and (not data or len(data.encode()) > 64):
            raise ApiError(400, "web.bad_request")
        if len(text) > MAX_TEXT_LENGTH:  # refused here, so the history never keeps it
            raise ApiError(413, "web.too_long", limit=MAX_TEXT_LENGTH)
        return kind, text, data, client_id

    def check_origin(self, request: web.Request) -> None:
        """Refuse requests a browser marks as cross-site, and any Origin other than our own host."""
        if request.headers.get("Sec-Fetch-Site", "same-origin") not in {"same-origin", "none"}:
            raise ApiError(403, "web.session_expired")
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc.lower() != request.host.lower():
            raise ApiError(403, "web.session_expired")

    # ---- the exchange with the core --------------------------------------------------------
    async def exchange(
        self, key: str, kind: str, text: str, data: str, client_id: str, address: str = "",
        language: str = DEFAULT_LANGUAGE,
    ) -> dict[str, Any]:
        """Hand one action to the core and record it; called with the session's lock held.
        ``language`` is the page's: a session's first action creates its user in it."""
        inbound = Inbound(
            channel=CHANNEL,
            user_id=key,
            chat_id=key,
            kind="text" if kind == "text" else "callback",
            text=text if kind == "text" else "",
            callback_data=data if kind == "button" else "",
            update_id=sess.update_id(key, client_id),
            language=language,
            client_address=address,
        )
        replies = await self.app.conversation.handle(inbound)
        toasts = [r.toast for r in replies if r.toast]
        db = self.app.db
        async with db.session() as session:
            if not replies:  # the core saw this update before: a retry after a dropped connection
                earlier = await history.replies_to(session, key, client_id) or []
                # nothing recorded yet means another process is still storing it: the page reloads
                return {"messages": [render.entry(r, self.source_prefixes) for r in earlier], "toasts": [],
                        "lang": await self.stored_language(session, key) or language}
            if await self.was_forgotten(session, key):  # /forget: keep nothing, show the goodbye once
                await history.forget(session, key)
                shown = [render.message(history.payload_of(r), "bot", self.source_prefixes) for r in replies if r.text]
                return {"messages": shown, "toasts": toasts, "reset": True, "lang": language}
            out = await self.record(session, key, kind, text, data, client_id, replies, language)
            entries = self.shown(out)
            # /lang, the page's toggle or a question in the other language may have switched the
            # user: the page reloads in their language when it differs from the page's
            now_speaking = await self.stored_language(session, key) or language
        # a secret was handed over (an ID tail, an invite code): the session id is replaced
        rotate = any(r.input_mask is not None for r in replies)
        return {"messages": entries, "toasts": toasts, "rotate": rotate, "lang": now_speaking}

    def shown(self, rows: list[WebMessage]) -> list[dict[str, Any]]:
        """History rows as the page shows them; a user turn without a label (kept only so that a
        retried request is recognised) is not a bubble."""
        return [render.entry(r, self.source_prefixes) for r in rows if r.role != "user" or r.payload.get("text")]

    def menu_label(self, data: str, lang: str = DEFAULT_LANGUAGE) -> str | None:
        """The label of a main-menu button (the menu strip is not part of the stored history)."""
        for button in self.menu_buttons(lang)[0]:
            if button["data"] == data:
                return button["text"]
        return None

    async def record(
        self, session: AsyncSession, key: str, kind: str, text: str, data: str, client_id: str, replies: list,
        language: str = DEFAULT_LANGUAGE,
    ) -> list[WebMessage]:
        """Store the user's turn and the replies (edits replace the message they belong to)."""
        now = self.app.services.clock.now()
        mask = next((r.input_mask for r in replies if r.input_mask is not None), None)
        if mask is not None:  # the user's turn held a secret (an ID tail): keep the core's mask only
            shown = mask
        elif kind == "text":
            shown = text.strip()
        else:  # the pressed button's label, as the user saw it
            offered = history.button_label(await history.load(session, key, 30), data)
            shown = offered or self.menu_label(data, language) or ""
        out = [history.add(session, key, "user", {"text": shown, "buttons": []}, now, client_id)]
        for reply in replies:
            if not reply.text and not reply.buttons:
                continue
            payload = history.payload_of(reply)
            edited = await history.edit_latest_with_buttons(session, key, payload) if reply.edit else None
            out.append(edited or history.add(session, key, "bot", payload, now))
        await session.flush()
        # trimming costs a statement: do it when a new row id is a multiple of TRIM_EVERY, so a
        # session's stored history never exceeds the limit by more than a few entries
        if any(row.id % TRIM_EVERY == 0 for row in out):
            await history.trim(session, key, self.config.history_limit)
        return out

    async def was_forgotten(self, session: AsyncSession, key: str) -> bool:
        feature = self.history_feature
        if feature is not None:
            return feature.take_forgotten(key)
        row = await session.execute(select(User.id).where(User.channel == CHANNEL, User.external_id == key))
        return row.scalar_one_or_none() is None


# ---- middlewares ------------------------------------------------------------------------------
def error_middleware(channel: WebChannel):  # noqa: ANN201
    """Every failure becomes a short message in the page's language; the log gets the class name,
    never user text."""

    @web.middleware
    async def middleware(request: web.Request, handler):  # noqa: ANN001, ANN202
        lang = channel.refusal_language(request)
        try:
            return await handler(request)
        except ApiError as exc:
            return channel.error(exc.status, exc.key, lang, **exc.values)
        except web.HTTPRequestEntityTooLarge:
            return channel.error(413, "web.too_large", lang, limit=MAX_TEXT_LENGTH)
        except web.HTTPNotFound:
            return channel.error(404, "web.not_found", lang)
        except web.HTTPMethodNotAllowed:
            return channel.error(405, "web.bad_request", lang)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return channel.error(exc.status, "web.bad_request", lang)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - never show internals
            log.error("web request failed: %s", type(exc).__name__)
            return channel.error(500, "web.internal", lang)

    return middleware


async def _security_headers(_request: web.Request, response: web.StreamResponse) -> None:
    add_headers(response, SECURITY_HEADERS)


CHANNEL_KEY: web.AppKey[WebChannel] = web.AppKey("channel", WebChannel)


def create_app(bot_app, config: WebConfig | None = None) -> web.Application:  # noqa: ANN001
    """The aiohttp application for a started ``bot.app.App`` (tests use it with a test client)."""
    channel = WebChannel(bot_app, config)
    application = web.Application(
        middlewares=[error_middleware(channel)], client_max_size=channel.config.max_body_bytes
    )
    application[CHANNEL_KEY] = channel
    application.on_response_prepare.append(_security_headers)
    application.router.add_get("/", channel.index)
    application.router.add_get("/healthz", channel.health)
    application.router.add_get("/favicon.ico", channel.no_icon)
    application.router.add_get("/api/state", channel.state)
    application.router.add_post("/api/message", channel.message)
    application.router.add_static("/static/", STATIC_DIR, show_index=False, follow_symlinks=False)
    return application


# ---- running --------------------------------------------------------------------------------
async def _purge_loop(bot_app, config: WebConfig) -> None:  # noqa: ANN001
    """Hourly (the first time an hour after start): delete web history older than the retention period."""
    while True:
        await asyncio.sleep(3600)
        try:
            before = bot_app.services.clock.now() - timedelta(days=config.retention_days)
            async with bot_app.db.session() as session:
                await history.purge(session, before)
                await issued.purge(session, bot_app.services.clock.now())
                await ratelimit.purge(session)
        except Exception as exc:  # noqa: BLE001
            log.warning("web history purge failed: %s", type(exc).__name__)


async def serve(bot_app, config: WebConfig, ready: asyncio.Event | None = None) -> None:  # noqa: ANN001
    """Run the server and the app's background jobs until cancelled."""
    runner = web.AppRunner(create_app(bot_app, config), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port, reuse_port=config.workers > 1 or None)
    await site.start()
    try:
        async with contextlib.AsyncExitStack() as stack:
            if config.run_background:
                senders = {"web": WebInboxSender(bot_app.db, bot_app.services.clock)}
                await stack.enter_async_context(
                    bot_app.background_running(senders, extra=[_purge_loop(bot_app, config)])
                )
            if ready is not None:
                ready.set()
            await asyncio.Event().wait()
    finally:
        await runner.cleanup()
