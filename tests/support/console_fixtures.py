"""Shared pieces of the staff console's tests: accounts with a known password, a running console
server on a fresh database, and an HTTP "browser" that signs in and posts forms with their CSRF token.

``tests/integration/conftest.py`` imports the fixtures (``tests/e2e/conftest.py`` the first two), so
those tests can ask for ``console_app`` and ``console_server`` (and ``console_any_app`` for both
database backends); import ``ConsoleBrowser``, ``add_account``, ``console_and_bot`` and ``PASSWORD``
from here.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import CookieJar
from aiohttp.test_utils import TestClient, TestServer

from bot.console import accounts
from bot.console.server import ConsoleConfig, create_app
from tests.support.helpers import make_app

PASSWORD = "lighthouse-harbour-47"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def add_account(bot_app, login: str, role: str = "staff", password: str | None = PASSWORD) -> str:
    """Create an account (with ``password`` chosen through its setup link); returns the link's token."""
    now = bot_app.services.clock.now()
    async with bot_app.db.session() as session:
        _account, token = await accounts.add(session, login, role, now)
    if password is not None:
        async with bot_app.db.session() as session:
            await accounts.choose_password(session, token, password, password, now)
    return token


@pytest.fixture
async def console_app(tmp_path, clock):
    """The bot on SQLite with an admin ``chief`` and a staff member ``clerk`` (password ``PASSWORD``)."""
    bot_app = await make_app("sqlite", tmp_path, clock=clock)
    await add_account(bot_app, "chief", "admin")
    await add_account(bot_app, "clerk", "staff")
    try:
        yield bot_app
    finally:
        await bot_app.close()


@pytest.fixture
async def console_any_app(app):
    """``chief`` and ``clerk`` on the bot of each backend (SQLite, and PostgreSQL when it answers)."""
    await add_account(app, "chief", "admin")
    await add_account(app, "clerk", "staff")
    return app


@pytest.fixture
async def console_server(console_app):
    server = TestServer(create_app(console_app, ConsoleConfig()), host="127.0.0.1")
    await server.start_server()
    try:
        yield server
    finally:
        await server.close()


@contextlib.asynccontextmanager
async def console_and_bot(tmp_path: Path, clock) -> AsyncIterator[tuple]:  # noqa: ANN001
    """(the console's app, a running bot's app, the console server): two ``App`` on one SQLite
    database, as two processes would be, with a staff member ``clerk``. The content root is
    whatever ``CONTENT_DIR`` names (a writable copy, for the tests that change it)."""
    console_app = await make_app("sqlite", tmp_path, clock=clock)
    bot_app = await make_app("sqlite", tmp_path, clock=clock)
    await add_account(console_app, "clerk", "staff")
    server = TestServer(create_app(console_app, ConsoleConfig()), host="127.0.0.1")
    await server.start_server()
    try:
        yield console_app, bot_app, server
    finally:
        await server.close()
        await bot_app.close()
        await console_app.close()


def confirm_form(preview_page: str, draft: dict[str, str]) -> dict[str, str]:
    """The confirm form of a broadcast preview: the draft plus the page's one-time confirm key."""
    found = re.search(r'name="confirm_key" value="([A-Za-z0-9_-]{43})"', preview_page)
    assert found, "no confirm key on the preview page"
    return draft | {"confirm_key": found.group(1)}


class ConsoleBrowser:
    """One browser (its own cookies) against the console; remembers the last page's CSRF token."""

    def __init__(self, server: TestServer, **headers: str) -> None:
        self.client = TestClient(server, cookie_jar=CookieJar(unsafe=True))
        self.headers = headers
        self.csrf = ""

    async def __aenter__(self) -> ConsoleBrowser:
        await self.client.start_server()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.close()

    async def get(self, path: str, headers: dict[str, str] | None = None, **kwargs):  # noqa: ANN003, ANN201
        response = await self.client.get(path, headers=self.headers | (headers or {}), **kwargs)
        return await self._read(response)

    async def post(self, path: str, data: dict[str, str] | None = None, csrf: bool = True, **kwargs):  # noqa: ANN003, ANN201
        form = dict(data or {})
        if csrf:
            form["csrf"] = self.csrf
        response = await self.client.post(path, data=form, headers=self.headers, allow_redirects=True, **kwargs)
        return await self._read(response)

    async def _read(self, response):  # noqa: ANN001, ANN202
        """The response with its text as ``body_text``; a form's CSRF token on it is remembered."""
        body = await response.text()
        found = _CSRF.search(body)
        if found:
            self.csrf = found.group(1)
        response.body_text = body
        return response

    async def sign_in(self, login: str, password: str = PASSWORD):  # noqa: ANN201
        await self.get("/signin")
        return await self.post("/signin", {"login": login, "password": password})
