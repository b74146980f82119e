"""New browser sessions are stored (``web_sessions``), so handing them out is limited per client
address: a script fetching the page or ``/api/state`` without a cookie in a loop must not grow the
database without bound, while a browser that already holds a session is never refused its page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from bot.channels.web import session as sess
from bot.channels.web.models import WebSession
from tests.integration.web_client import cid, csrf_of, say, start_client


async def stored_sessions(bot_app) -> int:  # noqa: ANN001
    async with bot_app.db.session() as s:
        return (await s.execute(select(func.count()).select_from(WebSession))).scalar_one()


async def test_cookieless_requests_in_a_loop_stop_storing_sessions(app):
    sqlite_app = app  # both backends: the limit is counted in the database
    c = await start_client(sqlite_app, issue_burst=3, issue_per_minute=1)
    try:
        before = await stored_sessions(sqlite_app)
        for _ in range(3):  # three new visitors from one address: welcome
            c.session.cookie_jar.clear()
            response = await c.get("/api/state")
            assert response.status == 200
            assert sess.COOKIE_NAME in response.cookies
        for path in ("/api/state", "/", "/api/state", "/"):  # the loop goes on
            c.session.cookie_jar.clear()
            response = await c.get(path)
            assert sess.COOKIE_NAME not in response.cookies
            if path == "/":  # the page itself is served; its script asks /api/state again
                assert response.status == 200
            else:  # refused in the page's words, with the wait
                assert response.status == 429
                body = await response.json()
                assert re.fullmatch(r"您发送得太快了，请等待\d+秒后再试。", body["error"])
                assert int(response.headers["Retry-After"]) >= 1
        assert await stored_sessions(sqlite_app) == before + 3
    finally:
        await c.close()


async def test_a_browser_with_its_session_is_not_refused_by_the_new_session_limit(sqlite_app):
    c = await start_client(sqlite_app, issue_burst=1, issue_per_minute=1)
    try:
        csrf = await csrf_of(c)  # the address's one new session
        await say(c, csrf, "你好")
        for _ in range(5):  # reloads of the page keep working: no new session is needed
            assert (await c.get("/")).status == 200
            state = await c.get("/api/state")
            assert state.status == 200
            assert [m["text"] for m in (await state.json())["messages"] if m["role"] == "user"] == ["你好"]
    finally:
        await c.close()


@pytest.mark.parametrize(
    ("limits", "visits"),
    [
        ({"issue_per_minute": 0}, 80),  # --new-session-limit 0
        # --ip-limit 0 (a load test of many simulated users from one address) lifts this limit too
        ({"ip_per_minute": 0, "issue_burst": 2, "issue_per_minute": 1}, 5),
    ],
)
async def test_without_a_limit_every_new_visitor_gets_a_session(sqlite_app, limits, visits):
    c = await start_client(sqlite_app, **limits)
    try:
        for _ in range(visits):
            c.session.cookie_jar.clear()
            assert (await c.get("/api/state")).status == 200
    finally:
        await c.close()


async def test_the_per_address_limits_count_an_ipv6_network_as_one_address(sqlite_app):
    # a phone or a household is given a whole IPv6 /64: rotating addresses inside it is one client
    c = await start_client(sqlite_app, trust_proxy=True, issue_burst=2, issue_per_minute=1,
                           ip_burst=2, ip_per_minute=1, session_burst=100)
    try:
        statuses = []
        for suffix in ("1", "2", "3"):
            c.session.cookie_jar.clear()
            headers = {"X-Forwarded-For": f"2001:db8:1:2::{suffix}"}
            statuses.append((await c.get("/api/state", headers=headers)).status)
        assert statuses == [200, 200, 429]
        # another network is another client (and IPv4 keeps counting per address)
        for address in ("2001:db8:1:3::1", "203.0.113.7", "203.0.113.8"):
            c.session.cookie_jar.clear()
            assert (await c.get("/api/state", headers={"X-Forwarded-For": address})).status == 200
    finally:
        await c.close()
    # messages from sessions on rotating addresses of one network share its message limit too
    c = await start_client(sqlite_app, trust_proxy=True, issue_burst=100, ip_burst=2, ip_per_minute=1,
                           session_burst=100)
    try:
        sent = []
        for suffix in ("a", "b", "c"):
            headers = {"X-Forwarded-For": f"2001:db8:9:9::{suffix}"}
            c.session.cookie_jar.clear()
            state = await (await c.get("/api/state", headers=headers)).json()
            response = await c.post("/api/message", json={"kind": "text", "text": "你好", "client_id": cid()},
                                    headers={**headers, sess.CSRF_HEADER: state["csrf"]})
            sent.append(response.status)
        assert sent == [200, 200, 429]
    finally:
        await c.close()
