"""The web channel's HTTP API through aiohttp's test client: cookies, CSRF, limits, escaping, errors."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.channels.web import session as sess
from bot.channels.web.models import WebInboxItem, WebMessage
from bot.channels.web.sender import WebInboxSender
from bot.channels.web.server import CHANNEL_KEY, STATIC_DIR, TRIM_EVERY
from bot.core.messages import Button, Outbound
from bot.core.sending import PermanentFailure
from tests.integration.web_client import cid, csrf_of, post, say, start_client
from tests.support.helpers import ChatUser, make_app


def texts_of(body: dict, role: str = "bot") -> str:
    return "\n".join(m["text"] for m in body["messages"] if m["role"] == role)


# ---- cookies and headers ----------------------------------------------------------------------
async def test_page_sets_an_httponly_samesite_session_cookie_and_security_headers(client):
    resp = await client.get("/")
    assert resp.status == 200
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith(f"{sess.COOKIE_NAME}=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    token = resp.cookies[sess.COOKIE_NAME].value
    assert sess.valid_token(token)
    csp = resp.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    page = await resp.text()
    assert '<html lang="zh-CN" data-lang="zh">' in page and "{{" not in page
    assert "<script>" not in page  # no inline script: the CSP forbids it


async def test_cookie_is_secure_behind_an_https_proxy(sqlite_app):
    c = await start_client(sqlite_app, trust_proxy=True)
    try:
        resp = await c.get("/", headers={"X-Forwarded-Proto": "https"})
        assert "Secure" in resp.headers["Set-Cookie"]
        resp = await c.get("/api/state", headers={"X-Forwarded-Proto": "http"})
        assert "Secure" not in resp.headers.get("Set-Cookie", "Secure")
    finally:
        await c.close()


async def test_a_second_visit_keeps_the_session(client):
    await client.get("/")
    resp = await client.get("/")
    assert "Set-Cookie" not in resp.headers


async def test_static_files_carry_the_headers_and_no_directory_listing(client):
    resp = await client.get("/static/app.js")
    assert resp.status == 200 and resp.headers["X-Content-Type-Options"] == "nosniff"
    resp = await client.get("/static/")
    assert resp.status in {403, 404}
    body = await resp.json()
    assert "Traceback" not in str(body)


# ---- CSRF ---------------------------------------------------------------------------------------
async def test_posts_without_the_csrf_token_are_refused(client):
    csrf = await csrf_of(client)
    status, body = await post(client, {"kind": "text", "text": "你好"}, None)
    assert status == 403 and "刷新" in body["error"]
    status, body = await post(client, {"kind": "text", "text": "你好"}, "0" * 32)
    assert status == 403
    status, body = await post(client, {"kind": "text", "text": "你好"}, csrf, Origin="https://evil.example")
    assert status == 403
    status, body = await post(client, {"kind": "text", "text": "你好"}, csrf, **{"Sec-Fetch-Site": "cross-site"})
    assert status == 403
    status, body = await post(client, {"kind": "text", "text": "你好"}, csrf)
    assert status == 200


async def test_a_token_of_another_session_is_refused(client, sqlite_app):
    other = await start_client(sqlite_app)
    try:
        foreign = await csrf_of(other)
    finally:
        await other.close()
    await csrf_of(client)
    status, _ = await post(client, {"kind": "text", "text": "你好"}, foreign)
    assert status == 403


async def test_posting_without_a_session_cookie_is_refused(client):
    status, body = await post(client, {"kind": "text", "text": "你好"}, "a" * 32)
    assert status == 403 and body["error"]


async def test_only_json_bodies_are_accepted(client):
    csrf = await csrf_of(client)
    resp = await client.post("/api/message", data="kind=text&text=hi", headers={sess.CSRF_HEADER: csrf})
    assert resp.status == 415
    assert "请求格式" in (await resp.json())["error"]


# ---- conversation through the API ----------------------------------------------------------------
async def test_a_question_gets_the_cores_reply_and_history_survives_a_reload(client, sqlite_app):
    question = "评审费多少钱？"
    core_reply = (await ChatUser(sqlite_app, "9", channel="test").say(question))[-1].text
    csrf = await csrf_of(client)
    body = await say(client, csrf, question)
    assert texts_of(body, "user") == question
    shown = body["messages"][-1]
    assert core_reply.startswith(shown["text"]) and core_reply.rstrip().endswith(shown["source"])
    if "来源" in core_reply:  # the knowledge base answered: the source is shown as its own line
        assert "360元" in shown["text"] and shown["source"].startswith("来源")
    else:  # the honest fallback with the office's phone
        assert sqlite_app.services.office.phone in shown["text"]
    state = await (await client.get("/api/state")).json()
    assert [m["role"] for m in state["messages"]] == ["user", "bot"]
    assert state["messages"][1] == shown


async def test_pressing_a_menu_button_shows_its_label_and_the_reply(client, sqlite_app):
    csrf = await csrf_of(client)
    await say(client, csrf, "/start")  # offers the main menu as buttons
    status, body = await post(client, {"kind": "button", "data": "menu:qa"}, csrf)
    assert status == 200
    assert texts_of(body, "user") == sqlite_app.services.texts.get("menu.qa")
    assert sqlite_app.services.texts.get("qa.prompt") in texts_of(body)


async def test_the_main_menu_and_intro_are_offered_before_any_message(client, sqlite_app):
    state = await (await client.get("/api/state")).json()
    labels = [b["text"] for b in state["menu"]]
    assert sqlite_app.services.texts.get("menu.qa") in labels
    assert all(b["data"].startswith("menu:") for b in state["menu"])
    # the greeting does not repeat the menu strip shown right below it
    assert state["messages"] == [] and state["intro"]["text"] and state["intro"]["buttons"] == []


async def test_a_pressed_menu_button_is_stored_with_its_label(client, sqlite_app):
    csrf = await csrf_of(client)
    status, body = await post(client, {"kind": "button", "data": "menu:help"}, csrf)
    assert status == 200
    label = sqlite_app.services.texts.get("menu.help")
    assert texts_of(body, "user") == label
    state = await (await client.get("/api/state")).json()
    assert [m["text"] for m in state["messages"] if m["role"] == "user"] == [label]


async def test_a_retried_request_is_answered_from_history_not_handled_twice(client, sqlite_app):
    csrf = await csrf_of(client)
    request = {"kind": "text", "text": "网上申报什么时候截止", "client_id": cid()}
    first = await post(client, dict(request), csrf)
    second = await post(client, dict(request), csrf)
    assert first == second
    async with sqlite_app.db.session() as s:
        n = (await s.execute(select(func.count()).select_from(WebMessage))).scalar_one()
    assert n == 2


async def test_a_script_message_comes_back_as_plain_text(client):
    csrf = await csrf_of(client)
    body = await say(client, csrf, "<script>alert(1)</script>")
    assert texts_of(body, "user") == "<script>alert(1)</script>"
    page_script = (STATIC_DIR / "app.js").read_text(encoding="utf-8")
    assert "innerHTML" not in page_script and "insertAdjacentHTML" not in page_script


async def test_a_stale_button_gets_a_toast_not_an_error(client, sqlite_app):
    csrf = await csrf_of(client)
    status, body = await post(client, {"kind": "button", "data": "nosuch:1"}, csrf)
    assert status == 200
    assert body["toasts"] == [sqlite_app.services.texts.get("input.stale_button")]


async def test_an_edit_replaces_the_message_with_the_buttons(client):
    csrf = await csrf_of(client)
    body = await say(client, csrf, "/forget")
    confirm = next(m for m in body["messages"] if m["buttons"])
    status, body = await post(client, {"kind": "button", "data": "forget:no"}, csrf)
    assert status == 200
    edited = [m for m in body["messages"] if m["role"] == "bot"]
    assert edited[0]["id"] == confirm["id"] and edited[0]["buttons"] == []


async def test_forget_deletes_the_web_history(client, sqlite_app):
    csrf = await csrf_of(client)
    await say(client, csrf, "你好")
    body = await say(client, csrf, "/privacy")
    assert "网页聊天记录" in texts_of(body)
    await say(client, csrf, "/forget")
    status, body = await post(client, {"kind": "button", "data": "forget:yes"}, csrf)
    assert status == 200 and body["reset"] is True
    assert texts_of(body) == sqlite_app.services.texts.get("forget.done")
    async with sqlite_app.db.session() as s:
        n = (await s.execute(select(func.count()).select_from(WebMessage))).scalar_one()
    assert n == 0
    state = await (await client.get("/api/state")).json()
    assert state["messages"] == []


async def test_history_is_bounded_per_session(app):
    sqlite_app = app  # both backends: the trim is a DELETE with a subquery on the same table
    c = await start_client(sqlite_app, history_limit=6, session_burst=100)
    try:
        csrf = await csrf_of(c)
        for i in range(12):
            await say(c, csrf, f"问题{i}")
        state = await (await c.get("/api/state")).json()
        assert len(state["messages"]) == 6
        assert state["messages"][-2]["text"] == "问题11"
        async with sqlite_app.db.session() as s:
            stored = (await s.execute(select(func.count()).select_from(WebMessage))).scalar_one()
        assert 6 <= stored <= 6 + TRIM_EVERY
    finally:
        await c.close()


# ---- limits -------------------------------------------------------------------------------------
async def test_the_session_rate_limit_answers_in_chinese_with_retry_after(sqlite_app):
    c = await start_client(sqlite_app, session_burst=3, session_per_minute=6)
    try:
        csrf = await csrf_of(c)
        for _ in range(3):
            await say(c, csrf, "你好")
        status, body = await post(c, {"kind": "text", "text": "你好"}, csrf)
        assert status == 429
        assert re.fullmatch(r"您发送得太快了，请等待\d+秒后再试。", body["error"])
        assert body["retry_after"] >= 1
    finally:
        await c.close()


async def test_the_ip_rate_limit_spans_sessions(sqlite_app):
    c = await start_client(sqlite_app, ip_burst=2, ip_per_minute=1)
    try:
        for expected in (200, 200, 429):
            c.session.cookie_jar.clear()  # a fresh browser session each time, same address
            csrf = await csrf_of(c)
            status, _ = await post(c, {"kind": "text", "text": "你好"}, csrf)
            assert status == expected
    finally:
        await c.close()


async def test_an_oversized_body_is_refused_in_chinese(client):
    csrf = await csrf_of(client)
    status, body = await post(client, {"kind": "text", "text": "长" * 5000}, csrf)
    assert status == 413 and "精简" in body["error"]


async def test_a_long_text_within_the_body_limit_is_refused_before_it_is_stored(client, sqlite_app):
    csrf = await csrf_of(client)
    status, body = await post(client, {"kind": "text", "text": "问" * 1200}, csrf)
    assert status == 413 and "1000字以内" in body["error"]
    status, _ = await post(client, {"kind": "text", "text": "问" * 999 + "\x00" * 600}, csrf)
    assert status == 200  # what counts is the text the core would see
    async with sqlite_app.db.session() as session:
        stored = (await session.execute(select(WebMessage))).scalars().all()
    assert stored and max(len(m.payload["text"]) for m in stored if m.role == "user") == 999
    assert all("问" * 1000 not in str(m.payload) for m in stored)


async def test_deeply_nested_json_and_lone_surrogates_get_a_clear_answer(client, sqlite_app, caplog):
    csrf = await csrf_of(client)
    headers = {sess.CSRF_HEADER: csrf, "Content-Type": "application/json"}
    deep = b"[" * 5_000 + b"]" * 5_000  # 10 KB, within the body limit; Python's json recurses per level
    resp = await client.post("/api/message", data=deep, headers=headers)
    assert resp.status == 400 and (await resp.json())["error"] == "请求格式不正确，请刷新页面后重试。"
    for body in ({"kind": "text", "text": "你好\ud800"}, {"kind": "button", "data": "unit:\ud800:0"}):
        raw = json.dumps(dict(body, client_id=cid())).encode()  # json escapes the surrogate as \\ud800
        resp = await client.post("/api/message", data=raw, headers=headers)
        assert resp.status == 200, await resp.text()
    async with sqlite_app.db.session() as session:
        stored = (await session.execute(select(WebMessage))).scalars().all()
    assert "你好" in [m.payload["text"] for m in stored]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    "payload",
    [
        {"kind": "text", "text": "x", "client_id": "short"},
        {"kind": "shout", "text": "x"},
        {"kind": "button", "data": ""},
        {"kind": "button", "data": "x" * 65},
        {"kind": "text", "text": 5},
        {"kind": "text", "text": "x", "client_id": "../../etc"},
    ],
)
async def test_malformed_requests_get_a_clear_message(client, payload):
    csrf = await csrf_of(client)
    status, body = await post(client, dict(payload), csrf)
    assert status == 400 and body["error"] == "请求格式不正确，请刷新页面后重试。"


async def test_invalid_json_and_unknown_paths_never_show_internals(client):
    csrf = await csrf_of(client)
    resp = await client.post(
        "/api/message", data=b"{not json", headers={sess.CSRF_HEADER: csrf, "Content-Type": "application/json"}
    )
    assert resp.status == 400
    resp = await client.get("/api/nothing")
    assert resp.status == 404 and (await resp.json())["error"] == "页面不存在。"


async def test_an_internal_failure_is_a_short_chinese_message(client, monkeypatch):
    csrf = await csrf_of(client)
    channel = client.server.app[CHANNEL_KEY]

    async def explode(*_args, **_kwargs):
        raise RuntimeError("secret internal detail /path/to/file.py line 42")

    monkeypatch.setattr(channel, "exchange", explode)
    status, body = await post(client, {"kind": "text", "text": "你好"}, csrf)
    raw = str(body)
    assert status == 500 and "抱歉" in body["error"]
    assert "RuntimeError" not in raw and "secret" not in raw and "Traceback" not in raw


# ---- identity, staff, inbox ------------------------------------------------------------------------
def test_web_ids_can_never_be_configured_staff(sqlite_app):
    token = sess.new_token()
    key = sess.session_key(token)
    assert re.fullmatch(r"w[0-9a-f]{32}", key) and token not in key
    services = sqlite_app.services
    services.settings.staff_ids.extend(["1001", key, key[1:]])
    try:
        assert not services.is_configured_staff("web", key)
    finally:
        del services.settings.staff_ids[-3:]


async def test_web_users_are_not_staff_even_with_staff_ids_set(tmp_path):
    bot_app = await make_app("sqlite", tmp_path, staff_ids="1001,42")
    try:
        c = await start_client(bot_app)
        try:
            csrf = await csrf_of(c)
            await say(c, csrf, "你好")
            async with bot_app.db.engine.connect() as conn, conn.begin():
                from bot.core.context import Context
                from bot.core.messages import Inbound
                from bot.storage.models import User
                from bot.storage.turns import UpdateTransaction

                uow = UpdateTransaction(conn)
                (external_id,) = (await conn.execute(select(User.external_id).where(User.channel == "web"))).one()
                loaded = await uow.load_turn("web", external_id)
                assert loaded is not None
                user = loaded.user
                ctx = Context(
                    inbound=Inbound(channel="web", user_id=user.external_id, chat_id=user.chat_id),
                    user=user,
                    services=bot_app.services,
                    uow=uow,
                )
                assert ctx.is_staff is False
        finally:
            await c.close()
    finally:
        await bot_app.close()


async def test_pushes_wait_in_the_inbox_and_show_when_the_page_opens(app):
    """On both backends: the outbox's sender for "web" writes the inbox; the next visit shows it once."""
    c = await start_client(app)
    try:
        csrf = await csrf_of(c)
        await say(c, csrf, "你好")
        token = c.session.cookie_jar.filter_cookies(c.make_url("/"))[sess.COOKIE_NAME].value
        key = sess.session_key(token)
        sender = WebInboxSender(app.db, app.services.clock)
        notice = Outbound(text="【通知】网上申报将于8月30日截止。", buttons=[[Button(text="问答", data="menu:qa")]])
        ref = await sender.send(key, notice)
        assert ref and ref.startswith("inbox:")
        state = await (await c.get("/api/state")).json()
        assert state["new_notices"] == 1
        last = state["messages"][-1]
        assert last["role"] == "notice" and last["text"] == notice.text and last["buttons"][0][0]["data"] == "menu:qa"
        again = await (await c.get("/api/state")).json()
        assert again["new_notices"] == 0 and len(again["messages"]) == len(state["messages"])
        async with app.db.session() as s:
            waiting = await s.execute(select(WebInboxItem).where(WebInboxItem.delivered_at.is_(None)))
            assert waiting.first() is None
    finally:
        await c.close()


async def test_the_outbox_worker_delivers_to_web_users_through_the_inbox(sqlite_app):
    """A push enqueued for a web user (as reminders and broadcasts do) reaches the page once."""
    from bot.outbox.queue import enqueue
    from bot.outbox.worker import OutboxWorker
    from bot.storage.models import User

    c = await start_client(sqlite_app)
    try:
        csrf = await csrf_of(c)
        await say(c, csrf, "你好")
        async with sqlite_app.db.session() as s:
            user = (await s.execute(select(User).where(User.channel == "web"))).scalar_one()
            notice = Outbound(text="【通知】专业测评时间另行通知，请关注政务网。")
            await enqueue(s, user=user, message=notice, key="test:notice:1", kind="broadcast",
                          now=sqlite_app.services.clock.now())
        senders = {"web": WebInboxSender(sqlite_app.db, sqlite_app.services.clock)}
        stats = await OutboxWorker(sqlite_app.db, senders, sqlite_app.services.clock).drain()
        assert stats.sent == 1
        # a retried delivery of the same row (uncertain send) does not add a second item
        again = await senders["web"].send(user.chat_id, notice, idempotency_key="test:notice:1")
        async with sqlite_app.db.session() as s:
            items = (await s.execute(select(WebInboxItem))).scalars().all()
        assert len(items) == 1 and again == f"inbox:{items[0].id}"
        state = await (await c.get("/api/state")).json()
        assert state["new_notices"] == 1 and state["messages"][-1]["text"] == notice.text
    finally:
        await c.close()


async def test_old_history_is_purged_after_the_retention_period(client, sqlite_app, clock):
    from datetime import timedelta

    from bot.channels.web import history

    csrf = await csrf_of(client)
    await say(client, csrf, "你好")
    clock.advance(days=history.RETENTION_DAYS + 1)
    await say(client, csrf, "还在吗")
    async with sqlite_app.db.session() as s:
        removed = await history.purge(s, clock.now() - timedelta(days=history.RETENTION_DAYS))
    assert removed == 2
    state = await (await client.get("/api/state")).json()
    assert [m["text"] for m in state["messages"] if m["role"] == "user"] == ["还在吗"]


async def test_the_web_sender_refuses_what_is_not_a_web_session(sqlite_app):
    sender = WebInboxSender(sqlite_app.db, sqlite_app.services.clock)
    assert sender.channel == "web"
    with pytest.raises(PermanentFailure):
        await sender.send("12345", Outbound(text="hi"))
    with pytest.raises(PermanentFailure):
        await sender.send("w" + "0" * 32, Outbound(text=""))


def test_page_texts_are_html_escaped_when_rendered(sqlite_app, monkeypatch):
    from bot.channels.web.server import WebChannel

    original = sqlite_app.services.texts.get

    def sneaky(key, lang="zh", **values):
        return '<img src=x onerror="alert(1)">' if key == "web.heading" else original(key, lang, **values)

    monkeypatch.setattr(sqlite_app.services.texts, "get", sneaky)
    page = WebChannel(sqlite_app).pages["en"]
    assert "<img" not in page and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page


def test_static_files_use_no_cdn_and_no_inline_code():
    for path in Path(STATIC_DIR).iterdir():
        text = path.read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text, path.name
    page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    assert " onclick=" not in page and " style=" not in page and "<script>" not in page
