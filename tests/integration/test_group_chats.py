"""Personal features answer only in private chats, and no update from a group, supergroup or channel
changes where a user's pushes go."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.channels.telegram_common import parse_update
from bot.outbox.models import OutboxMessage
from bot.status.models import Binding
from bot.storage.models import DialogState, User
from tests.support.helpers import ChatUser, in_group
from tests.support.status_helpers import row, rows_of, sapp, send_file, staff, xlsx_bytes  # noqa: F401

NUMBER = "SD2024-000001"
PRIVATE_ONLY = "请私聊我"


async def stored_user(app, user_id: str) -> User:  # noqa: ANN001
    async with app.db.session() as s:
        return (await s.execute(select(User).where(User.external_id == user_id))).scalar_one()


@pytest.mark.parametrize("chat_type", ["group", "supergroup", "channel"])
async def test_personal_commands_answer_only_in_private(sapp, staff, chat_type):  # noqa: F811
    await send_file(staff, "s.xlsx", xlsx_bytes([row(NUMBER, tail="123X", state="审核受理")]))
    person = ChatUser(sapp, user_id="4100", channel="telegram")
    await person.say(f"/bind {NUMBER}")
    await person.say("123X")
    assert "绑定成功" in person.text
    group = in_group(person, chat_type)
    for command in ("/status", f"/status {NUMBER}", "/bind", f"/bind {NUMBER} 123X", "/unit", "/hr ABC",
                    "/privacy", "/forget", "/subscribe", "/eligibility", "/menu", "/start", "/setstatus x y"):
        await group.say(command)
        assert PRIVATE_ONLY in group.text, (command, group.text)
        assert NUMBER not in group.text and "张" not in group.text
    await group.say("申报进度")  # a menu label
    assert PRIVATE_ONLY in group.text
    for data in ("menu:status", "unit:1:0", "forget:yes", "elig:start"):
        replies = await group.press(data)
        assert len(replies) == 1 and PRIVATE_ONLY in (replies[0].toast or "") and not replies[0].text, data
    async with sapp.db.session() as s:
        assert len((await s.execute(select(Binding))).all()) == 1  # /forget did not run
        assert (await s.execute(select(DialogState))).first() is None  # no dialog started in the group
    await group.say("/help")
    assert "使用帮助" in group.text
    await group.say("评审费多少钱")
    assert group.text and PRIVATE_ONLY not in group.text  # policy questions are answered anywhere
    await group.say("/somebody_elses_command")
    assert group.last == []  # commands for other bots in a group: silence
    await group.send({"kind": "media", "media_type": "photo"})
    assert group.last == []
    await person.say("/status")
    assert NUMBER in person.text  # in private everything works as before


async def test_a_group_never_becomes_where_pushes_go(sapp, staff):  # noqa: F811
    await send_file(staff, "s.xlsx", xlsx_bytes([row(NUMBER, tail="123X", state="审核受理")]))
    person = ChatUser(sapp, user_id="4200", channel="telegram")
    await person.say(f"/bind {NUMBER}")
    await person.say("123X")
    group = in_group(person)
    await group.say("/status")
    await group.say("评审费多少钱")
    await group.press_label("👍 有帮助")  # a vote in the group on the group's answer
    assert (await stored_user(sapp, "4200")).chat_id == "4200"
    await staff.say(f"/setstatus {NUMBER} 纸质材料已送达")
    [notice] = await rows_of(sapp, OutboxMessage)
    assert notice.chat_id == "4200"


async def test_first_contact_from_a_group_gets_no_push_address_until_a_private_message(sapp):  # noqa: F811
    stranger = ChatUser(sapp, user_id="4300", channel="telegram")
    group = in_group(stranger, "group")
    await group.say("评审费多少钱")
    user = await stored_user(sapp, "4300")
    assert user.chat_id == "" and not user.active  # never pushed to: no private chat known
    await stranger.say("/start")
    user = await stored_user(sapp, "4300")
    assert user.chat_id == "4300" and user.active


async def test_group_chatter_gets_silence_and_only_sure_answers_unless_the_bot_is_addressed(sapp):  # noqa: F811
    from bot.knowledge.models import UnansweredQuestion

    group = in_group(ChatUser(sapp, user_id="4400", channel="telegram"))
    for chatter in ("哈哈", "收到", "好的谢谢", "明天开会", "今天天气不错", "我叫王小红，身份证后四位1234"):
        await group.say(chatter)
        assert group.last == [], chatter
    await group.say("评审费多少钱")  # a sure answer helps the group: given unasked
    assert "360元" in group.text
    await group.say("今天天气不错", addressed=True)  # asked of the bot: the usual "not found"
    assert group.text and "0532-85161632" in group.text
    await group.say("收到", addressed=True)
    assert "不客气" in group.text
    async with sapp.db.session() as s:
        kept = [r.text for r in (await s.execute(select(UnansweredQuestion))).scalars()]
    assert "明天开会" not in kept and "哈哈" not in kept  # chatter is no gap of the knowledge base


def test_telegram_chat_types_are_translated():
    def update(chat: dict) -> dict:
        return {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": chat, "from": {"id": 7, "is_bot": False},
                                            "text": "/status"}}

    assert parse_update(update({"id": 7, "type": "private"})).inbound.chat_type == "private"
    assert parse_update(update({"id": -5, "type": "group"})).inbound.chat_type == "group"
    assert parse_update(update({"id": -1005, "type": "supergroup"})).inbound.chat_type == "supergroup"
    assert parse_update(update({"id": -1005})).inbound.chat_type == "group"  # unknown: not private
    assert parse_update(update({"id": 7})).inbound.chat_type == "private"
    press = {"update_id": 2, "callback_query": {"id": "q", "from": {"id": 7}, "data": "menu:status",
                                                "message": {"message_id": 3, "chat": {"id": -5, "type": "group"}}}}
    assert parse_update(press).inbound.chat_type == "group"
