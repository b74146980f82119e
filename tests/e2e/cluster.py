"""Several bot and web processes on one PostgreSQL schema, each kind behind a round-robin proxy.

The scale-out deployment in miniature, on 127.0.0.1 only: ``python -m bot run --webhook-url …``
processes (webhook mode, one shared ``WEBHOOK_SECRET``) receive the emulator's webhook deliveries
through one proxy, ``python -m bot web --trust-proxy`` processes receive browsers' requests through
another. The proxy hands requests to its backends in turn, so consecutive messages of one user are
handled by different processes. Used by ``tests/e2e/test_several_workers.py`` and
``benchmarks/workers.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import aiohttp
from aiohttp import web

from tests.e2e.botproc import ROOT, TOKEN, BotProcess, free_port
from tests.support.emulator import BotApiEmulator

SECRET = "cluster-secret_0123456789"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "upgrade",
              "proxy-connection", "te", "trailer"}


class RoundRobinProxy:
    """A minimal reverse proxy: each request goes to the next backend; ``Host`` passes unchanged."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = list(backends)
        self.handled: Counter[str] = Counter()
        self._turn = itertools.cycle(range(len(self.backends)))
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self.url = ""

    async def start(self) -> str:
        self._http = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=60), connector=aiohttp.TCPConnector(limit=200),
            cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False,
        )
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._http is not None:
            await self._http.close()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._http is not None
        backend = self.backends[next(self._turn)]
        self.handled[backend] += 1
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        body = await request.read()
        try:
            async with self._http.request(request.method, backend + request.path_qs, headers=headers, data=body,
                                          allow_redirects=False) as resp:
                payload = await resp.read()
                out = web.Response(status=resp.status, body=payload)
                for name, value in resp.headers.items():
                    if name.lower() not in HOP_BY_HOP:
                        out.headers.add(name, value)
                return out
        except aiohttp.ClientError:
            return web.Response(status=502, text="bad gateway")


class WebProcess:
    """``python -m bot web`` on its own port, with the given environment."""

    def __init__(self, env: dict[str, str], log_path: Path, args: tuple[str, ...] = ()) -> None:
        self.port = free_port()
        self.env = env
        self.log_path = log_path
        self.args = args
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, timeout: float = 90.0) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "web", "--port", str(self.port), "--trust-proxy", *self.args,
            cwd=ROOT, env=self.env, stdout=log, stderr=asyncio.subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if self.proc.returncode is not None:
                    raise RuntimeError(f"web process exited with {self.proc.returncode}: {self.log_tail()}")
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(self.url + "/healthz") as resp:
                        if resp.status == 200:
                            return
                await asyncio.sleep(0.2)
        raise RuntimeError(f"web process did not start within {timeout}s: {self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    async def stop(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), 20)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


def cluster_env(database_url: str, schema: str | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"TELEGRAM_API_URL", "WEBHOOK_SECRET", "DATABASE_SCHEMA"}}
    env.update(DATABASE_URL=database_url, LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1", HASH_SALT="cluster-test-salt")
    if schema:
        env["DATABASE_SCHEMA"] = schema
    env.update(extra)
    return env


class Cluster:
    """``bots`` webhook bot processes and ``webs`` web processes, each kind behind its own proxy."""

    def __init__(self, emulator: BotApiEmulator | None, database_url: str, schema: str | None, folder: Path,
                 bots: int = 2, webs: int = 2, framework: str = "aiogram", web_args: tuple[str, ...] = ()) -> None:
        self.emu = emulator
        self.database_url = database_url
        self.schema = schema
        self.folder = folder
        self.n_bots = bots
        self.n_webs = webs
        self.framework = framework
        self.web_args = web_args
        self.bots: list[BotProcess] = []
        self.webs: list[WebProcess] = []
        self.bot_proxy: RoundRobinProxy | None = None
        self.web_proxy: RoundRobinProxy | None = None

    async def start(self) -> None:
        """Migrate once, then start every process (bots one after the other: each sets the webhook)."""
        from bot.storage.db import Database

        db = Database(self.database_url, schema=self.schema)
        try:
            await db.upgrade()
        finally:
            await db.dispose()
        if self.n_bots:
            assert self.emu is not None
            ports = [free_port() for _ in range(self.n_bots)]
            self.bot_proxy = RoundRobinProxy([f"http://127.0.0.1:{p}" for p in ports])
            hook = await self.bot_proxy.start() + "/tg/hook"
            for i, port in enumerate(ports):
                env = {"WEBHOOK_PORT": str(port), "WEBHOOK_LISTEN": "127.0.0.1", "WEBHOOK_SECRET": SECRET,
                       **cluster_env(self.database_url, self.schema)}
                proc = BotProcess(self.emu, self.framework, self.folder / "unused.db", self.folder / f"bot{i}.log",
                                  webhook_url=hook, extra_env={**env, "BOT_TOKEN": TOKEN})
                self.bots.append(proc)
                await proc.start(timeout=120)
        if self.n_webs:
            self.webs = [WebProcess(cluster_env(self.database_url, self.schema), self.folder / f"web{i}.log",
                                    self.web_args) for i in range(self.n_webs)]
            await asyncio.gather(*(w.start() for w in self.webs))
            self.web_proxy = RoundRobinProxy([w.url for w in self.webs])
            await self.web_proxy.start()

    async def stop(self) -> None:
        for proxy in (self.bot_proxy, self.web_proxy):
            if proxy is not None:
                await proxy.stop()
        await asyncio.gather(*(b.stop() for b in self.bots), *(w.stop() for w in self.webs), return_exceptions=True)

    def logs(self) -> str:
        parts = [f"--- bot {i}\n{b.log_tail()}" for i, b in enumerate(self.bots)]
        parts += [f"--- web {i}\n{w.log_tail()}" for i, w in enumerate(self.webs)]
        return "\n".join(parts)


class WebVisitor:
    """One browser: its own cookie jar and client address; talks to the page's JSON API."""

    def __init__(self, base_url: str, address: str) -> None:
        self.base = base_url
        self.address = address
        self.csrf = ""
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                          timeout=aiohttp.ClientTimeout(total=60),
                                          headers={"X-Forwarded-For": address})

    async def open(self) -> dict:
        async with self.http.get(self.base + "/") as resp:
            assert resp.status == 200, resp.status
        return await self.state()

    async def state(self) -> dict:
        async with self.http.get(self.base + "/api/state") as resp:
            assert resp.status == 200, resp.status
            body = await resp.json()
        self.csrf = body["csrf"]
        return body

    async def post(self, body: dict) -> tuple[int, dict]:
        body.setdefault("client_id", uuid.uuid4().hex)
        async with self.http.post(self.base + "/api/message", json=body, headers={"X-CSRF-Token": self.csrf}) as resp:
            return resp.status, await resp.json()

    async def say(self, text: str) -> tuple[int, dict]:
        return await self.post({"kind": "text", "text": text})

    async def press(self, data: str) -> tuple[int, dict]:
        return await self.post({"kind": "button", "data": data})

    async def close(self) -> None:
        await self.http.close()
