"""The four status journeys at core level (tests/e2e runs the same journeys through the Telegram
emulator): staff imports a file; an applicant binds and sees the status; wrong codes lock the guesser; a
state change reaches the applicant and the unit's HR contact through the outbox."""

from __future__ import annotations

from bot.outbox.models import OutboxMessage
from bot.outbox.queue import payload_to_outbound
from bot.status.models import Application, StatusHistory
from bot.status.service import StatusService
from tests.support.helpers import ChatUser
from tests.support.status_helpers import count, csv_bytes, row, rows_of, sapp, send_file, staff, xlsx_bytes  # noqa: F401

NUMBER = "QD2024-0815"
UNIT = "青岛西海岸工业互联网有限公司"
ROWS = [
    row(NUMBER, "刘晓明", "204X", unit=UNIT, level="中级", state="评委会办事机构审核"),
    row("QD2024-0816", "陈静", "1111", unit=UNIT, level="助理级", state="呈报部门审核"),
]


async def test_journey_staff_sends_an_import_file(sapp, staff):  # noqa: F811
    await send_file(staff, "2024年度申报状态.xlsx", xlsx_bytes(ROWS))
    assert "导入完成" in staff.text and "新增2件" in staff.text
    await send_file(staff, "2024年度申报状态.xlsx", xlsx_bytes(ROWS))
    assert "无变化2件" in staff.text
    bad = ROWS + [row("QD2024-0817", level="特级")]
    await send_file(staff, "更新.csv", csv_bytes(bad, encoding="gbk"))
    assert "未导入" in staff.text and "第4行 申报级别" in staff.text
    await send_file(staff, "更新.csv", csv_bytes(bad, encoding="gbk"), caption="部分导入")
    assert "导入完成" in staff.text and "出错1行" in staff.text
    await send_file(staff, "photo.xlsx", b"\x89PNG\r\n\x1a\n")
    assert "不是有效的 Excel" in staff.text
    await send_file(staff, "s.xlsx", None)
    assert "重新发送" in staff.text
    assert await count(sapp, Application) == 2


async def test_journey_applicant_binds_and_sees_the_status(sapp, staff):  # noqa: F811
    await send_file(staff, "s.xlsx", xlsx_bytes(ROWS))
    applicant = ChatUser(sapp, user_id="501")
    await applicant.say("/bind")
    await applicant.say(NUMBER)
    await applicant.say("204x")
    assert "绑定成功" in applicant.text
    await applicant.say("/status")
    text = applicant.text
    assert NUMBER in text and "刘*明" in text and "评委会办事机构审核" in text
    assert "下一步" in text and "申报结束" in text


async def test_journey_five_wrong_codes_lock(sapp, staff, clock):  # noqa: F811
    await send_file(staff, "s.xlsx", xlsx_bytes(ROWS))
    guesser = ChatUser(sapp, user_id="502")
    await guesser.say(f"/bind {NUMBER}")
    for attempt in range(5):
        await guesser.say(f"{attempt}000")
    assert "尝试次数过多" in guesser.text
    await guesser.say(f"/bind {NUMBER}")
    assert "尝试次数过多" in guesser.text
    await guesser.say("/bind QD2024-9999")  # another number from the same chat: still locked
    assert "尝试次数过多" in guesser.text
    clock.advance(minutes=30)
    await guesser.say(f"/bind {NUMBER}")
    assert "尝试次数过多" in guesser.text
    clock.advance(minutes=31)
    await guesser.say(f"/bind {NUMBER}")
    await guesser.say("204X")
    assert "绑定成功" in guesser.text


async def test_journey_a_state_change_reaches_applicant_and_hr(sapp, staff):  # noqa: F811
    await send_file(staff, "s.xlsx", xlsx_bytes(ROWS))
    async with sapp.db.session() as session:
        code, _, _ = await StatusService.of(sapp.services).commands.create_invite(session, UNIT)
    hr = ChatUser(sapp, user_id="601", channel="telegram")
    await hr.say(f"/hr {code}")
    applicant = ChatUser(sapp, user_id="602", channel="web")
    await applicant.say(f"/bind {NUMBER}")
    await applicant.say("204X")
    await staff.say(f"/setstatus {NUMBER} 申报结束")
    assert "已生成2条通知" in staff.text
    [history] = await rows_of(sapp, StatusHistory, StatusHistory.state == "accepted")
    notices = await rows_of(sapp, OutboxMessage, order=OutboxMessage.id)
    assert {n.chat_id for n in notices} == {"601", "602"}
    assert all(n.state == "pending" and n.kind == "status" for n in notices)
    assert {n.idempotency_key for n in notices} == {f"status:{NUMBER}:{history.id}:{n.user_id}" for n in notices}
    by_chat = {n.chat_id: payload_to_outbound(n.payload).text for n in notices}
    assert "审核受理" in by_chat["602"] and "A3" in by_chat["602"] and "160元" in by_chat["602"]
    assert "刘*明" in by_chat["601"] and "刘晓明" not in by_chat["601"] and "/unit" in by_chat["601"]
    # the same change imported again (e.g. the weekly spreadsheet) adds no notice
    again = [row(NUMBER, "刘晓明", "204X", unit=UNIT, level="中级", state="审核受理")]
    await send_file(staff, "s.xlsx", xlsx_bytes(again))
    assert "无变化1件" in staff.text
    assert await count(sapp, OutboxMessage) == 2
    # a change by import notifies too
    await send_file(staff, "s.xlsx", xlsx_bytes([again[0][:5] + ["纸质材料已送达", "2024-07-01 09:30", ""]]))
    assert "状态变更1件" in staff.text and "已生成2条通知" in staff.text
    assert await count(sapp, OutboxMessage) == 4
