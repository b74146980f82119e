"""👍/👎 count only for an answer the bot gave in that chat, once per voter (in the core, so every
channel gets it: Telegram's callback data and the web page's requests are both the client's)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.knowledge.models import AnswerFeedback
from bot.storage.models import UserNote
from tests.support.helpers import ChatUser

UP, DOWN = "👍 有帮助", "👎 没帮助"
NOT_COUNTED = "评价未记录"
GROUP = "-1009876543210"


async def votes(app) -> list[tuple[str, int]]:  # noqa: ANN001
    async with app.db.session() as s:
        return sorted((v.entry_id, v.vote) for v in (await s.execute(select(AnswerFeedback))).scalars())


def data_of(user: ChatUser, label: str) -> str:
    return next(b.data for r in user.last for row in r.buttons for b in row if b.text == label)


def in_group(user: ChatUser) -> ChatUser:
    """The same person writing in a group chat."""
    member = ChatUser(user.app, user_id=user.user_id, channel=user.channel)
    original = member._inbound
    member._inbound = lambda **f: original(**({"chat_id": GROUP, "chat_type": "supergroup"} | f))  # type: ignore[method-assign]
    return member


async def test_a_vote_on_an_answer_given_counts_once(app):
    user = ChatUser(app, user_id="501", channel="telegram")
    await user.say("评审费多少钱")
    up, down = data_of(user, UP), data_of(user, DOWN)
    assert (await user.press(up))[0].toast == "谢谢您的反馈！"
    for again in (up, down, up):  # the same answer again, or changing one's mind: counted once
        (reply,) = await user.press(again)
        assert reply.toast == "您已经评价过这条回答，谢谢！" and not reply.text
    assert await votes(app) == [("fee-amounts", 1)]
    await user.say("评审费多少钱")  # asked again the same day: the same answer, already rated
    assert (await user.press(data_of(user, DOWN)))[0].toast.startswith("您已经评价过")
    await user.say("纸质材料送到哪里")  # another answer: its own vote
    other = data_of(user, DOWN).split(":")[2]
    await user.press_label(DOWN)
    assert other != "fee-amounts" and await votes(app) == sorted([("fee-amounts", 1), (other, -1)])


async def test_a_vote_for_an_entry_never_shown_or_a_made_up_id_stores_nothing(app):
    user = ChatUser(app, user_id="502", channel="telegram")
    await user.say("评审费多少钱")
    real = data_of(user, UP)
    token = real.split(":")[3]
    # entries that exist but were not the answer, an id that exists nowhere, no token, a made-up one
    for forged in ("kb:up:submit-address", f"kb:up:submit-address:{token}", f"kb:dn:online-deadline:{token}",
                   f"kb:up:no-such-entry:{token}", "kb:up:fee-amounts", "kb:up:fee-amounts:AAAAAAA",
                   f"kb:dn:fee-amounts:{token}:NOT-A-REF", f"kb:up:fee-amounts:{token}:aaaaaaaaa"):
        (reply,) = await user.press(forged)
        assert reply.toast.startswith(NOT_COUNTED) and "30天" in reply.toast and not reply.text, forged
    assert await votes(app) == []
    async with app.db.session() as s:
        assert (await s.execute(select(UserNote))).first() is None  # no rephrase note, no vote mark
    await user.press(real)  # the real button still works
    assert await votes(app) == [("fee-amounts", 1)]


async def test_another_users_buttons_do_not_count_in_a_private_chat(app):
    asker = ChatUser(app, user_id="503", channel="telegram")
    await asker.say("评审费多少钱")
    stolen = data_of(asker, UP)
    other = ChatUser(app, user_id="504", channel="telegram")
    (reply,) = await other.press(stolen)
    assert reply.toast.startswith(NOT_COUNTED)
    assert await votes(app) == []


async def test_an_old_answer_can_no_longer_be_rated(app, clock):
    user = ChatUser(app, user_id="505", channel="telegram")
    await user.say("评审费多少钱")
    up = data_of(user, UP)
    await user.say("纸质材料送到哪里")
    down = data_of(user, DOWN)
    clock.advance(days=30)
    assert (await user.press(down))[0].toast.startswith("谢谢反馈")  # still within the window
    clock.advance(days=1, hours=12)
    (reply,) = await user.press(up)
    assert reply.toast.startswith(NOT_COUNTED)
    assert await votes(app) == [(down.split(":")[2], -1)]


async def test_in_a_group_everyone_may_rate_the_groups_answer_once_but_not_elsewhere(app):
    asker = in_group(ChatUser(app, user_id="506", channel="telegram"))
    await asker.say("评审费多少钱")
    up = data_of(asker, UP)
    member = in_group(ChatUser(app, user_id="507", channel="telegram"))
    assert (await member.press(up))[0].toast == "谢谢您的反馈！"
    assert (await asker.press(up))[0].toast == "谢谢您的反馈！"
    assert (await member.press(up))[0].toast.startswith("您已经评价过")
    privately = ChatUser(app, user_id="507", channel="telegram")  # the group's button, sent from a private chat
    assert (await privately.press(up))[0].toast.startswith(NOT_COUNTED)
    assert await votes(app) == [("fee-amounts", 1), ("fee-amounts", 1)]


async def test_an_english_user_is_told_in_english(app):
    user = ChatUser(app, user_id="508", channel="telegram")
    await user.say("/lang en")
    (reply,) = await user.press("kb:up:fee-amounts:AAAAAAA")
    assert reply.toast.startswith("Feedback not recorded") and "30 days" in reply.toast
    await user.say("how much is the review fee")
    up = data_of(user, "👍 Helpful")
    assert (await user.press(up))[0].toast == "Thank you for the feedback!"
    (reply,) = await user.press(up)
    assert reply.toast == "You have already rated this answer. Thank you!"


async def test_privacy_names_the_vote_marks_and_forget_deletes_them(app):
    user = ChatUser(app, user_id="509", channel="telegram")
    await user.say("评审费多少钱")
    await user.say("/privacy")
    assert "重复计票" not in user.text
    await user.say("评审费多少钱")
    await user.press_label(UP)
    await user.say("/privacy")
    assert "重复计票" in user.text and "30天后自动删除" in user.text
    await user.say("/forget")
    await user.press("forget:yes")
    async with app.db.session() as s:
        assert (await s.execute(select(UserNote))).first() is None
    assert await votes(app) == [("fee-amounts", 1)]  # the vote itself holds no user id and stays


@pytest.mark.parametrize("action", ["up", "dn"])
async def test_vote_buttons_fit_telegram(app, action):
    user = ChatUser(app, user_id="510", channel="telegram")
    await user.say("网上申报什么时候截止")
    data = next(d for d in user.button_data if d.startswith(f"kb:{action}:"))
    assert len(data.encode()) <= 64
