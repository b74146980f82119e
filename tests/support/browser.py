"""Headless Chromium for the browser tests of the web chat and the staff console.

Debian's ``chromium`` driven by Playwright (never downloaded): ``scripts/setup.sh`` installs both,
and a test module marked ``NEEDS_CHROMIUM`` skips, saying why, only where they could not be
installed (their modules take ``expect`` from here, so that they import without Playwright).
The ``browser`` fixture is registered for the e2e layer by ``tests/e2e/conftest.py``.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]

try:
    from playwright.async_api import async_playwright, expect
except ImportError:  # pragma: no cover - setup.sh installs it
    async_playwright = expect = None

NEEDS_CHROMIUM = [
    pytest.mark.skipif(async_playwright is None, reason="playwright is not installed (run scripts/setup.sh)"),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and shutil.which("chromium") is None,
        reason="Chromium is not installed and scripts/setup.sh could not install it (needs root and apt)",
    ),
]


@pytest.fixture
async def browser():
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


async def new_page(browser, locale: str = "zh-CN", expected_error: str | None = None, **context_options):  # noqa: ANN001, ANN201
    """A page in a fresh context of ``browser``; its script errors and console errors are collected
    in ``page.errors`` for the test to assert none, except console errors containing
    ``expected_error`` (Chromium logs a 4xx page the test asked for as one, and CSP violations too)."""
    context = await browser.new_context(locale=locale, **context_options)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and (expected_error is None or expected_error not in msg.text) else None)
    page.errors = errors  # type: ignore[attr-defined]
    return page


@asynccontextmanager
async def web_chat_server(app) -> AsyncIterator[object]:  # noqa: ANN001 - the bot's app
    """``app``'s web chat on 127.0.0.1 (burst limits raised: a test clicks faster than a person)."""
    from aiohttp.test_utils import TestServer

    from bot.channels.web.server import WebConfig, create_app

    server = TestServer(create_app(app, WebConfig(session_burst=500, ip_burst=500)), host="127.0.0.1")
    await server.start_server()
    try:
        yield server
    finally:
        await server.close()
