"""The webhook receiver both Telegram adapters use (aiohttp): checks the secret, hands the update on.

Telegram re-sends an update it did not get a 2xx for within about 60 s, so the receiver answers as
soon as the update is queued; ``on_update`` must only enqueue (it may wait while the bot is saturated,
which is the back-pressure we want). A wrong or missing ``X-Telegram-Bot-Api-Secret-Token`` gets 403.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: at most one log line per this many seconds about refused requests (anyone can post to the URL)
REJECTED_LOG_INTERVAL = 60.0
UpdateSink = Callable[[dict], Awaitable[None]]


def webhook_path(webhook_url: str) -> str:
    """The path the receiver listens on: the path part of the public webhook URL."""
    return urlsplit(webhook_url).path or "/"


def new_secret() -> str:
    """A per-run secret when none is configured (Telegram allows A-Z a-z 0-9 _ -, up to 256)."""
    return secrets.token_urlsafe(32)


class WebhookServer:
    """Serves ``POST <path>``; start with ``await start(host, port)``, stop with ``await stop()``."""

    def __init__(self, path: str, secret: str, on_update: UpdateSink,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self.secret = secret
        self.on_update = on_update
        self.rejected = 0
        self._runner: web.AppRunner | None = None
        self._clock = clock
        self._rejected_logged = 0  # how many of ``rejected`` a log line has counted
        self._rejected_log_at: float | None = None

    def application(self) -> web.Application:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_post(self.path, self._receive)
        return app

    async def start(self, host: str, port: int) -> None:
        self._runner = web.AppRunner(self.application(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._log_rejected(force=True)

    def _log_rejected(self, force: bool = False) -> None:
        """One line for the first refused request, then at most one per ``REJECTED_LOG_INTERVAL``
        with the count since the last line: a scan of the public URL must not flood the log."""
        unlogged = self.rejected - self._rejected_logged
        if not unlogged:
            return
        now = self._clock()
        if not force and self._rejected_log_at is not None and now - self._rejected_log_at < REJECTED_LOG_INTERVAL:
            return
        log.warning("webhook: %d request(s) with a wrong or missing secret token rejected", unlogged)
        self._rejected_logged = self.rejected
        self._rejected_log_at = now

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            self.rejected += 1
            self._log_rejected()
            return web.Response(status=403, text="forbidden")
        try:
            update = await request.json()
        except ValueError:
            return web.Response(status=400, text="bad json")
        if not isinstance(update, dict) or "update_id" not in update:
            return web.Response(status=400, text="not an update")
        await self.on_update(update)
        return web.Response(text="ok")
