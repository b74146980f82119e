"""A personal circumstance beside whether one may apply (休产假期间能申报吗) gets a reply that stays on
this review — the notices set no rule for it, the conditions and the channel decide — with the
self-check's button, which starts the self-check."""

from __future__ import annotations

from tests.support.helpers import ChatUser


async def test_a_circumstance_gets_the_conditions_and_the_self_check(sqlite_app):
    user = ChatUser(sqlite_app, "situation-1")
    await user.say("休产假期间还能申报吗")
    assert "「产假」" in user.text and "没有专门的规定" in user.text and "不在我能解答的范围" not in user.text
    assert "0532-85161632" in user.text
    assert user.button_data == ["menu:eligibility"]
    await user.press("menu:eligibility")
    assert "第1题" in user.text  # the self-check has started


async def test_another_matter_keeps_the_other_subject_fallback(sqlite_app):
    user = ChatUser(sqlite_app, "situation-2")
    await user.say("加班费怎么算")
    assert "不在我能解答的范围" in user.text and user.button_data == []


async def test_an_english_user_gets_the_english_reply(sqlite_app):
    user = ChatUser(sqlite_app, "situation-3")
    await user.say("/start", language="en")
    await user.say("can I apply while on maternity leave")
    assert "no rule of their own" in user.text and user.button_data == ["menu:eligibility"]
