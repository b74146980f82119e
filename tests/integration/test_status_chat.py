"""The status feature in chat: roles, binding with lockout, lookups, HR contacts, paging, privacy."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from bot.channels.terminal import TerminalChat
from bot.core.messages import Outbound
from bot.outbox.models import OutboxMessage
from bot.outbox.queue import enqueue
from bot.status.models import Application, BindAttempt, Binding, HrContact, StatusHistory, Unit
from bot.status.service import StatusChanged, StatusService
from bot.storage.models import AuditEntry, DialogState, User
from tests.support.console_data import TAIL, bound_applicant
from tests.support.helpers import ChatUser
from tests.support.status_helpers import count, row, rows_of, sapp, send_file, staff, xlsx_bytes  # noqa: F401

NUMBER = "SD2024-000001"
UNIT = "青岛示例科技有限公司"


async def seed(staff_user: ChatUser, rows=None) -> None:  # noqa: ANN001
    rows = rows or [row(NUMBER, "张三明", "123X", state="审核受理", at="2024-07-01 09:00")]
    await send_file(staff_user, "s.xlsx", xlsx_bytes(rows))
    assert "导入完成" in staff_user.text, staff_user.text


async def invite(app, unit: str = UNIT) -> str:  # noqa: ANN001
    async with app.db.session() as session:
        code, _, _ = await StatusService.of(app.services).commands.create_invite(session, unit)
    return code


async def test_non_staff_cannot_set_status_or_import_and_is_audited(sapp, staff):  # noqa: F811
    await seed(staff)
    someone = ChatUser(sapp, user_id="1")
    await someone.say(f"/setstatus {NUMBER} 通过")
    assert someone.text == "无权限。该操作仅限评审委员会办事机构工作人员。"
    await send_file(someone, "x.xlsx", xlsx_bytes([row("SD2024-000099")]))
    assert "无权限" in someone.text
    actions = [a.action for a in await rows_of(sapp, AuditEntry)]
    assert "status.setstatus.denied" in actions and "status.import.denied" in actions
    assert await count(sapp, Application) == 1
    # a staff role in the database (not configuration) works and is checked every time
    async with sapp.db.session() as s:
        user = (await s.execute(select(User).where(User.external_id == "1"))).scalar_one()
        user.role = "staff"
    await someone.say(f"/setstatus {NUMBER} 纸质材料已送达")
    assert "已将申报" in someone.text
    async with sapp.db.session() as s:
        user = (await s.execute(select(User).where(User.external_id == "1"))).scalar_one()
        user.role = "applicant"
    await someone.say(f"/setstatus {NUMBER} 评审费已缴")
    assert someone.text.startswith("无权限")


async def test_setstatus_refuses_illegal_changes_naming_both_states(sapp, staff):  # noqa: F811
    await seed(staff)
    await staff.say(f"/setstatus {NUMBER} 通过")
    assert "审核受理" in staff.text and "通过" in staff.text and "未修改" in staff.text
    await staff.say(f"/setstatus {NUMBER} 飞升")
    assert "不是已知状态" in staff.text
    await staff.say(f"/setstatus {NUMBER} 审核受理")
    assert "无需修改" in staff.text
    await staff.say("/setstatus")
    assert "用法" in staff.text
    await staff.say("/setstatus SD2024-404404 通过")
    assert "没有找到" in staff.text
    assert (await rows_of(sapp, Application))[0].state == "accepted"


async def test_rejection_needs_one_of_the_six_grounds(sapp, staff):  # noqa: F811
    await seed(staff, [row(NUMBER, state="主管部门审核")])
    await staff.say(f"/setstatus {NUMBER} 不予受理 材料不全")
    assert "不符合评审条件" in staff.text and "未修改" in staff.text
    await staff.say(f"/setstatus {NUMBER} 不予受理 4 单位未公示")
    assert "已将申报" in staff.text
    history = await rows_of(sapp, StatusHistory, order=StatusHistory.id)
    assert history[-1].state == "rejected" and history[-1].reason_code == 4


async def test_bind_then_status_shows_state_next_step_and_due_date(sapp, staff):  # noqa: F811
    await seed(staff)
    applicant = ChatUser(sapp, user_id="2")
    await applicant.say("/status")
    assert "还没有绑定" in applicant.text
    await applicant.press_label("🔗 绑定申报")  # the binding starts from the button, asking for the number
    assert "请发送您的申报编号" in applicant.text
    await applicant.say(NUMBER)
    assert "后四位" in applicant.text
    await applicant.say("123x")
    assert "绑定成功" in applicant.text
    text = applicant.text
    assert "张*明" in text and "张三明" not in text
    assert "审核受理" in text and "A3" in text and "2份" in text
    assert "2024年7月8日" in text  # one week after acceptance on 1 July
    assert "160元" in text  # the 中级 fee
    await applicant.say("/status")
    assert "当前状态：审核受理" in applicant.text and "办理记录" in applicant.text
    await applicant.press("menu:status")
    assert "当前状态：审核受理" in applicant.text


async def test_bind_replies_do_not_reveal_whether_a_number_exists(sapp, staff):  # noqa: F811
    await seed(staff)
    a, b = ChatUser(sapp, user_id="3"), ChatUser(sapp, user_id="4")
    await a.say(f"/bind {NUMBER}")
    first_a = a.text
    await a.say("0000")
    wrong_tail = a.text
    await b.say("/bind SD2024-999999")
    assert b.text == first_a
    await b.say("0000")
    assert b.text == wrong_tail
    await b.say("/status SD2024-999999")
    unknown = b.text
    await b.say(f"/status {NUMBER}")
    assert b.text == unknown  # existing but not theirs: same words
    await a.say("/bind 12")
    assert "格式不正确" in a.text


async def test_bad_tail_format_is_not_counted(sapp, staff):  # noqa: F811
    await seed(staff)
    a = ChatUser(sapp, user_id="5")
    await a.say(f"/bind {NUMBER}")
    for _ in range(6):
        await a.say("abcd")
        assert "前三位是数字" in a.text
    assert await count(sapp, BindAttempt) == 0
    await a.say("123X")
    assert "绑定成功" in a.text


async def test_five_failures_from_other_chats_do_not_lock_the_owner_out(sapp, staff, clock):  # noqa: F811
    await seed(staff)
    for i in range(5):
        attacker = ChatUser(sapp, user_id=f"70{i}")
        await attacker.say(f"/bind {NUMBER}")
        await attacker.say("9999")
    owner = ChatUser(sapp, user_id="800")
    await owner.say(f"/bind {NUMBER}")
    await owner.say("123X")
    assert "绑定成功" in owner.text


async def test_status_lookup_by_number_for_staff_and_unit_hr_only(sapp, staff):  # noqa: F811
    await seed(staff, [row(NUMBER), row("SD2024-000002", unit="别的单位")])
    await staff.say(f"/status {NUMBER}")
    assert "当前状态" in staff.text
    hr = ChatUser(sapp, user_id="6")
    await hr.say(f"/hr {await invite(sapp)}")
    assert "登记成功" in hr.text and UNIT in hr.text
    await hr.say(f"/status {NUMBER}")
    assert "当前状态" in hr.text
    await hr.say("/status SD2024-000002")
    assert "无权查看" in hr.text
    await hr.say("/status")
    assert "/unit" in hr.text
    denied = [a for a in await rows_of(sapp, AuditEntry) if a.action == "status.lookup.denied"]
    assert len(denied) == 1


async def test_invite_codes_are_one_time_and_expire(sapp, staff, clock):  # noqa: F811
    code = await invite(sapp)
    first, second = ChatUser(sapp, user_id="10"), ChatUser(sapp, user_id="11")
    await first.say(f"/hr {code.lower()}")
    assert "登记成功" in first.text
    await second.say(f"/hr {code}")
    assert "无效、已使用或已过期" in second.text
    late = await invite(sapp)
    clock.advance(days=7, minutes=1)
    await second.say("/hr")
    assert "邀请码" in second.text
    await second.say(late)
    assert "无效、已使用或已过期" in second.text
    async with sapp.db.session() as s:
        roles = {u.external_id: u.role for u in (await s.execute(select(User))).scalars()}
    assert roles["10"] == "hr" and roles["11"] == "applicant"


async def test_unit_list_is_paged_masked_and_buttons_are_verified(sapp, staff):  # noqa: F811
    rows = [row(f"SD2024-{i:06d}", name=f"王{i:02d}明") for i in range(1, 26)]
    await seed(staff, rows)
    hr = ChatUser(sapp, user_id="12")
    await hr.say("/unit")
    assert "不是单位职称工作负责人" in hr.text
    await hr.say(f"/hr {await invite(sapp)}")
    await hr.say("/unit")
    assert "共25件，第1/3页" in hr.text and "王**明" in hr.text and "王01明" not in hr.text
    assert hr.button_labels == ["下一页"]
    await hr.press(hr.button_data[0])
    assert "第2/3页" in hr.text and hr.last[-1].edit
    assert hr.button_labels == ["上一页", "下一页"]
    outsider = ChatUser(sapp, user_id="13")
    replies = await outsider.press(hr.button_data[0])
    assert replies[0].toast == "该按钮已失效，请重新操作。"
    replies = await hr.press("unit:abc:1")
    assert replies[0].toast
    await staff.say(f"/unit {rows[0][3]}")
    assert "共25件" in staff.text


async def test_privacy_and_forget_drop_links_but_keep_the_office_records(sapp, staff):  # noqa: F811
    await seed(staff)
    person = await bound_applicant(sapp, NUMBER, user_id="14")
    await person.say(f"/hr {await invite(sapp)}")
    await person.say("/privacy")
    assert NUMBER in person.text and "张*明" in person.text and UNIT in person.text
    await person.say("/forget")
    await person.press("forget:yes")
    assert await count(sapp, Binding) == 0 and await count(sapp, HrContact) == 0
    assert await count(sapp, Application) == 1
    forget_audits = [a for a in await rows_of(sapp, AuditEntry) if a.action == "status.forget"]
    assert forget_audits and forget_audits[0].actor_user_id is None


async def test_publicity_end_uses_working_days(sapp, staff):  # noqa: F811
    # 单位公示 from Friday 27 September 2024: five working days end on 9 October (National Day)
    await seed(staff, [row(NUMBER, state="单位公示", at="2024-06-28 09:00")])
    async with sapp.db.session() as s:
        app = (await s.execute(select(Application))).scalar_one()
        from datetime import datetime

        from bot.clock import LOCAL_TZ

        app.state_at = datetime(2024, 9, 27, 9, tzinfo=LOCAL_TZ)
    await staff.say(f"/status {NUMBER}")
    assert "2024年10月9日" in staff.text


async def test_notices_are_idempotent_per_history_row_and_user(sapp, staff):  # noqa: F811
    await seed(staff)
    await bound_applicant(sapp, NUMBER, user_id="15")
    await staff.say(f"/setstatus {NUMBER} 纸质材料已送达")
    assert "1条通知" in staff.text
    service = StatusService.of(sapp.services)
    async with sapp.db.session() as s:
        app = (await s.execute(select(Application))).scalar_one()
        history = (await s.execute(select(StatusHistory).order_by(StatusHistory.id.desc()))).scalars().first()
        # the change event handled a second time (a replay) adds no notice
        assert await service.notices.on_changed(s, [StatusChanged(app, history)]) == 0
    [notice] = await rows_of(sapp, OutboxMessage)
    assert notice.idempotency_key.startswith(f"status:{NUMBER}:{history.id}:")


async def test_return_with_due_date_reaches_the_applicant(sapp, staff):  # noqa: F811
    await seed(staff, [row(NUMBER, state="评委会办事机构审核")])
    applicant = await bound_applicant(sapp, NUMBER, user_id="16")
    await staff.say(f"/setstatus {NUMBER} 退回补正 缺少学历证书扫描件，请于2024年7月10日前重新提报")
    assert "1条通知" in staff.text
    [notice] = await rows_of(sapp, OutboxMessage)
    text = notice.payload["text"]
    assert "退回补正" in text and "缺少学历证书" in text and "2024年7月10日" in text and "视为自动放弃" in text
    await applicant.say("/status")
    assert "办理期限：2024年7月10日前" in applicant.text
    assert "已经过了" not in applicant.text


async def test_a_due_date_that_has_passed_is_said_to_have_passed(sapp, staff, clock):  # noqa: F811
    await seed(staff, [row(NUMBER, state="评委会办事机构审核")])
    applicant = await bound_applicant(sapp, NUMBER, user_id="18")
    await staff.say(f"/setstatus {NUMBER} 退回补正 缺少学历证书扫描件，请于2024年7月10日前重新提报")
    clock.advance(days=30)
    await applicant.say("/status")
    assert "办理期限：2024年7月10日前（这个日期已经过了" in applicant.text
    assert sapp.services.office.phone in applicant.text


async def test_wrong_invite_codes_lock_the_chat(sapp, staff, clock):  # noqa: F811
    code = await invite(sapp)
    guesser = ChatUser(sapp, user_id="17")
    for i in range(5):
        await guesser.say(f"/hr WRONG{i:05d}")
    await guesser.say(f"/hr {code}")
    assert "尝试次数过多" in guesser.text
    clock.advance(minutes=61)
    await guesser.say(f"/hr {code}")
    assert "登记成功" in guesser.text


async def test_full_width_and_lower_case_input_still_binds(sapp, staff):  # noqa: F811
    await seed(staff)
    applicant = ChatUser(sapp, user_id="18")
    await applicant.say("/bind ｓｄ２０２４－０００００１")
    await applicant.say("１２３ｘ")
    assert "绑定成功" in applicant.text


async def test_the_status_service_is_built_with_the_app_and_shared_by_every_update(sapp, staff):  # noqa: F811
    built = sapp.services._components.get(StatusService)
    assert isinstance(built, StatusService)  # built by the feature when the app was built
    await seed(staff)
    await staff.say(f"/status {NUMBER}")
    assert NUMBER in staff.text
    assert StatusService.of(sapp.services) is built
    # one rules bundle for every part
    assert built.cards.rules is built.rules and built.notices.workflow is built.workflow is built.commands.workflow


@pytest.mark.parametrize("word", ["取消", "cancel", "退出"])
async def test_cancel_typed_in_the_bind_dialog_ends_it_and_is_no_application_number(sapp, word):  # noqa: F811
    user = ChatUser(sapp, user_id="19")
    await user.say("/bind")
    await user.say(word)
    assert "已退出当前操作" in user.text and "身份证" not in user.text
    async with sapp.db.session() as s:
        assert (await s.execute(select(DialogState))).scalars().all() == []


async def test_a_removed_hr_contact_gets_none_of_the_units_queued_notices(sapp, staff, clock):  # noqa: F811
    """Notices held back by the quiet hours name the unit's applicants: once the office removes the
    contact, those still queued for them are dropped; their own application's notices stay."""
    await seed(staff, [row(NUMBER, "张三明", "123X", state="审核受理"), row("SD2024-000002", "李四", TAIL, state="审核受理")])
    hr = ChatUser(sapp, user_id="20", channel="telegram")
    await hr.say(f"/hr {await invite(sapp)}")
    await bound_applicant(sapp, "SD2024-000002", user_id="20")  # the contact applies too
    await staff.say(f"/setstatus {NUMBER} 纸质材料已送达")
    assert "2条通知" in staff.text or "通知" in staff.text, staff.text
    await staff.say("/setstatus SD2024-000002 纸质材料已送达")
    async with sapp.db.session() as s:
        contact = (await s.execute(select(HrContact))).scalar_one()
        queued = (await s.execute(select(OutboxMessage).where(OutboxMessage.state == "pending"))).scalars().all()
        mine = [m for m in queued if m.user_id == contact.user_id]
        assert {m.idempotency_key.split(":")[1] for m in mine} == {NUMBER, "SD2024-000002"}
        await StatusService.of(sapp.services).commands.revoke_hr(s, contact.id, actor="test")
        await s.commit()
    async with sapp.db.session() as s:
        left = (await s.execute(select(OutboxMessage).where(OutboxMessage.user_id == contact.user_id))).scalars().all()
    assert {m.idempotency_key.split(":")[1] for m in left} == {"SD2024-000002"}  # their own application only


async def test_an_import_changing_many_of_a_units_applications_sends_its_hr_contact_one_summary(sapp, staff):  # noqa: F811
    """A spreadsheet moving five of the unit's applications gives the HR contact one summary, not
    five notices that bury the rest of the chat; a small change still gets its own notice."""
    numbers = [f"SD2024-00010{i}" for i in range(5)]
    await seed(staff, [row(n, f"王{i}明", "123X", state="审核受理") for i, n in enumerate(numbers)])
    hr = ChatUser(sapp, user_id="21", channel="telegram")
    await hr.say(f"/hr {await invite(sapp)}")
    await send_file(staff, "s2.xlsx", xlsx_bytes([row(n, f"王{i}明", "123X", state="纸质材料已送达") for i, n in enumerate(numbers)]))
    async with sapp.db.session() as s:
        contact = (await s.execute(select(HrContact))).scalar_one()
        queued = (await s.execute(select(OutboxMessage).where(OutboxMessage.user_id == contact.user_id))).scalars().all()
    assert len(queued) == 1
    text = queued[0].payload["text"]
    assert "本单位有5位申报人的申报有新进展：纸质材料已送达5件" in text and "/unit" in text
    assert "王" not in text  # a count, no names
    await staff.say(f"/setstatus {numbers[0]} 评审费已缴")
    async with sapp.db.session() as s:
        queued = (await s.execute(select(OutboxMessage).where(OutboxMessage.user_id == contact.user_id))).scalars().all()
    assert len(queued) == 2 and "王*明" in queued[-1].payload["text"]


async def test_a_removed_hr_contact_gets_no_queued_summary_of_that_unit(sapp, staff):  # noqa: F811
    """The summary of an import still queued (quiet hours) tells the unit's progress: removing the
    contact from that unit drops it with the per-application notices. A contact of two units gets
    one summary per unit, and the other unit's stays; a summary already sent is not touched."""
    other = "青岛另一示例有限公司"
    first = [f"SD2024-00020{i}" for i in range(4)]
    second = [f"SD2024-00030{i}" for i in range(4)]
    await seed(staff, [row(n, f"王{i}明", "123X", state="审核受理") for i, n in enumerate(first)]
               + [row(n, f"赵{i}明", "123X", unit=other, state="审核受理") for i, n in enumerate(second)])
    hr = ChatUser(sapp, user_id="22", channel="telegram")
    await hr.say(f"/hr {await invite(sapp)}")
    await hr.say(f"/hr {await invite(sapp, other)}")
    await send_file(staff, "s2.xlsx", xlsx_bytes([row(n, f"王{i}明", "123X", state="纸质材料已送达") for i, n in enumerate(first)]
                                                 + [row(n, f"赵{i}明", "123X", unit=other, state="纸质材料已送达")
                                                    for i, n in enumerate(second)]))
    async with sapp.db.session() as s:
        user_id = (await s.execute(select(User.id).where(User.external_id == "22"))).scalar_one()
        queued = (await s.execute(select(OutboxMessage).where(OutboxMessage.user_id == user_id))).scalars().all()
    assert len(queued) == 2  # one summary per unit, no per-applicant notice
    assert all("本单位有4位申报人的申报有新进展" in m.payload["text"] for m in queued)

    async with sapp.db.session() as s:  # the first unit's contact is removed while both still wait
        contact = (await s.execute(
            select(HrContact).join(Unit, Unit.id == HrContact.unit_id).where(HrContact.user_id == user_id, Unit.name == UNIT)
        )).scalar_one()
        await StatusService.of(sapp.services).commands.revoke_hr(s, contact.id, actor="test")
    async with sapp.db.session() as s:
        left = (await s.execute(select(OutboxMessage).where(OutboxMessage.user_id == user_id))).scalars().all()
        other_unit = (await s.execute(select(Unit.id).where(Unit.name == other))).scalar_one()
    assert len(left) == 1 and f":u{other_unit}:" in left[0].idempotency_key  # the other unit's summary stays

    async with sapp.db.session() as s:  # delivered before the contact is removed from the other unit too
        (await s.get(OutboxMessage, left[0].id)).state = "sent"
    async with sapp.db.session() as s:
        contact = (await s.execute(select(HrContact).where(HrContact.user_id == user_id))).scalar_one()
        await StatusService.of(sapp.services).commands.revoke_hr(s, contact.id, actor="test")
    assert [m.state for m in await rows_of(sapp, OutboxMessage, OutboxMessage.user_id == user_id)] == ["sent"]


async def test_a_summary_queued_before_summaries_named_their_unit_is_dropped_on_removal(sapp, staff):  # noqa: F811
    """A pending summary of the older key form (no unit in it) cannot be told apart by unit, so
    removing the contact drops it rather than deliver a unit's progress to someone removed."""
    await seed(staff)
    hr = ChatUser(sapp, user_id="23", channel="telegram")
    await hr.say(f"/hr {await invite(sapp)}")
    async with sapp.db.session() as s:
        user = (await s.execute(select(User).where(User.external_id == "23"))).scalar_one()
        await enqueue(s, user=user, message=Outbound(text="本单位有5位申报人的申报有新进展：纸质材料已送达5件。"),
                      key=f"status-digest:11-15-5:{user.id}", kind="status", now=sapp.services.clock.now())
        await enqueue(s, user=user, message=Outbound(text="不相干的提醒"), key=f"reminder:x:{user.id}", kind="reminder",
                      now=sapp.services.clock.now())
        contact = (await s.execute(select(HrContact))).scalar_one()
        await StatusService.of(sapp.services).commands.revoke_hr(s, contact.id, actor="test")
    left = await rows_of(sapp, OutboxMessage, OutboxMessage.user_id == user.id)
    assert [m.kind for m in left] == ["reminder"]


async def test_binding_where_no_notice_can_arrive_says_how_to_look_the_status_up(sapp, staff):  # noqa: F811
    """The terminal chat has no push sender: binding there promises no notice but names /status (and
    registering as an HR contact names /unit); Telegram and the web chat keep the promise, and the
    first status change indeed queues a notice for them and none for the terminal user."""
    await seed(staff)
    out = io.StringIO()
    terminal = TerminalChat(sapp.conversation, user_id="local", out=out)
    await terminal.send(f"/bind {NUMBER}")
    done = (await terminal.send(TAIL))[0].text
    assert done.startswith("绑定成功") and "不会另行通知" in done and "/status" in done and "主动通知您" not in done
    assert "不会另行通知" in out.getvalue()
    registered = (await terminal.send(f"/hr {await invite(sapp)}"))[0].text
    assert registered.startswith("登记成功") and "不会另行通知" in registered and "/unit" in registered
    await terminal.send("/lang en")
    linked = (await terminal.send(f"/bind {NUMBER} {TAIL}"))[0].text
    assert linked.startswith("Linked!") and "will not be announced" in linked and "/status" in linked
    assert "I will let you know" not in out.getvalue()

    promised = {}
    for user_id, channel in (("31", "telegram"), ("32", "web")):
        user = ChatUser(sapp, user_id=user_id, channel=channel)
        await user.say(f"/bind {NUMBER} {TAIL}")
        promised[channel] = user.last[0].text
    assert all(text == "绑定成功！以后申报状态有变化时，我会主动通知您。发送 /status 可随时查看。" for text in promised.values())

    await staff.say(f"/setstatus {NUMBER} 纸质材料已送达")
    async with sapp.db.session() as s:
        notified = set((await s.execute(
            select(User.channel).join(OutboxMessage, OutboxMessage.user_id == User.id).where(OutboxMessage.kind == "status")
        )).scalars())
    assert notified == {"telegram", "web"}
