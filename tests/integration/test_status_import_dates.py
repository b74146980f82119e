"""Dates in a status import: the forms staff write are read, ambiguous ones refused per row; a
resubmission due date before the day the application was returned is refused per row (the other
rows import with partial); a status time given as a day alone shows as that day, not "… 00:00"."""

from __future__ import annotations

from datetime import date, datetime

from bot.clock import LOCAL_TZ
from bot.status.importer import Importer, render_report
from bot.status.models import Application, StatusHistory
from tests.support.helpers import ChatUser
from tests.support.status_helpers import HEADER, count, csv_bytes, row, rows_of, sapp, xlsx_bytes  # noqa: F401

DUE_HEADER = [*HEADER, "补正截止"]
RETURN_NOTE = "缺少学历证书扫描件"


def due_row(number: str, state: str = "退回补正", at: str = "2024-06-20", due: str = "", note: str = RETURN_NOTE,
            tail: str = "123X") -> list[str]:
    return [*row(number, tail=tail, state=state, at=at, note=note), due]


async def run_import(app, content: bytes, name: str = "statuses.csv", partial: bool = False):  # noqa: ANN001, ANN201
    importer = Importer(app.services, actor="test", actor_user_id=None)
    async with app.db.session() as session:
        return await importer.run(session, name, content, partial=partial)


def local(moment: datetime) -> datetime:
    return moment.astimezone(LOCAL_TZ).replace(tzinfo=None)


def lines_of(app, report, lang: str = "zh") -> list[str]:  # noqa: ANN001
    return render_report(report, lambda key, **values: app.services.t(key, lang, **values), lang=lang).splitlines()


DATED = [
    due_row("SD2024-000001", state="审核受理", at="2024.6.11"),                   # row 2
    due_row("SD2024-000002", state="审核受理", at="2024/6/12 9:30"),              # row 3
    due_row("SD2024-000003", state="审核受理", at="2024年6月13日"),                 # row 4
    due_row("SD2024-000004", state="审核受理", at="45458"),                       # row 5: an Excel serial
    due_row("SD2024-000005", state="审核受理", at="6/14/2024"),                   # row 6: ambiguous
    due_row("SD2024-000006", at="2024-06-20", due="2024.6.30"),                  # row 7: due after the return
    due_row("SD2024-000007", at="2024-06-20", due="2024-06-10"),                 # row 8: due before it
    due_row("SD2024-000008", at="2024-06-20", note="缺少学历证书，2024-06-01前重新提报"),  # row 9: in the note
    due_row("SD2024-000009", state="审核受理", at="2024-06-20", due="2024-06-01"),  # row 10: an old return's date
    due_row("SD2024-000010", state="审核受理", at="12345"),                       # row 11: no plausible serial
]


async def test_date_forms_are_read_and_bad_dates_refused_row_by_row(sapp):  # noqa: F811
    report = await run_import(sapp, csv_bytes(DATED, DUE_HEADER))
    assert not report.applied and await count(sapp, Application) == 0  # one bad row: nothing, as before
    assert [(e.row, e.column) for e in report.errors] == [(6, "状态时间"), (8, "补正截止"), (9, "备注"), (11, "状态时间")]
    text = lines_of(sapp, report)
    assert "第6行 状态时间：日期“6/14/2024”看不出年、月、日的顺序（例如 7/11/2024 可能是7月11日，也可能是11月7日），" \
           "请按“年-月-日”写四位年份，如 2024-07-11" in text
    assert "第8行 补正截止：补正截止日期 2024-06-10 早于本行的状态时间 2024-06-20：截止日期不能早于退回的当天，请核对这两个日期" in text
    assert "第9行 备注：补正截止日期 2024-06-01 早于本行的状态时间 2024-06-20：截止日期不能早于退回的当天，请核对这两个日期" in text
    assert any(line.startswith("第11行 状态时间：“12345”不是日期") and "36526" in line for line in text)
    english = "\n".join(lines_of(sapp, report, "en"))
    assert "the resubmission due date 2024-06-10 is before this row's status time 2024-06-20" in english
    assert "the date \"6/14/2024\" does not tell which number is the year" in english

    done = await run_import(sapp, csv_bytes(DATED, DUE_HEADER), partial=True)
    assert done.applied and done.created == 6 and len(done.errors) == 4
    apps = {a.number: a for a in await rows_of(sapp, Application)}
    assert set(apps) == {f"SD2024-0000{n:02d}" for n in (1, 2, 3, 4, 6, 9)}
    assert local(apps["SD2024-000001"].state_at) == datetime(2024, 6, 11)
    assert local(apps["SD2024-000002"].state_at) == datetime(2024, 6, 12, 9, 30)
    assert local(apps["SD2024-000003"].state_at) == datetime(2024, 6, 13)
    assert local(apps["SD2024-000004"].state_at) == datetime(2024, 6, 15)  # serial 45458
    assert apps["SD2024-000006"].due_date == date(2024, 6, 30)
    assert apps["SD2024-000009"].due_date is None  # a due date only a return keeps


async def test_xlsx_date_cells_and_number_cells_are_read_alike(sapp):  # noqa: F811
    """In an .xlsx a date may be a real date cell, a number cell holding the serial, or text."""
    rows = [due_row("SD2024-000001", state="审核受理", at=datetime(2024, 6, 11)),
            due_row("SD2024-000002", state="审核受理", at=45458),
            due_row("SD2024-000003", at="2024年6月20日", due=datetime(2024, 6, 10))]
    report = await run_import(sapp, xlsx_bytes(rows, DUE_HEADER), "statuses.xlsx", partial=True)
    assert [(e.row, e.column, e.wording.key) for e in report.errors] == [(4, "补正截止", "due_before_status")]
    apps = {a.number: a for a in await rows_of(sapp, Application)}
    assert local(apps["SD2024-000001"].state_at) == datetime(2024, 6, 11)
    assert local(apps["SD2024-000002"].state_at) == datetime(2024, 6, 15)


async def test_without_a_status_time_the_due_date_is_held_to_the_import_day_then_to_the_stored_one(sapp, clock):  # noqa: F811
    """No 状态时间: a new return starts today, so a due date before today is refused; importing the
    same file again later (state unchanged) is held to the stored day, so it still changes nothing."""
    today = clock.now().astimezone(LOCAL_TZ).date().isoformat()  # 2024-07-01
    rows = [due_row("SD2024-000001", at="", due="2024-06-28"), due_row("SD2024-000002", at="", due="2024-07-05")]
    report = await run_import(sapp, csv_bytes(rows, DUE_HEADER), partial=True)
    assert [(e.row, e.column) for e in report.errors] == [(2, "补正截止")]
    assert report.errors[0].render(sapp.services.t) == (
        f"第2行 补正截止：补正截止日期 2024-06-28 早于今天（{today}）：本行没有填写状态时间，状态时间按导入当天计，"
        "截止日期不能早于退回的当天。请核对日期，或填写状态时间")
    assert report.created == 1

    clock.advance(days=9)  # past the due date of the row that was imported
    again = await run_import(sapp, csv_bytes(rows[1:], DUE_HEADER))
    assert again.ok and again.applied and again.unchanged == 1 and again.changed == 0

    stale = await run_import(sapp, csv_bytes([due_row("SD2024-000002", at="", due="2024-06-30")], DUE_HEADER))
    assert not stale.applied and [(e.row, e.column, e.wording.key) for e in stale.errors] == [(2, "补正截止", "due_before_stored")]
    assert f"早于该申报当前状态的时间 {today}" in stale.errors[0].reason


async def test_a_day_without_a_time_shows_as_that_day_on_the_card(sapp):  # noqa: F811
    rows = [row("SD2024-000001", state="审核受理", at="2024.6.11"),
            row("SD2024-000002", tail="456X", state="审核受理", at="2024-06-12 09:30")]
    assert (await run_import(sapp, csv_bytes(rows))).applied
    person = ChatUser(sapp, user_id="71", channel="telegram")
    await person.say("/bind SD2024-000001")
    await person.say("123X")
    assert "当前状态：审核受理（2024-06-11）" in person.text and "• 2024-06-11 审核受理" in person.text
    assert "00:00" not in person.text
    other = ChatUser(sapp, user_id="72", channel="telegram")
    await other.say("/start", language="en")
    await other.say("/bind SD2024-000002")
    await other.say("456X")
    assert "(since 12 June 2024, 09:30)" in other.text
    await person.say("/lang en")
    await person.say("/status")
    assert "Current status: Accepted (since 11 June 2024)" in person.text and "• 11 June 2024 Accepted" in person.text
    (app,) = await rows_of(sapp, Application, Application.number == "SD2024-000001")
    (history,) = await rows_of(sapp, StatusHistory, StatusHistory.application_id == app.id)
    assert local(history.at) == datetime(2024, 6, 11)  # stored as before: local midnight


async def test_a_moved_deadline_of_a_state_that_stays_is_taken(sapp):  # noqa: F811
    """The office extends a resubmission deadline and imports the same state with the new date: the
    application takes it (the card and the reminders follow it), as an update, not a state change; a
    row without a date keeps the stored one."""
    number = "SD2024-000001"
    first = await run_import(sapp, csv_bytes([due_row(number, due="2024-07-05")], DUE_HEADER))
    assert first.applied and first.created == 1
    moved = await run_import(sapp, csv_bytes([due_row(number, due="2024-07-12")], DUE_HEADER))
    assert moved.applied and moved.updated == 1 and moved.changed == 0 and moved.notices == 0
    async with sapp.db.session() as session:
        app = await session.scalar(Application.__table__.select().where(Application.number == number).with_only_columns(Application.due_date))
    assert app == date(2024, 7, 12) and await count(sapp, StatusHistory) == 1
    kept = await run_import(sapp, csv_bytes([due_row(number, due="", note=RETURN_NOTE)], DUE_HEADER))
    assert kept.applied and kept.unchanged == 1
    async with sapp.db.session() as session:
        app = await session.scalar(Application.__table__.select().where(Application.number == number).with_only_columns(Application.due_date))
    assert app == date(2024, 7, 12)
