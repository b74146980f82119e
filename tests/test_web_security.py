"""The web channel under attack: the bind lock per client address, session ids the server issued
(rotated at /bind and /forget, ``__Host-`` over HTTPS), and secrets kept out of the stored history."""

from __future__ import annotations

import uuid

import pytest
from aiohttp import CookieJar
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.web import session as sess
from bot.channels.web.server import WebConfig, create_app
from bot.status.service import SOURCE_FAILURES
from tests.helpers import ChatUser, make_app
from tests.status_helpers import STAFF_ID, row, send_file, xlsx_bytes

NUMBER = "SD2024-000001"
RIGHT_TAIL = "123X"


@pytest.fixture
async def wapp(tmp_path, clock):
    """The bot on SQLite with one application imported."""
    bot_app = await make_app("sqlite", tmp_path, clock=clock, staff_ids=[f"test:{STAFF_ID}"])
    staff = ChatUser(bot_app, user_id=STAFF_ID)
    await send_file(staff, "s.xlsx", xlsx_bytes([row(NUMBER, tail=RIGHT_TAIL, state="审核受理")]))
    assert "导入完成" in staff.text
    try:
        yield bot_app
    finally:
        await bot_app.close()


class Browser:
    """One browser (its own cookie jar) against one server; ``headers`` go with every request."""

    def __init__(self, server: TestServer, **headers: str) -> None:
        self.client = TestClient(server, cookie_jar=CookieJar(unsafe=True))
        self.headers = headers
        self.csrf = ""

    async def open(self) -> Browser:
        await self.client.start_server()
        resp = await self.client.get("/api/state", headers=self.headers)
        assert resp.status == 200
        self.csrf = (await resp.json())["csrf"]
        return self

    async def post(self, text: str) -> tuple[int, dict]:
        headers = self.headers | {sess.CSRF_HEADER: self.csrf}
        resp = await self.client.post(
            "/api/message", json={"kind": "text", "text": text, "client_id": uuid.uuid4().hex}, headers=headers
        )
        return resp.status, await resp.json()

    async def say(self, text: str) -> str:
        status, body = await self.post(text)
        assert status == 200, body
        return "\n".join(m["text"] for m in body["messages"] if m["role"] == "bot")

    async def close(self) -> None:
        await self.client.close()


@pytest.fixture
async def server(wapp):
    srv = TestServer(create_app(wapp, WebConfig(trust_proxy=True, session_burst=100, ip_burst=1000)))
    await srv.start_server()
    browsers: list[Browser] = []

    async def browser(**headers: str) -> Browser:
        b = await Browser(srv, **headers).open()
        browsers.append(b)
        return b

    try:
        yield browser
    finally:
        for b in browsers:
            await b.close()
        await srv.close()


# ---- the bind lock counts client addresses, not cookies -----------------------------------------------
async def test_fresh_cookies_from_one_address_do_not_reset_the_count(server):
    attacker = {"X-Forwarded-For": "203.0.113.7"}
    for i in range(SOURCE_FAILURES):
        b = await server(**attacker)
        await b.say(f"/bind {NUMBER}")
        await b.say(f"{i:03d}1")
    fresh = await server(**attacker)
    assert "尝试次数过多" in await fresh.say(f"/bind {NUMBER}")
    owner = await server(**{"X-Forwarded-For": "198.51.100.20"})  # the applicant at home
    await owner.say(f"/bind {NUMBER}")
    assert "绑定成功" in await owner.say(RIGHT_TAIL)


# ---- secrets never stored in the web history ----------------------------------------------------------
async def stored_texts(bot_app) -> list[str]:  # noqa: ANN001
    from sqlalchemy import select

    from bot.channels.web.models import WebMessage
    from bot.knowledge.models import UnansweredQuestion

    async with bot_app.db.session() as s:
        history = [m.payload["text"] for m in (await s.execute(select(WebMessage))).scalars()]
        gaps = [q.text for q in (await s.execute(select(UnansweredQuestion))).scalars()]
    return history + gaps


async def test_the_id_tail_is_masked_in_history_also_after_a_lock(server, wapp):
    b = await server(**{"X-Forwarded-For": "203.0.113.9"})
    await b.say(f"/bind {NUMBER}")
    await b.say("7771")
    await b.say(f"/bind {NUMBER} 7772")
    for i in range(SOURCE_FAILURES):
        await b.say(f"/bind {NUMBER}")
        await b.say(f"{i + 3:03d}9")
    assert "尝试次数过多" in await b.say(RIGHT_TAIL)
    stored = await stored_texts(wapp)
    assert f"/bind {NUMBER}" in stored and "****" in stored and f"/bind {NUMBER} ****" in stored
    secrets = {"7771", "7772", RIGHT_TAIL, *(f"{i + 3:03d}9" for i in range(SOURCE_FAILURES))}
    assert not [t for t in stored if any(s in t for s in secrets)]
    resp = await b.client.get("/api/state", headers=b.headers)  # what a reload shows
    shown = [m["text"] for m in (await resp.json())["messages"] if m["role"] == "user"]
    assert shown and not [t for t in shown if any(s in t for s in secrets)]
    owner = await server(**{"X-Forwarded-For": "198.51.100.20"})
    assert "绑定成功" in await owner.say(f"/bind {NUMBER} {RIGHT_TAIL}")
    assert not [t for t in await stored_texts(wapp) if RIGHT_TAIL in t]
