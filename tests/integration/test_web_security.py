"""The web channel under attack: the bind lock per client address, session ids the server issued
(rotated at /bind and /forget, ``__Host-`` over HTTPS), and secrets kept out of the stored history."""

from __future__ import annotations

import uuid

import pytest
from aiohttp import CookieJar
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.web import session as sess
from bot.channels.web.server import WebConfig, create_app
from bot.status.lockout import SOURCE_FAILURES
from tests.support.helpers import ChatUser, make_app
from tests.support.status_helpers import STAFF_ID, row, send_file, xlsx_bytes

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
        body = await resp.json()
        self.csrf = body.get("csrf") or self.csrf  # a replaced session id comes with its token, as app.js takes it
        return resp.status, body

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


# ---- session ids: only issued ones, rotated at /bind and /forget, __Host- over HTTPS ---------------------
def cookie_of(b: Browser) -> str:
    return b.client.session.cookie_jar.filter_cookies(b.client.make_url("/"))[sess.COOKIE_NAME].value


async def raw_post(b: Browser, cookie: str, text: str, csrf: str | None = None) -> int:
    headers = b.headers | {sess.CSRF_HEADER: csrf or sess.csrf_token(cookie), "Cookie": f"{sess.COOKIE_NAME}={cookie}"}
    b.client.session.cookie_jar.clear()
    resp = await b.client.post("/api/message", json={"kind": "text", "text": text, "client_id": uuid.uuid4().hex}, headers=headers)
    return resp.status


async def test_a_well_formed_cookie_the_server_never_issued_is_no_session(server):
    b = await server()
    made_up = sess.new_token()
    assert await raw_post(b, made_up, "你好") == 403
    resp = await b.client.get("/api/state", headers={"Cookie": f"{sess.COOKIE_NAME}={made_up}"})
    assert resp.status == 200
    given = resp.cookies[sess.COOKIE_NAME].value
    assert given != made_up and (await resp.json())["messages"] == []


async def test_binding_rotates_the_session_id_and_a_planted_id_stops_working(server, wapp):
    attacker = await server(**{"X-Forwarded-For": "203.0.113.50"})
    planted = cookie_of(attacker)  # an id the server issued to the attacker…
    victim = await server(**{"X-Forwarded-For": "198.51.100.20"})
    jar = victim.client.session.cookie_jar
    jar.clear()
    jar.update_cookies({sess.COOKIE_NAME: planted}, victim.client.make_url("/"))  # …planted in the victim's browser
    victim.csrf = sess.csrf_token(planted)
    await victim.say(f"/bind {NUMBER}")
    assert cookie_of(victim) == planted  # nothing secret yet
    status, body = await victim.post(RIGHT_TAIL)
    assert status == 200 and "绑定成功" in str(body["messages"])
    rotated = cookie_of(victim)
    assert rotated != planted and body["csrf"] == sess.csrf_token(rotated)
    victim.csrf = body["csrf"]
    assert "当前状态" in await victim.say("/status")  # same session: still bound, history kept
    resp = await victim.client.get("/api/state", headers=victim.headers)
    assert len((await resp.json())["messages"]) >= 4
    assert await raw_post(attacker, planted, "/status") == 403  # the planted id is dead
    resp = await attacker.client.get("/api/state", headers={"Cookie": f"{sess.COOKIE_NAME}={planted}"})
    assert "SD2024" not in str(await resp.json())


async def test_forget_replaces_the_session_id_with_a_new_empty_session(server):
    b = await server()
    before = cookie_of(b)
    await b.say("你好")
    status, body = await b.post("/forget")
    resp = await b.client.post(
        "/api/message", json={"kind": "button", "data": "forget:yes", "client_id": uuid.uuid4().hex},
        headers=b.headers | {sess.CSRF_HEADER: b.csrf},
    )
    body = await resp.json()
    assert resp.status == 200 and body.get("reset") and body["csrf"]
    after = cookie_of(b)
    assert after != before and sess.csrf_token(after) == body["csrf"]
    assert await raw_post(b, before, "你好") == 403
    resp = await b.client.get("/api/state", headers={"Cookie": f"{sess.COOKIE_NAME}={after}"})
    assert (await resp.json())["messages"] == []


async def test_over_https_the_cookie_is_host_prefixed_and_secure(wapp):
    srv = TestServer(create_app(wapp, WebConfig(trust_proxy=True)))
    client = TestClient(srv, cookie_jar=CookieJar(unsafe=True))
    await client.start_server()
    try:
        https = {"X-Forwarded-Proto": "https"}
        resp = await client.get("/api/state", headers=https)
        header = resp.headers["Set-Cookie"]
        assert header.startswith(f"{sess.SECURE_COOKIE_NAME}=") and "Secure" in header and "Path=/" in header
        assert "Domain" not in header
        token = resp.cookies[sess.SECURE_COOKIE_NAME].value
        client.session.cookie_jar.clear()
        # over HTTPS a plain cookie (which a sibling subdomain could plant) is not read
        resp = await client.get("/api/state", headers=https | {"Cookie": f"{sess.COOKIE_NAME}={token}"})
        assert resp.cookies[sess.SECURE_COOKIE_NAME].value != token
        client.session.cookie_jar.clear()
        resp = await client.post(
            "/api/message", json={"kind": "text", "text": "你好", "client_id": uuid.uuid4().hex},
            headers=https | {"Cookie": f"{sess.SECURE_COOKIE_NAME}={token}", sess.CSRF_HEADER: sess.csrf_token(token)},
        )
        assert resp.status == 200
        resp = await client.get("/api/state", headers={"X-Forwarded-Proto": "http"})
        assert resp.headers["Set-Cookie"].startswith(f"{sess.COOKIE_NAME}=") and "Secure" not in resp.headers["Set-Cookie"]
    finally:
        await client.close()
    forced = TestClient(TestServer(create_app(wapp, WebConfig(secure_cookie=True))))
    await forced.start_server()
    try:
        resp = await forced.get("/")
        assert resp.headers["Set-Cookie"].startswith(f"{sess.SECURE_COOKIE_NAME}=")
    finally:
        await forced.close()


async def test_a_session_from_before_issued_ids_is_adopted_once(server, wapp):
    legacy = sess.new_token()
    key = sess.session_key(legacy)
    visitor = ChatUser(wapp, user_id=key, channel="web")
    await visitor.say("你好")  # the user row of a session from before the upgrade
    b = await server()
    assert await raw_post(b, legacy, "/privacy") == 200
    await raw_post(b, legacy, "/bind")
    assert await raw_post(b, legacy, f"{NUMBER} {RIGHT_TAIL}") == 200  # a secret: the id is rotated
    assert await raw_post(b, legacy, "/status") == 403  # and never adopted again
