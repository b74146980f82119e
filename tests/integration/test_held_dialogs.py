"""A paused self-check survives another feature's dialog (/bind) started over it: end to end through
the conversation core, on each database backend."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.conversation import HELD, PAUSED
from bot.status.models import Binding
from bot.storage.models import DialogState, User
from tests.support.console_data import TAIL, add_application
from tests.support.helpers import ChatUser

NUMBER = "SD2024-000501"
PAUSED_NOTE = "刚才进行到一半的操作（如资格自测）先暂停"


async def at_question_three(user: ChatUser) -> None:
    """Two answers into the self-check."""
    await user.say("/eligibility")
    await user.press_label("在职（企业、事业单位、社会团体等）")
    await user.press_label("在青岛市，从事工业互联网专业技术工作")
    assert "第3题" in user.text


async def dialog_row(user: ChatUser) -> DialogState | None:
    async with user.app.db.session() as s:
        user_id = (await s.execute(select(User.id).where(User.external_id == user.user_id))).scalar_one_or_none()
        return None if user_id is None else await s.get(DialogState, user_id)


async def test_binding_over_a_paused_self_check_gives_it_back_when_done(app):
    await add_application(app, NUMBER)
    user = ChatUser(app, user_id="4101")
    await at_question_three(user)
    await user.say("/bind")
    assert "暂停" in user.text and "申报编号" in user.text
    await user.say(NUMBER)
    assert "身份证" in user.text
    row = await dialog_row(user)
    assert row.dialog == "status_bind" and [h["dialog"] for h in row.data[HELD]] == ["eligibility"]
    await user.say("/privacy")  # what is kept, the held check included
    assert "进行中的对话：绑定申报编号" in user.text and "进行中的对话：资格自测（已答的题目）" in user.text
    row = await dialog_row(user)
    assert row.dialog == "status_bind" and row.step == "tail"  # /privacy leaves both as they were
    await user.say(TAIL)
    assert "绑定成功" in user.text and PAUSED_NOTE in user.last[-1].text  # told the check is still there
    row = await dialog_row(user)
    assert row.dialog == "eligibility" and row.data[PAUSED] is True
    await user.say("评审费多少钱")  # paused: a question is a question, not an answer to the check
    assert "360元" in user.text
    await user.press("menu:eligibility")
    assert "第3题" in user.text and "第1题" not in user.text
    await user.press_label("内地（大陆）居民")
    assert "第4题" in user.text
    async with app.db.session() as s:
        assert len((await s.execute(select(Binding))).scalars().all()) == 1


async def test_cancelling_the_binding_gives_the_self_check_back(app):
    user = ChatUser(app, user_id="4102")
    await at_question_three(user)
    await user.say("/bind")
    await user.say("/cancel")
    assert "已退出当前操作" in user.text and PAUSED_NOTE in user.text
    await user.say("/eligibility")
    assert "第3题" in user.text
    # cancelling again ends the self-check itself, as before: nothing is held any more
    await user.say("/cancel")
    assert "已退出当前操作" in user.text and PAUSED_NOTE not in user.text
    assert await dialog_row(user) is None


async def test_an_exit_word_typed_in_the_binding_gives_the_self_check_back(app):
    user = ChatUser(app, user_id="4103")
    await at_question_three(user)
    await user.say("/bind")
    await user.say("取消")
    assert "已退出当前操作" in user.text and PAUSED_NOTE in user.text
    await user.press("menu:eligibility")
    assert "第3题" in user.text


async def test_a_one_line_bind_leaves_the_paused_self_check_where_it_was(app):
    await add_application(app, NUMBER)
    user = ChatUser(app, user_id="4104")
    await at_question_three(user)
    await user.say(f"/bind {NUMBER} {TAIL}")
    assert "绑定成功" in user.text and user.text.count("暂停") == 1  # said once, when it was paused
    row = await dialog_row(user)
    assert row.dialog == "eligibility" and row.data[PAUSED] is True and HELD not in row.data
    await user.say("/eligibility")
    assert "第3题" in user.text


async def test_the_self_check_taken_up_again_during_a_binding_holds_the_binding_in_turn(app):
    """资格自测 chosen while the binding waits brings the check to the front and holds the
    binding; /bind brings the binding back, still holding the check, and finishing it gives the
    check back once more. Nothing is lost either way."""
    await add_application(app, NUMBER)
    user = ChatUser(app, user_id="4105")
    await at_question_three(user)
    await user.say("/bind")
    await user.say(NUMBER)
    await user.press("menu:eligibility")
    assert "第3题" in user.text and "暂停" in user.text
    row = await dialog_row(user)
    assert row.dialog == "eligibility" and [(h["dialog"], h["step"]) for h in row.data[HELD]] == [("status_bind", "tail")]
    await user.press_label("内地（大陆）居民")
    assert "第4题" in user.text
    row = await dialog_row(user)
    assert [h["dialog"] for h in row.data[HELD]] == ["status_bind"]  # carried on with the check's step
    await user.say("/bind")
    assert "申报编号" in user.text
    row = await dialog_row(user)
    assert row.dialog == "status_bind" and [h["dialog"] for h in row.data[HELD]] == ["eligibility"]
    await user.say(f"{NUMBER} {TAIL}")
    assert "绑定成功" in user.text and PAUSED_NOTE in user.text
    await user.say("/eligibility")
    assert "第4题" in user.text


async def test_forget_over_a_binding_that_holds_the_self_check(app):
    """/forget keeps the whole row in its confirmation: 取消 gives the binding back, still holding
    the check; confirming deletes everything, the held check included."""
    user = ChatUser(app, user_id="4106")
    await at_question_three(user)
    await user.say("/bind")
    await user.say("/forget")
    await user.press("forget:no")
    row = await dialog_row(user)
    assert row.dialog == "status_bind" and [h["dialog"] for h in row.data[HELD]] == ["eligibility"]
    await user.say("/forget")
    await user.press("forget:yes")
    assert "已删除" in user.text
    async with app.db.session() as s:
        assert (await s.execute(select(DialogState))).scalars().all() == []
        assert (await s.execute(select(User).where(User.external_id == "4106"))).scalar_one_or_none() is None


async def test_a_binding_left_for_a_day_takes_the_held_self_check_with_it(app, clock):
    user = ChatUser(app, user_id="4107")
    await at_question_three(user)
    await user.say("/bind")
    clock.advance(hours=25)
    await user.say(NUMBER)
    assert "已超过24小时" in user.text
    await user.say("/eligibility")
    assert "第1题" in user.text  # the day-old check went with the binding that held it


async def test_a_button_of_the_held_self_check_brings_it_forward(app):
    """An answer button of the self-check pressed while a /bind it is held under is open answers the
    self-check (it comes to the front, the binding waits paused), instead of a "button expired"."""
    await add_application(app, NUMBER)
    user = ChatUser(app, user_id="4901")
    await at_question_three(user)
    answers = [d for d in user.button_data if d.startswith("elg:3.")]
    await user.say("/bind")
    row = await dialog_row(user)
    assert row.dialog == "status_bind"
    await user.press(answers[0])
    assert "第4题" in user.text and "失效" not in user.text
    row = await dialog_row(user)
    assert row.dialog == "eligibility" and not row.data.get(PAUSED)
    assert [h["dialog"] for h in row.data[HELD]] == ["status_bind"]
    await user.say("/bind")  # the binding comes back where it was
    assert "申报编号" in user.text
    row = await dialog_row(user)
    assert row.dialog == "status_bind" and [h["dialog"] for h in row.data[HELD]] == ["eligibility"]
