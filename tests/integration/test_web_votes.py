"""👍/👎 through the web chat's API: a vote counts only for an answer this browser session was given,
once; another session's button data, a made-up entry id or a replay stores nothing and is told so
(a toast in the user's language, as every refused button press on the page)."""

from __future__ import annotations

from sqlalchemy import select

from bot.knowledge.models import AnswerFeedback
from tests.integration.web_client import cid, csrf_of, post, say, start_client

ENGLISH_BROWSER = {"Accept-Language": "en-GB,en;q=0.9"}


async def votes(app) -> list[tuple[str, int]]:  # noqa: ANN001
    async with app.db.session() as s:
        return sorted((v.entry_id, v.vote) for v in (await s.execute(select(AnswerFeedback))).scalars())


def button(body: dict, label: str) -> str:
    return next(b["data"] for m in body["messages"] for row in m["buttons"] for b in row if b["text"] == label)


async def test_a_session_rates_its_own_answer_once(client, sqlite_app):
    csrf = await csrf_of(client)
    body = await say(client, csrf, "评审费多少钱")
    up = button(body, "👍 有帮助")
    status, body = await post(client, {"kind": "button", "data": up}, csrf)
    assert status == 200 and body["toasts"] == ["谢谢您的反馈！"]
    assert [m["text"] for m in body["messages"] if m["role"] == "user"] == ["👍 有帮助"]
    # the same press sent again as a new request (not a retry): told, not counted
    status, body = await post(client, {"kind": "button", "data": up}, csrf)
    assert status == 200 and body["toasts"] == ["您已经评价过这条回答，谢谢！"]
    assert await votes(sqlite_app) == [("fee-amounts", 1)]


async def test_another_sessions_button_or_a_made_up_entry_is_not_counted(client, sqlite_app):
    csrf = await csrf_of(client)
    body = await say(client, csrf, "评审费多少钱")
    up, down = button(body, "👍 有帮助"), button(body, "👎 没帮助")
    token = up.split(":")[3]
    intruder = await start_client(sqlite_app)
    try:
        their_csrf = await csrf_of(intruder)
        await say(intruder, their_csrf, "网上申报什么时候截止")  # a session with answers of its own
        for forged in (up, down, "kb:up:fee-amounts", "kb:dn:fee-amounts", f"kb:up:submit-address:{token}",
                       "kb:up:made-up-entry:AAAAAAA"):
            status, body = await post(intruder, {"kind": "button", "data": forged}, their_csrf)
            assert status == 200, forged
            assert len(body["toasts"]) == 1 and body["toasts"][0].startswith("评价未记录"), forged
            assert not [m for m in body["messages"] if m["role"] == "bot"]  # nothing answered or stored to show
    finally:
        await intruder.close()
    assert await votes(sqlite_app) == []
    status, body = await post(client, {"kind": "button", "data": down}, csrf)  # the owner's press counts
    assert status == 200 and body["toasts"][0].startswith("谢谢反馈")
    assert await votes(sqlite_app) == [("fee-amounts", -1)]


async def test_a_retried_vote_request_is_not_counted_twice(client, sqlite_app):
    csrf = await csrf_of(client)
    up = button(await say(client, csrf, "评审费多少钱"), "👍 有帮助")
    request = {"kind": "button", "data": up, "client_id": cid()}
    first = await post(client, dict(request), csrf)
    second = await post(client, dict(request), csrf)  # a dropped connection, retried
    assert first[0] == second[0] == 200
    assert await votes(sqlite_app) == [("fee-amounts", 1)]


async def test_an_english_session_is_told_in_english(sqlite_app):
    browser = await start_client(sqlite_app)
    try:
        state = await (await browser.get("/api/state", headers=ENGLISH_BROWSER)).json()
        status, body = await post(browser, {"kind": "button", "data": "kb:up:fee-amounts:AAAAAAA"}, state["csrf"],
                                  **ENGLISH_BROWSER)
        assert status == 200 and body["lang"] == "en"
        assert body["toasts"] == ["Feedback not recorded: you can rate only answers I gave you in this chat "
                                  "(within 30 days)."]
    finally:
        await browser.close()
    assert await votes(sqlite_app) == []
