"""Bad input never raises, never logs an error and never leaks internals."""

from __future__ import annotations

import logging

import pytest

from bot.core.messages import Attachment
from bot.core.sanitize import clean_text

LEAK_MARKERS = ("Traceback", "Error", "Exception", "sqlalchemy", "File \"", "bot/")


def assert_clean(user, caplog):
    assert user.last, "every input gets an answer"
    for reply in user.last:
        for marker in LEAK_MARKERS:
            assert marker not in reply.text
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []


@pytest.mark.parametrize(
    "text",
    ["x" * 10_000, "", "   ", "😀😀😀", "a\x00b", "\x00", "/", "/@", "/start@", "\u202e\u200b", "<script>alert(1)</script>"],
    ids=["10k", "empty", "blank", "emoji", "nul", "only-nul", "slash", "slash-at", "start-at", "bidi", "script"],
)
async def test_odd_text(user, caplog, text):
    caplog.set_level(logging.INFO)
    await user.say(text)
    assert_clean(user, caplog)


async def test_ten_thousand_characters_are_refused_politely(user):
    await user.say("问" * 10_000)
    assert "太长" in user.text


async def test_empty_message_asks_for_text(user):
    await user.say("\x00 ")
    assert "没有收到文字" in user.text


@pytest.mark.parametrize("media", ["photo", "sticker", "voice", "video", "location"])
async def test_non_text_gets_polite_reply(user, caplog, media):
    await user.send({"kind": "media", "media_type": media})
    assert "只能处理文字" in user.text
    assert_clean(user, caplog)


async def test_document_from_non_staff_is_declined(user, caplog):
    await user.send({"kind": "document", "attachment": Attachment(file_name="a.xlsx", size=10)})
    assert user.text
    assert_clean(user, caplog)


@pytest.mark.parametrize("data", ["", ":", "x" * 200, "menu:", "forget:maybe", "menu:qa:extra", "\x00"])
async def test_forged_callbacks(user, caplog, data):
    await user.press(data)
    assert_clean(user, caplog)
    assert user.last[0].toast


def test_clean_text_drops_controls():
    assert clean_text(" a\x00b\u200bc\r\n ") == "abc"
