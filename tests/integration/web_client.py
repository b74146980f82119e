"""The web chat's API as a browser's script calls it, for the integration tests of the web channel:
a test client on a started app, the CSRF token, posting a message. ``tests/integration/conftest.py``
registers the ``client`` fixture (a client on ``sqlite_app`` with the default limits)."""

from __future__ import annotations

import uuid

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.web import session as sess
from bot.channels.web.server import WebConfig, create_app


def cid() -> str:
    """A fresh ``client_id``, as the page's script gives each request."""
    return uuid.uuid4().hex


async def start_client(bot_app, **config) -> TestClient:
    client = TestClient(TestServer(create_app(bot_app, WebConfig(**config))))
    await client.start_server()
    return client


@pytest.fixture
async def client(sqlite_app):
    c = await start_client(sqlite_app)
    try:
        yield c
    finally:
        await c.close()


async def csrf_of(client: TestClient) -> str:
    resp = await client.get("/api/state")
    assert resp.status == 200
    return (await resp.json())["csrf"]


async def post(client: TestClient, body: dict, csrf: str | None, **headers) -> tuple[int, dict]:
    if csrf is not None:
        headers[sess.CSRF_HEADER] = csrf
    body.setdefault("client_id", cid())
    resp = await client.post("/api/message", json=body, headers=headers)
    return resp.status, await resp.json()


async def say(client: TestClient, csrf: str, text: str) -> dict:
    status, body = await post(client, {"kind": "text", "text": text}, csrf)
    assert status == 200, body
    return body
