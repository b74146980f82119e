"""The status card an HR contact (单位职称工作负责人) reads for one of the unit's applicants says what
the applicant, or the unit, has to do — about a third person — while the applicant's own card keeps
speaking to them; in Chinese and English."""

from __future__ import annotations

from bot.status.service import StatusService
from tests.support.helpers import ChatUser
from tests.support.status_helpers import row, sapp, send_file, staff, xlsx_bytes  # noqa: F401

UNIT = "青岛示例科技有限公司"
RETURNED = "SD2024-000001"
ACCEPTED = "SD2024-000002"
OWN = "SD2024-000003"
NOTE = "缺少学历证书扫描件，2024-07-10前重新提报"


async def invite(app, unit: str = UNIT) -> str:  # noqa: ANN001
    async with app.db.session() as session:
        code, _, _ = await StatusService.of(app.services).commands.create_invite(session, unit)
    return code


async def seed(staff_user: ChatUser) -> None:
    rows = [row(RETURNED, "张三明", "123X", state="退回补正", note=NOTE),
            row(ACCEPTED, "李四光", "456X", state="审核受理"),
            row(OWN, "王五", "789X", state="退回补正", note=NOTE)]
    await send_file(staff_user, "s.xlsx", xlsx_bytes(rows))
    assert "导入完成" in staff_user.text, staff_user.text


async def test_the_hr_contact_reads_the_next_step_about_the_applicant(sapp, staff):  # noqa: F811
    await seed(staff)
    applicant = ChatUser(sapp, user_id="31", channel="telegram")
    await applicant.say(f"/bind {RETURNED}")
    await applicant.say("123X")
    own_step = "下一步：请按退回原因完善补充材料，并在2024年7月10日前重新提报；逾期未提报的视为自动放弃。"
    assert own_step in applicant.text

    hr = ChatUser(sapp, user_id="32", channel="telegram")
    await hr.say(f"/hr {await invite(sapp)}")
    await hr.say(f"/status {RETURNED}")
    card = hr.text
    assert "当前状态：退回补正" in card and "办理期限：2024年7月10日前" in card
    assert ("下一步：申报人需按退回原因完善补充材料，并在2024年7月10日前重新提报；逾期未提报的视为自动放弃。"
            "请提醒申报人按时办理。") in card
    assert "请按退回原因" not in card and "请您" not in card

    await hr.say(f"/status {ACCEPTED}")
    accepted = StatusService.of(sapp.services).cards.workflow.states["accepted"]
    step = accepted.hr_next_step.format(address=sapp.services.office.address, fee="160", due="2024年7月8日")
    assert f"下一步：{step}" in hr.text and "申报人需在系统中生成并打印" in hr.text and "本人签字后" not in hr.text

    # the applicant's own card is unchanged by the HR wording
    await applicant.say("/status")
    assert own_step in applicant.text and "申报人需" not in applicant.text


async def test_an_english_hr_contact_reads_the_english_hr_step(sapp, staff):  # noqa: F811
    await seed(staff)
    hr = ChatUser(sapp, user_id="41", channel="telegram")
    await hr.say("/start", language="en")
    await hr.say(f"/hr {await invite(sapp)}")
    await hr.say(f"/status {RETURNED}")
    assert ("Next step: The applicant completes or supplements the materials as the return reason says and "
            "resubmits by 10 July 2024") in hr.text
    assert "Please remind the applicant to do it in time." in hr.text and "Due by: 10 July 2024" in hr.text


async def test_an_hr_contact_bound_to_their_own_application_reads_it_as_the_applicant(sapp, staff):  # noqa: F811
    """Their own application speaks to them; another of the unit's applications does not; staff,
    who are not the unit's contact, read the workflow's wording as before."""
    await seed(staff)
    person = ChatUser(sapp, user_id="51", channel="telegram")
    await person.say(f"/hr {await invite(sapp)}")
    await person.say(f"/bind {OWN}")
    await person.say("789X")
    await person.say(f"/status {OWN}")
    assert "下一步：请按退回原因完善补充材料" in person.text
    await person.say(f"/status {RETURNED}")
    assert "下一步：申报人需按退回原因完善补充材料" in person.text
    await staff.say(f"/status {RETURNED}")
    assert "下一步：请按退回原因完善补充材料" in staff.text


async def test_a_return_without_a_due_date_has_its_own_hr_wording(sapp):  # noqa: F811
    """The state's wording without a date, as the applicant's card has one: for the HR contact too."""
    from datetime import UTC, datetime

    from bot.status.models import Application

    cards = StatusService.of(sapp.services).cards
    returned = cards.workflow.states["returned"]
    app = Application(number=RETURNED, level="intermediate", state="returned",
                      state_at=datetime(2024, 7, 1, 1, tzinfo=UTC), due_date=None)
    step, due = cards.next_step(app, "zh", audience="hr")
    assert due is None and step == returned.hr_next_step_without_due.format()
    assert cards.next_step(app, "zh")[0] == returned.next_step_without_due


async def test_the_hr_contacts_status_notice_speaks_about_the_applicant(sapp, staff):  # noqa: F811
    """A status change pushed to the unit's HR contact says what the applicant has to do; the same
    change pushed to the applicant still speaks to them."""
    from sqlalchemy import select

    from bot.outbox.models import OutboxMessage
    from bot.status.models import HrContact

    await seed(staff)
    applicant = ChatUser(sapp, user_id="61", channel="telegram")
    await applicant.say(f"/bind {ACCEPTED}")
    await applicant.say("456X")
    hr = ChatUser(sapp, user_id="62", channel="telegram")
    await hr.say(f"/hr {await invite(sapp)}")
    await staff.say(f"/setstatus {ACCEPTED} 纸质材料已送达")
    assert "通知" in staff.text, staff.text
    async with sapp.db.session() as s:
        contact = (await s.execute(select(HrContact))).scalar_one()
        queued = (await s.execute(select(OutboxMessage).where(OutboxMessage.kind == "status"))).scalars().all()
    to_hr = [m.payload["text"] for m in queued if m.user_id == contact.user_id]
    to_applicant = [m.payload["text"] for m in queued if m.user_id != contact.user_id]
    assert len(to_hr) == 1 and len(to_applicant) == 1
    step = StatusService.of(sapp.services).cards.workflow.states["paper_received"].hr_next_step.format(fee="160")
    assert f"下一步：{step}" in to_hr[0] and "申报人需交给单位职称工作负责人" in to_hr[0]
    assert "下一步：" in to_applicant[0] and "申报人需" not in to_applicant[0]
