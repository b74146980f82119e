"""Subscriptions and staff broadcasts through the conversation core, delivered by the outbox worker
with a fake Sender (the core-level end-to-end journey)."""

from __future__ import annotations

import asyncio

from sqlalchemy import select, update

from bot.core.sending import PermanentFailure, RecipientBlocked
from bot.outbox.config import DeliveryConfig
from bot.outbox.models import OutboxMessage
from bot.outbox.worker import OutboxWorker
from bot.reminders.broadcast import BroadcastMonitor
from bot.reminders.models import Broadcast, Subscription
from bot.status.models import Application, Binding, HrContact, Unit
from bot.storage.models import AuditEntry, User
from tests.support.helpers import ChatUser
from tests.support.outbox_fakes import FakeSender, bind_users, make_users

FAST = DeliveryConfig(global_rate=2000, per_chat_interval=0, quiet_hours=None)


async def make_staff(app, user_id: str = "9000") -> ChatUser:
    staff = ChatUser(app, user_id=user_id, channel="telegram")
    await staff.say("/start")
    async with app.db.session() as s:
        await s.execute(update(User).where(User.external_id == user_id).values(role="staff"))
    return staff


async def confirmed_broadcast(staff: ChatUser, segment: str, text: str) -> None:
    """``staff`` broadcasts ``text`` to ``segment`` (a button label) and confirms the preview."""
    await staff.say("/broadcast")
    await staff.press_label(segment)
    await staff.say(text)
    await staff.press_label("确认发送")


async def broadcast_rows(app) -> list[OutboxMessage]:
    async with app.db.session() as s:
        return list((await s.execute(
            select(OutboxMessage).where(OutboxMessage.kind == "broadcast").order_by(OutboxMessage.id)
        )).scalars())


# ---- subscriptions ---------------------------------------------------------------------------------
async def test_subscribe_toggles_topics_with_buttons(user, app):
    await user.say("/subscribe")
    assert user.button_labels == ["⬜ 截止提醒", "⬜ 我的申报", "✅ 通知公告"]
    await user.press_label("⬜ 截止提醒")
    assert "已订阅“截止提醒”" in user.text and "✅ 截止提醒" in user.button_labels
    async with app.db.session() as s:
        row = (await s.execute(select(Subscription).where(Subscription.topic == "deadline"))).scalar_one()
        assert row.active
    await user.press_label("✅ 截止提醒")
    assert "已退订“截止提醒”" in user.text and "⬜ 截止提醒" in user.button_labels


async def test_reminders_menu_action_opens_the_subscriptions(user):
    await user.say("/start")
    await user.press_label("提醒订阅")
    assert "提醒订阅" in user.text and any("截止提醒" in label for label in user.button_labels)


async def test_hr_contact_is_subscribed_to_unit_notices_by_default(app):
    hr = ChatUser(app, user_id="777", channel="telegram")
    await hr.say("/start")
    now = app.services.clock.now()
    async with app.db.session() as s:
        user = (await s.execute(select(User).where(User.external_id == "777"))).scalar_one()
        unit = Unit(name="单位甲", created_at=now)
        s.add(unit)
        await s.flush()
        s.add(HrContact(user_id=user.id, unit_id=unit.id, created_at=now))
    await hr.say("/subscribe")
    assert sorted(hr.button_labels) == sorted(["✅ 截止提醒", "✅ 我的申报", "✅ 通知公告"])


async def test_unsubscribe_all(user, app):
    await user.say("/subscribe")
    await user.press_label("⬜ 截止提醒")
    await user.say("/unsubscribe")
    assert "全部退订" in user.button_labels
    await user.press_label("全部退订")
    assert "已退订全部提醒" in user.text
    await user.say("/unsubscribe")
    assert "没有订阅任何提醒" in user.text
    await user.say("/privacy")
    assert "提醒订阅：无" in user.text and "默认收到" not in user.text  # 全部退订 turned the default off too


async def test_privacy_names_what_a_new_user_receives_by_default(user):
    await user.say("/privacy")
    assert "默认收到（没有保存选择，可在“提醒订阅”里关闭）：通知公告" in user.text


async def test_stale_subscription_button(user):
    await user.press("sub:t:nonsense")
    assert user.last[0].toast == "该按钮已失效，请重新操作。"


# ---- broadcasts: rights ----------------------------------------------------------------------------
async def test_broadcast_is_staff_only_and_refusals_are_audited(user, app):
    await user.say("/broadcast")
    assert "无权限" in user.text
    await user.press("bc:s:all")  # never shown to this user: forged, and told nothing about staff
    assert user.last[0].toast == "该按钮已失效，请重新操作。" and "无权限" not in user.text
    await user.say("/broadcast_cancel")
    assert "无权限" in user.text
    async with app.db.session() as s:
        actions = list((await s.execute(select(AuditEntry.action).where(AuditEntry.action == "broadcast.denied"))).scalars())
    assert len(actions) == 3


async def test_a_forged_broadcast_button_leaves_the_users_own_dialog_alone(user, app):
    await user.say("/eligibility")
    await user.press_label("在职（企业、事业单位、社会团体等）")
    await user.press("bc:s:all")
    await user.press("menu:eligibility")
    assert "第2题" in user.text


async def test_staff_rights_are_checked_again_at_confirmation(app):
    await make_users(app, 3)
    staff = await make_staff(app)
    await staff.say("/broadcast")
    await staff.press_label("全部用户")
    await staff.say("明天上午办事大厅暂停服务。")
    assert "确认发送" in staff.button_labels
    async with app.db.session() as s:  # rights revoked between preview and confirmation
        await s.execute(update(User).where(User.external_id == "9000").values(role="applicant"))
    await staff.press_label("确认发送")
    assert "无权限" in staff.text
    assert await broadcast_rows(app) == []


# ---- broadcasts: the journey ------------------------------------------------------------------------
async def test_broadcast_preview_confirm_delivery_progress_and_report(app):
    users = await make_users(app, 20)
    await make_users(app, 2, channel="terminal", start=500)  # no push channel: not counted
    staff = await make_staff(app)
    await staff.say("/broadcast")
    assert staff.button_labels == ["全部用户", "已绑定申报的申报人", "单位职称工作负责人", "按申报级别", "按申报状态", "按单位"]
    await staff.press_label("全部用户")
    assert "目前 21 人" in staff.text  # 20 users and the staff member, all on Telegram
    await staff.say("<b>通知</b>：系统将于今晚升级。")
    assert "收件人数：21 人" in staff.text and "<b>通知</b>" in staff.text
    await staff.press_label("确认发送")
    assert "群发 #1 已开始，共 21 人" in staff.text
    rows = await broadcast_rows(app)
    assert len(rows) == 21 and {r.broadcast_id for r in rows} == {1}

    sender = FakeSender()
    sender.script[users[0].chat_id] = [RecipientBlocked("403 Forbidden: bot was blocked by the user")]
    sender.script[users[1].chat_id] = [PermanentFailure("400 Bad Request: chat not found")]
    worker = OutboxWorker(app.db, {"telegram": sender}, app.services.clock, FAST)
    monitor = BroadcastMonitor(app.db, app.services.clock, app.services.texts)
    # progress message goes out first (urgent), then the recipients, then the edits and the report
    await worker.drain()
    await monitor.tick()
    await worker.drain()
    await monitor.tick()
    await worker.drain()
    to_staff = sender.texts_to("9000")
    assert to_staff[0].startswith("群发 #1（全部用户）进度：0%")
    edits = [t for t in to_staff if t.startswith("[edit ")]
    assert edits[-1].endswith("进度：100%\n已发送 19｜已屏蔽机器人 1｜失败 1｜共 21") or "100%" in edits[-1]
    final = to_staff[-1]
    assert "已完成" in final and "共 21 人：已发送 19，已屏蔽机器人 1，失败 1，已取消 0" in final
    assert "400 Bad Request: chat not found：1 人" in final
    # everyone else got the text exactly once
    delivered = [c for c, text, _ in sender.sent if text == "<b>通知</b>：系统将于今晚升级。"]
    assert len(delivered) == 19 and len(set(delivered)) == 19
    async with app.db.session() as s:
        b = await s.get(Broadcast, 1)
        assert (b.state, b.sent, b.blocked, b.failed, b.total) == ("done", 19, 1, 1, 21)
        assert (await s.get(User, users[0].id)).blocked
    await staff.say("/broadcasts")
    assert "#1" in staff.text and "已完成" in staff.text and "已发送 19" in staff.text


async def test_progress_is_edited_every_ten_percent(app):
    await make_users(app, 49)
    staff = await make_staff(app)
    await confirmed_broadcast(staff, "全部用户", "测试")
    sender = FakeSender()
    cfg = DeliveryConfig(global_rate=2000, per_chat_interval=0, quiet_hours=None, max_in_flight=8)
    worker = OutboxWorker(app.db, {"telegram": sender}, app.services.clock, cfg)
    monitor = BroadcastMonitor(app.db, app.services.clock, app.services.texts)
    # the progress message first, then 5 recipients at a time with a monitor tick in between
    async def send_batch(n: int) -> None:
        await worker._dispatch(await worker.claim(n))
        while worker._inflight:
            await asyncio.sleep(0.001)
        await worker.flush()

    await send_batch(1)
    for _ in range(20):
        await send_batch(5)  # at most 10 % of the 50 recipients per step (edits take a slot too)
        await monitor.tick()
    await worker.drain()
    edits = [t for t in sender.texts_to("9000") if t.startswith("[edit ")]
    pcts = [int(t.split("进度：")[1].split("%")[0]) for t in edits]
    assert pcts == [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    assert "已完成" in sender.texts_to("9000")[-1]


async def test_broadcast_cancel_stops_the_rest(app):
    await bind_users(app, await make_users(app, 10))
    staff = await make_staff(app)
    await confirmed_broadcast(staff, "已绑定申报的申报人", "取消测试")
    await staff.say("/broadcast_cancel")
    assert "已停止群发 #1：10 条尚未发出的消息已取消" in staff.text
    sender = FakeSender()
    worker = OutboxWorker(app.db, {"telegram": sender}, app.services.clock, FAST)
    monitor = BroadcastMonitor(app.db, app.services.clock, app.services.texts)
    await worker.drain()
    await monitor.tick()
    await worker.drain()
    assert [t for c, t, _ in sender.sent if t == "取消测试"] == []
    assert "已停止" in sender.texts_to("9000")[-1] and "已取消 10" in sender.texts_to("9000")[-1]
    await staff.say("/broadcast_cancel")
    assert "当前没有正在进行的群发" in staff.text


async def test_segments_by_level_state_and_unit(app):
    now = app.services.clock.now()
    a, b, hr, other = await make_users(app, 4)
    async with app.db.session() as s:
        u1, u2 = Unit(name="单位一", created_at=now), Unit(name="单位二", created_at=now)
        s.add_all([u1, u2])
        await s.flush()
        app1 = Application(number="A000001", level="intermediate", unit_id=u1.id, applicant_name="甲", id_tail_hash="x",
                           state="accepted", state_at=now, created_at=now, updated_at=now)
        app2 = Application(number="A000002", level="assistant", unit_id=u2.id, applicant_name="乙", id_tail_hash="x",
                           state="returned", state_at=now, created_at=now, updated_at=now)
        s.add_all([app1, app2])
        await s.flush()
        s.add_all([Binding(user_id=a.id, application_id=app1.id, created_at=now),
                   Binding(user_id=b.id, application_id=app2.id, created_at=now),
                   HrContact(user_id=hr.id, unit_id=u1.id, created_at=now)])
    staff = await make_staff(app)

    async def pick(*labels: str) -> str:
        await staff.say("/broadcast")
        for label in labels:
            await staff.press_label(label)
        return staff.text

    assert "目前 1 人" in await pick("按申报级别", "中级")
    assert "中级" in staff.text
    assert "目前 1 人" in await pick("按申报状态", "退回补正")
    assert "目前 2 人" in await pick("按单位", "单位一")  # bound applicant and the unit's HR contact
    assert "目前 1 人" in await pick("单位职称工作负责人")
    assert "目前 2 人" in await pick("已绑定申报的申报人")  # a and b: not the HR contact, not other, not staff
    del other


async def test_the_applicants_segment_holds_bound_applicants_only(app):
    """申报人 means people who bound an application: not every visitor who said hello, whatever the
    role column says; an HR contact who bound their own application is one of them. The staff's
    preview counts exactly the users the broadcast is then written for."""
    now = app.services.clock.now()
    bound, visitor, hr, hr_bound = await make_users(app, 4)
    (unreachable,) = await make_users(app, 1, channel="terminal", start=600)  # bound, but no push channel
    await bind_users(app, [bound, hr_bound, unreachable])
    async with app.db.session() as s:
        unit = Unit(name="单位丙", created_at=now)
        s.add(unit)
        await s.flush()
        s.add_all([HrContact(user_id=hr.id, unit_id=unit.id, created_at=now),
                   HrContact(user_id=hr_bound.id, unit_id=unit.id, created_at=now)])
        await s.execute(update(User).where(User.id.in_([hr.id, hr_bound.id])).values(role="hr"))
    staff = await make_staff(app)
    await staff.say("/broadcast")
    assert "已绑定申报的申报人：用 /bind 绑定了申报编号的人" in staff.text  # the groups are explained
    await staff.press_label("已绑定申报的申报人")
    assert "发送对象：已绑定申报的申报人（目前 2 人）" in staff.text
    await staff.say("请核对申报材料。")
    assert "收件人数：2 人" in staff.text
    await staff.press_label("确认发送")
    assert {r.user_id for r in await broadcast_rows(app)} == {bound.id, hr_bound.id}
    del visitor

    await staff.say("/broadcast")
    await staff.press_label("全部用户")  # the other groups keep their meaning
    assert "目前 5 人" in staff.text  # the four Telegram users and the staff member
    await staff.say("/broadcast")
    await staff.press_label("单位职称工作负责人")
    assert "目前 2 人" in staff.text
