"""python-telegram-bot's networking over aiohttp, through PTB's own extension point (``BaseRequest``).

Why: with PTB's default transport (httpx → httpcore → h11 → anyio) about half of the bot's CPU per
update went into the HTTP client itself, pure-Python layers that parse headers and manage the pool
on every call; aiohttp parses HTTP in C and is already a dependency (webhooks, aiogram). PTB documents
``BaseRequest`` for exactly this ("can be implemented via different asyncio HTTP libraries"); the
bot methods, their error handling and retries stay PTB's.

Calls go out as JSON bodies (the Bot API takes them; PTB's form encoding percent-escapes every byte of
a Chinese answer in Python); uploads go out as ``multipart/form-data``. Failures map onto PTB's own
exceptions: a timeout → ``TimedOut``, any other transport error → ``NetworkError``, so the adapter's
delivery policy sees the same kinds as with the stock transport.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from urllib.parse import urlsplit

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

#: PTB's HTTPXRequest defaults (seconds), kept so timeouts behave as documented for PTB.
READ_TIMEOUT = 5.0
WRITE_TIMEOUT = 5.0
CONNECT_TIMEOUT = 5.0
POOL_TIMEOUT = 1.0
MEDIA_WRITE_TIMEOUT = 20.0


def _given(value: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value


def _sum(*parts: float | None) -> float | None:
    """A whole-call limit from the parts; none at all if any part is unlimited (long polling may be)."""
    return None if any(p is None for p in parts) else sum(p for p in parts if p is not None)


class AiohttpRequest(BaseRequest):
    """One aiohttp session with at most ``connection_pool_size`` connections, for PTB's ``Bot``."""

    def __init__(
        self,
        connection_pool_size: int = 1,
        read_timeout: float | None = READ_TIMEOUT,
        write_timeout: float | None = WRITE_TIMEOUT,
        connect_timeout: float | None = CONNECT_TIMEOUT,
        pool_timeout: float | None = POOL_TIMEOUT,
        media_write_timeout: float | None = MEDIA_WRITE_TIMEOUT,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # created inside the running loop (PTB calls this from Bot.initialize)
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self._pool_size))
            self._proxies.clear()

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(  # noqa: PLR0913 - PTB's signature
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        uploads = request_data is not None and request_data.contains_files
        read = _given(read_timeout, self._read_timeout)
        write = _given(write_timeout, self._media_write_timeout if uploads else self._write_timeout)
        connect = _given(connect_timeout, self._connect_timeout)
        pool = _given(pool_timeout, self._pool_timeout)
        # aiohttp has no separate write limit: the whole call gets the sum of the parts
        timeout = aiohttp.ClientTimeout(total=_sum(read, write, connect, pool), connect=_sum(connect, pool),
                                        sock_connect=connect, sock_read=read)
        headers = {"User-Agent": self.USER_AGENT}
        body: bytes | aiohttp.FormData | None = None
        if request_data is not None and uploads:
            body = _form(request_data)
        elif request_data is not None:
            body = json.dumps(request_data.parameters, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        try:
            async with session.request(method, url, data=body, headers=headers, timeout=timeout,
                                       proxy=self._proxy_for(url)) as response:
                return response.status, await response.read()
        except (TimeoutError, asyncio.TimeoutError) as err:  # noqa: UP041 - aiohttp raises either, by version
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err

    def _proxy_for(self, url: str) -> str | None:
        """The proxy from HTTP(S)_PROXY / NO_PROXY for this URL's origin, looked up once per origin.

        Where Telegram is reachable only through a proxy, that is how the bot is configured, as with
        PTB's stock httpx transport. aiohttp's own ``trust_env`` re-reads the environment on every
        request, which cost as much CPU as the rest of a send.
        """
        path_starts = url.find("/", url.find("//") + 2)
        origin = url if path_starts < 0 else url[:path_starts]
        if origin not in self._proxies:
            parts = urlsplit(url)
            found = urllib.request.getproxies_environment()
            proxy = found.get(parts.scheme)
            if proxy and parts.hostname and urllib.request.proxy_bypass_environment(parts.hostname, found):
                proxy = None
            self._proxies[origin] = proxy
        return self._proxies[origin]


def _form(request_data: RequestData) -> aiohttp.FormData:
    """A multipart body: plain parameters as fields (JSON-encoded where PTB says so), then the files."""
    form = aiohttp.FormData(quote_fields=False)
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (file_name, content, mime_type) in request_data.multipart_data.items():
        form.add_field(name, content, filename=file_name, content_type=mime_type)
    return form
