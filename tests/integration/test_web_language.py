"""The web chat in the user's language: Accept-Language for a new browser, the stored choice after
that, the toggle (the core's lang button), and refusals in the page's language."""

from __future__ import annotations

import pytest

from bot.channels.web.page import accepted_language
from tests.integration.web_client import cid, post

ENGLISH_BROWSER = {"Accept-Language": "en-GB,en;q=0.9"}
CHINESE_BROWSER = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}


@pytest.mark.parametrize(("header", "expected"), [
    ("en-US,en;q=0.9", "en"),
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
    ("en;q=0.5,zh;q=0.9", "zh"),
    ("de-DE,de;q=0.9,en;q=0.7", "en"),  # English named, Chinese not
    ("de-DE", "zh"),
    ("", "zh"),
    (None, "zh"),
    ("en;q=0", "zh"),
    ("en;q=abc,zh-TW", "zh"),
    ("*", "zh"),
])
def test_accept_language_picks_english_only_when_preferred(header, expected):
    assert accepted_language(header) == expected


async def test_an_english_browser_gets_the_english_page_and_state(client):
    resp = await client.get("/", headers=ENGLISH_BROWSER)
    html = await resp.text()
    assert '<html lang="en" data-lang="en">' in html
    assert "Type your question" in html and "{{" not in html
    assert "输入您的问题" not in html
    # the sources section as /sources gives it in English: what is known and missing, glossed
    assert "Known: full text" in html and "Known: 全文" not in html and "2024 notice of the West Coast New Area" in html
    assert resp.headers["Content-Language"] == "en"
    state = await (await client.get("/api/state", headers=ENGLISH_BROWSER)).json()
    assert state["lang"] == "en"
    assert state["intro"]["text"].startswith("Hello")
    assert [b["text"] for b in state["menu"]][0] == "Q&A"
    assert state["texts"]["send_failed"].startswith("Sending failed")


async def test_a_chinese_browser_gets_the_chinese_page(client):
    html = await (await client.get("/", headers=CHINESE_BROWSER)).text()
    assert '<html lang="zh-CN" data-lang="zh">' in html and "输入您的问题" in html
    state = await (await client.get("/api/state", headers=CHINESE_BROWSER)).json()
    assert state["lang"] == "zh" and state["menu"][0]["text"] == "问答"


async def test_the_first_message_creates_the_user_in_the_pages_language_and_it_sticks(client):
    state = await (await client.get("/api/state", headers=ENGLISH_BROWSER)).json()
    status, body = await post(client, {"kind": "text", "text": "/help"}, state["csrf"], **ENGLISH_BROWSER)
    assert status == 200 and body["lang"] == "en"
    assert "How to use me" in body["messages"][-1]["text"]
    # the stored choice now beats the browser's header
    state = await (await client.get("/api/state", headers=CHINESE_BROWSER)).json()
    assert state["lang"] == "en"
    html = await (await client.get("/", headers=CHINESE_BROWSER)).text()
    assert 'data-lang="en"' in html


async def test_the_toggle_switches_the_user_and_the_page(client):
    state = await (await client.get("/api/state", headers=CHINESE_BROWSER)).json()
    status, body = await post(client, {"kind": "button", "data": "lang:en"}, state["csrf"], **CHINESE_BROWSER)
    assert status == 200 and body["lang"] == "en"
    assert "reply in English" in body["messages"][-1]["text"]
    html = await (await client.get("/", headers=CHINESE_BROWSER)).text()
    assert '<html lang="en" data-lang="en">' in html
    status, body = await post(client, {"kind": "button", "data": "lang:zh"}, state["csrf"], **CHINESE_BROWSER)
    assert body["lang"] == "zh" and "中文" in body["messages"][-1]["text"]
    assert 'data-lang="zh"' in await (await client.get("/")).text()


async def test_writing_in_english_switches_the_page(client):
    state = await (await client.get("/api/state", headers=CHINESE_BROWSER)).json()
    status, body = await post(client, {"kind": "text", "text": "how much is the review fee"}, state["csrf"])
    assert status == 200 and body["lang"] == "en"
    assert any(m["text"].startswith("You wrote in English") for m in body["messages"])


async def test_refusals_are_worded_in_the_pages_language(client):
    state = await (await client.get("/api/state")).json()
    status, body = await post(client, {"kind": "nonsense", "client_id": cid()}, state["csrf"], **{"X-Page-Language": "en"})
    assert status == 400 and body["error"].startswith("The request was not understood")
    status, body = await post(client, {"kind": "nonsense", "client_id": cid()}, state["csrf"], **ENGLISH_BROWSER)
    assert status == 400 and body["error"].startswith("The request was not understood")
    status, body = await post(client, {"kind": "nonsense", "client_id": cid()}, state["csrf"], **{"X-Page-Language": "fr"})
    assert status == 400 and "请求格式不正确" in body["error"]
    resp = await client.get("/no-such-page", headers=ENGLISH_BROWSER)
    assert resp.status == 404 and (await resp.json())["error"] == "Page not found."


async def test_latin_junk_keeps_the_page_chinese(client):
    state = await (await client.get("/api/state", headers=CHINESE_BROWSER)).json()
    for text in ("asdfgh", "xxxx", "qwe rty", "ok???"):
        status, body = await post(client, {"kind": "text", "text": text}, state["csrf"], **CHINESE_BROWSER)
        assert status == 200 and body["lang"] == "zh", text
        assert not any(m["text"].startswith("You wrote in English") for m in body["messages"])
    assert 'data-lang="zh"' in await (await client.get("/", headers=CHINESE_BROWSER)).text()


async def test_the_toggle_is_a_choice_that_writing_does_not_undo(client):
    state = await (await client.get("/api/state", headers=ENGLISH_BROWSER)).json()
    status, body = await post(client, {"kind": "button", "data": "lang:zh"}, state["csrf"], **ENGLISH_BROWSER)
    assert status == 200 and body["lang"] == "zh"
    status, body = await post(client, {"kind": "text", "text": "how much is the review fee"}, state["csrf"])
    assert status == 200 and body["lang"] == "zh"
    assert not any(m["text"].startswith("You wrote in English") for m in body["messages"])
    assert 'data-lang="zh"' in await (await client.get("/", headers=ENGLISH_BROWSER)).text()
