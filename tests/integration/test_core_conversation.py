"""The conversation core: commands, menu, privacy, forget, dedupe, bad input, restarts."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.core.messages import Inbound
from bot.storage.models import AuditEntry, DialogState, User
from tests.support.helpers import ChatUser, make_app


async def count(app, model, *where) -> int:
    async with app.db.session() as s:
        return (await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


async def test_start_shows_welcome_privacy_and_menu(user):
    await user.say("/start")
    assert "职称助手" in user.text
    assert "/privacy" in user.text and "/forget" in user.text
    assert user.button_labels == ["问答", "资格自测", "申报进度", "提醒订阅", "帮助"]


async def test_help_lists_office_contacts_from_rules(user, app):
    await user.say("/help")
    assert app.services.office.phone in user.text
    assert app.services.office.email in user.text


async def test_menu_button_is_answered(user):
    await user.say("/start")
    await user.press_label("问答")
    assert "直接输入您的问题" in user.text


async def test_typed_menu_label_works_like_the_button(user):
    await user.say("问答")
    assert "直接输入您的问题" in user.text


async def test_unknown_command_gets_short_help(user):
    await user.say("/frobnicate now")
    assert "/frobnicate" in user.text and "/help" in user.text


async def test_forged_callback_gets_toast_not_error(user):
    replies = await user.press("nonsense:payload")
    assert len(replies) == 1 and replies[0].toast and not replies[0].text
    replies = await user.press("menu:../../etc")
    assert replies[0].toast == "该按钮已失效，请重新操作。"
    replies = await user.press("forget:yes")  # never asked: no deletion, a toast
    assert replies[0].toast
    assert await count(user.app, User) == 1


async def test_question_nobody_can_answer_gets_office_contacts(user, app):
    await user.say("火星上的量子纠缠该怎么测量")
    assert app.services.office.phone in user.text
    assert app.services.office.email in user.text


async def test_forget_removes_the_users_rows_after_confirmation(user, app):
    await user.say("/start")
    await user.say("/forget")
    assert user.button_data == ["forget:yes", "forget:no"]
    assert await count(app, User) == 1
    await user.press("forget:yes")
    assert "已删除" in user.text
    assert await count(app, User) == 0
    assert await count(app, DialogState) == 0
    async with app.db.session() as s:
        entry = (await s.execute(select(AuditEntry).where(AuditEntry.action == "user.forget"))).scalar_one()
    assert entry.actor_user_id is None


async def test_forget_cancel_keeps_data(user, app):
    await user.say("/forget")
    await user.press("forget:no")
    assert "没有被删除" in user.text
    assert await count(app, User) == 1
    assert await count(app, DialogState) == 0


async def test_forget_confirmation_survives_a_restart(backend, tmp_path, clock):
    if backend != "sqlite":
        return  # the postgres path is covered by test_forget_removes_the_users_rows_after_confirmation
    first = await make_app("sqlite", tmp_path, clock=clock)
    await ChatUser(first).say("/forget")
    await first.close()  # the process goes away; only the database remains
    second = await make_app("sqlite", tmp_path, clock=clock)
    try:
        await ChatUser(second).press("forget:yes")
        assert await count(second, User) == 0
    finally:
        await second.close()


async def test_same_update_twice_is_processed_once(app):
    inbound = Inbound(channel="test", user_id="7", chat_id="7", kind="text", text="/start", update_id="555")
    first = await app.conversation.handle(inbound)
    second = await app.conversation.handle(inbound)
    assert first and second == []


async def test_privacy_lists_stored_data(user):
    await user.say("/forget")
    await user.say("/privacy")
    assert "终端" in user.text or "test" in user.text
    assert "进行中的对话：删除信息的确认" in user.text  # named for people, not by its internal id


async def test_cancel_clears_dialog(user, app):
    await user.say("/forget")
    await user.say("/cancel")
    assert "已退出" in user.text
    assert await count(app, DialogState) == 0
    await user.say("/cancel")
    assert "没有进行中" in user.text


async def test_idle_dialog_expires_after_a_day(user, app, clock):
    await user.say("/forget")
    clock.advance(hours=25)
    await user.say("/help")
    assert "超过24小时" in user.text
    assert await count(app, DialogState) == 0


async def test_concurrent_updates_of_one_user_are_serialised(sqlite_app):
    users = [ChatUser(sqlite_app, user_id="42") for _ in range(10)]
    await asyncio.gather(*(u.say("/start") for u in users))
    assert await count(sqlite_app, User) == 1


async def test_many_users_concurrently(app):
    users = [ChatUser(app, user_id=str(i)) for i in range(20)]
    results = await asyncio.gather(*(u.say("/start") for u in users))
    assert all(len(r) == 2 for r in results)
    assert await count(app, User) == 20
