"""The console's applications page: filters, sort and paging, the detail page, the state change
through the status feature (history, notices and audit in one transaction) and the exports."""

from __future__ import annotations

import asyncio
import csv
import io
from contextlib import asynccontextmanager
from datetime import date, timedelta

from aiohttp.test_utils import TestServer
from openpyxl import load_workbook
from sqlalchemy import select

from bot.console import applications as apps
from bot.console.audit import to_csv
from bot.console.models import ConsoleAudit
from bot.console.server import ConsoleConfig, create_app
from bot.outbox.models import OutboxMessage
from bot.status.models import Application, StatusHistory
from bot.status.service import StatusService
from bot.storage.models import AuditEntry
from tests.support.console_data import add_application, add_many, bound_applicant
from tests.support.console_fixtures import ConsoleBrowser


def workflow(bot_app):  # noqa: ANN001, ANN201
    return StatusService.of(bot_app.services).workflow


async def rows_of(bot_app, model, *where):  # noqa: ANN001, ANN201
    async with bot_app.db.session() as session:
        return list((await session.execute(select(model).where(*where))).scalars())


# ---- filters, sort, paging (the queries) ----------------------------------------------------------
def test_parse_filter_keeps_valid_values_and_drops_the_rest(console_app):
    wf = workflow(console_app)
    where = apps.parse_filter({"state": "accepted", "level": "intermediate", "unit": "3", "number": "ｓｄ2024-0",
                               "since": "2024-06-30", "sort": "number", "page": "4"}, wf)
    assert where == apps.AppFilter("accepted", "intermediate", 3, "SD2024-0", date(2024, 6, 30), "number", 4)
    bad = apps.parse_filter({"state": "flying", "level": "x", "unit": "-1", "number": "SD%' OR 1=1", "since": "2024-13-01",
                             "sort": "drop table", "page": "-2"}, wf)
    assert bad == apps.AppFilter()
    assert "page" not in apps.AppFilter(page=0).query_string() and "state=accepted" in where.query_string()


async def test_filters_sort_and_paging(console_any_app):
    now = console_any_app.services.clock.now()
    await add_many(console_any_app, 120)
    await add_application(console_any_app, "SE2024-000001", state="accepted", unit="丙单位", changed=now - timedelta(days=40))
    wf = workflow(console_any_app)
    async with console_any_app.db.session() as session:
        everything = await apps.page_of(session, apps.AppFilter(), wf)
        assert everything.total == 121 and everything.pages == 3 and len(everything.rows) == 50
        assert everything.rows[0].number == "SD2024-000000"  # latest change first
        accepted = await apps.page_of(session, apps.AppFilter(state="accepted", level="intermediate"), wf)
        assert accepted.total == 21 and {r.state for r in accepted.rows} == {wf.label("accepted")}
        assert {r.level for r in accepted.rows} == {wf.level_label("intermediate")}
        units = dict((n, i) for i, n in await apps.units(session))
        second = await apps.page_of(session, apps.AppFilter(unit_id=units["乙单位"]), wf)
        assert second.total == 60 and {r.unit for r in second.rows} == {"乙单位"}
        prefix = await apps.page_of(session, apps.AppFilter(number="SD2024-00001"), wf)
        assert prefix.total == 10
        # LIKE wildcards typed by a user are literal characters
        assert (await apps.page_of(session, apps.AppFilter(number="SD2024_0"), wf)).total == 0
        since = await apps.page_of(session, apps.AppFilter(since=(now - timedelta(days=1)).date()), wf)
        assert since.total == 120
        by_number = await apps.page_of(session, apps.AppFilter(sort="number", page=2), wf)
        assert by_number.page == 2 and [r.number for r in by_number.rows][:2] == ["SD2024-000100", "SD2024-000101"]
        assert by_number.rows[-1].number == "SE2024-000001"
        far = await apps.page_of(session, apps.AppFilter(page=99), wf)
        assert far.page == 2 and len(far.rows) == 21  # a page past the end shows the last one
        assert all("*" in r.name and "三" not in r.name for r in everything.rows)


# ---- export escaping -------------------------------------------------------------------------------
def test_exports_escape_formula_cells():
    header = ["申报编号", "单位"]
    rows = [["SD2024-000001", "=HYPERLINK(\"http://x\",\"y\")"], ["SD2024-000002", "+1"], ["SD2024-000003", "-2"],
            ["SD2024-000004", "@SUM(A1)"], ["SD2024-000005", "普通单位"]]
    text = to_csv(header, rows)
    read = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert [r[1] for r in read[1:]] == ["'=HYPERLINK(\"http://x\",\"y\")", "'+1", "'-2", "'@SUM(A1)", "普通单位"]
    book = load_workbook(io.BytesIO(apps.to_xlsx(header, rows)))
    cells = [row[1] for row in book.active.iter_rows(min_row=2)]
    assert [c.value for c in cells] == [r[1] for r in read[1:]]
    assert {c.data_type for c in cells} == {"s"}  # never a formula


# ---- over HTTP -------------------------------------------------------------------------------------
async def test_table_filters_over_http_and_htmx_fragment(console_app, console_server):
    await add_many(console_app, 60)
    async with ConsoleBrowser(console_server) as b:
        await b.sign_in("clerk")
        page = await b.get("/applications?state=accepted&sort=number")
        assert page.status == 200 and "共 20 件" in page.body_text and "SD2024-000001" in page.body_text
        assert "SD2024-000000" not in page.body_text  # office_review, filtered out
        fragment = await b.get("/applications?page=1", headers={"HX-Request": "true"})
        assert "<html" not in fragment.body_text and "第 2/2 页" in fragment.body_text
        bad = await b.get("/applications?state=<script>&page=abc&since=yesterday")
        assert bad.status == 200 and "共 60 件" in bad.body_text and "<script>" not in bad.body_text
        missing = await b.get("/applications/SD2024-999999")
        assert missing.status == 404 and "找不到这个申报编号" in missing.body_text


async def test_change_state_on_the_detail_page_queues_the_notice_and_audits(console_app, console_server):
    await add_application(console_app, "SD2024-000001", state="office_review")
    applicant = await bound_applicant(console_app, "SD2024-000001")
    async with ConsoleBrowser(console_server) as b:
        await b.sign_in("clerk")
        page = await b.get("/applications/SD2024-000001")
        assert "张*明" in page.body_text and "张三明" not in page.body_text
        assert 'value="accepted"' in page.body_text and 'value="passed"' not in page.body_text  # legal moves only
        done = await b.post("/applications/SD2024-000001/state", {"target": "accepted", "note": "材料齐全"})
        assert done.status == 200 and "已排队发送 1 条通知" in done.body_text
    app = (await rows_of(console_app, Application))[0]
    assert app.state == "accepted"
    history = await rows_of(console_app, StatusHistory, StatusHistory.state == "accepted")
    assert history[0].actor == "console:clerk" and history[0].note == "材料齐全"
    queued = await rows_of(console_app, OutboxMessage, OutboxMessage.kind == "status")
    assert len(queued) == 1 and queued[0].chat_id == applicant.user_id and queued[0].state == "pending"
    assert "审核受理" in queued[0].payload["text"] and "材料齐全" in queued[0].payload["text"]
    console_entries = await rows_of(console_app, ConsoleAudit, ConsoleAudit.action == "application_state")
    assert console_entries[0].login == "clerk" and console_entries[0].details["notices"] == 1
    assert await rows_of(console_app, AuditEntry, AuditEntry.action == "status.change")


async def test_illegal_change_and_missing_ground_are_refused_and_change_nothing(console_app, console_server):
    await add_application(console_app, "SD2024-000001", state="office_review")
    async with ConsoleBrowser(console_server) as b:
        await b.sign_in("clerk")
        await b.get("/applications/SD2024-000001")
        refused = await b.post("/applications/SD2024-000001/state", {"target": "passed", "note": ""})
        assert refused.status == 400 and "通过" in refused.body_text and "状态未变更" in refused.body_text and "状态不能从" in refused.body_text
        ground = await b.post("/applications/SD2024-000001/state", {"target": "rejected", "note": "材料不全"})
        assert ground.status == 400 and "不符合评审条件" in ground.body_text
        assert 'name="note"' in ground.body_text and "材料不全" in ground.body_text  # the note is kept
        no_token = await b.post("/applications/SD2024-000001/state", {"target": "accepted"}, csrf=False)
        assert no_token.status == 403
    assert (await rows_of(console_app, Application))[0].state == "office_review"
    assert len(await rows_of(console_app, StatusHistory)) == 1
    assert not await rows_of(console_app, ConsoleAudit, ConsoleAudit.action == "application_state")


async def test_export_follows_the_filter_masks_names_and_is_audited(console_app, console_server):
    await add_many(console_app, 30)
    await add_application(console_app, "SD2024-900000", state="accepted", unit="=cmd|' /C calc'!A0", name="李四")
    async with ConsoleBrowser(console_server) as b:
        await b.sign_in("clerk")
        response = await b.client.get("/applications/export.csv?state=accepted")
        text = (await response.read()).decode("utf-8")
        assert response.status == 200 and "attachment" in response.headers["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        assert len(rows) == 1 + 11 and rows[0][0] == "申报编号"
        evil = next(r for r in rows if r[0] == "SD2024-900000")
        assert evil[1] == "李*" and evil[3] == "'=cmd|' /C calc'!A0"
        response = await b.client.get("/applications/export.xlsx?state=accepted")
        book = load_workbook(io.BytesIO(await response.read()))
        values = [[c.value for c in r] for r in book.active.iter_rows()]
        assert len(values) == 12
        assert next(v for v in values if v[0] == "SD2024-900000")[1:4] == ["李*", "中级", "'=cmd|' /C calc'!A0"]
    entries = await rows_of(console_app, ConsoleAudit, ConsoleAudit.action == "applications_export")
    assert sorted(e.details["format"] for e in entries) == ["csv", "xlsx"] and entries[0].details["rows"] == 11


async def test_a_cut_export_says_so_and_is_built_off_the_event_loop(console_app, console_server, monkeypatch):
    """Past ``EXPORT_LIMIT`` rows the file ends with a row saying where it was cut and how to narrow
    the filter, and the page warns before; the file itself is built in a worker thread."""
    import threading

    monkeypatch.setattr(apps, "EXPORT_LIMIT", 4)
    builders: list[bool] = []
    for name in ("to_csv", "to_xlsx"):
        original = getattr(apps, name)

        def spy(*args, _original=original):  # noqa: ANN002, ANN202
            builders.append(threading.current_thread() is threading.main_thread())
            return _original(*args)

        monkeypatch.setattr(apps, name, spy)
    await add_many(console_app, 9)
    async with ConsoleBrowser(console_server) as b:
        await b.sign_in("clerk")
        page = await b.get("/applications")
        assert "超过 4 件" in page.body_text and 'id="export-too-many"' in page.body_text
        response = await b.client.get("/applications/export.csv")
        rows = list(csv.reader(io.StringIO((await response.read()).decode("utf-8").lstrip("\ufeff"))))
        assert response.headers["X-Export-Cut-At"] == "4"
        assert len(rows) == 1 + 4 + 1 and rows[-1][0].startswith("（导出到此为止") and "缩小筛选范围" in rows[-1][0]
        response = await b.client.get("/applications/export.xlsx")
        values = [[c.value for c in r] for r in load_workbook(io.BytesIO(await response.read())).active.iter_rows()]
        assert len(values) == 6 and "超过 4 件" in values[-1][0]
        narrow = await b.client.get("/applications/export.csv?state=accepted")  # 3 rows: nothing cut
        text = (await narrow.read()).decode("utf-8")
        assert "X-Export-Cut-At" not in narrow.headers and "导出到此为止" not in text
        assert len(list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))) == 1 + 3
        assert 'id="export-too-many"' not in (await b.get("/applications?state=accepted")).body_text
    assert builders == [False, False, False]  # every file was built in a worker thread
    entries = await rows_of(console_app, ConsoleAudit, ConsoleAudit.action == "applications_export")
    assert [(e.details["rows"], e.details["cut"]) for e in entries] == [(4, True), (4, True), (3, False)]


# ---- two staff members on one application ------------------------------------------------------------
@asynccontextmanager
async def two_staff_on_one_application(app):  # noqa: ANN001, ANN201
    """Two staff members signed in on one console, each with SD2024-000001's detail page open."""
    server = TestServer(create_app(app, ConsoleConfig()), host="127.0.0.1")
    await server.start_server()
    try:
        async with ConsoleBrowser(server) as first, ConsoleBrowser(server) as second:
            await first.sign_in("chief")
            await second.sign_in("clerk")
            shown = [await b.get("/applications/SD2024-000001") for b in (first, second)]
            yield first, second, shown
    finally:
        await server.close()


async def test_a_change_sent_from_an_older_view_is_refused_and_names_both_states(console_any_app):
    """Both open the detail page in 单位审核; the first moves it to 单位公示; the second, still looking at
    单位审核, sends 退回补正 (legal from 单位公示 too): refused, nothing written, the page says why."""
    await add_application(console_any_app, "SD2024-000001", state="unit_review")
    async with two_staff_on_one_application(console_any_app) as (first, second, shown):
        assert all('name="source" value="unit_review"' in page.body_text for page in shown)
        done = await first.post("/applications/SD2024-000001/state", {"target": "unit_publicity", "source": "unit_review"})
        assert done.status == 200 and 'name="source" value="unit_publicity"' in done.body_text
        stale = await second.post("/applications/SD2024-000001/state",
                                  {"target": "returned", "note": "材料不全", "source": "unit_review"})
        assert stale.status == 409 and "状态未变更" in stale.body_text
        assert "单位审核" in stale.body_text and "单位公示" in stale.body_text
        assert "材料不全" in stale.body_text  # the note is kept for a second try
        assert 'name="source" value="unit_publicity"' in stale.body_text  # the page shows the state now
    app = (await rows_of(console_any_app, Application))[0]
    assert app.state == "unit_publicity"
    assert [h.state for h in await rows_of(console_any_app, StatusHistory)] == ["unit_review", "unit_publicity"]
    entries = await rows_of(console_any_app, ConsoleAudit, ConsoleAudit.action == "application_state")
    assert [e.login for e in entries] == ["chief"]


async def test_two_changes_sent_at_once_from_the_same_view_apply_once(console_any_app):
    """Two staff members (or a double click) send changes from the same view at the same moment: the
    row is locked while one is written, so the other sees the new state and is refused."""
    await add_application(console_any_app, "SD2024-000001", state="unit_review")
    async with two_staff_on_one_application(console_any_app) as (first, second, _shown):
        answers = await asyncio.gather(
            first.post("/applications/SD2024-000001/state", {"target": "unit_publicity", "source": "unit_review"}),
            second.post("/applications/SD2024-000001/state", {"target": "returned", "note": "材料不全",
                                                              "source": "unit_review"}))
    assert sorted(a.status for a in answers) == [200, 409]
    history = await rows_of(console_any_app, StatusHistory)
    assert len(history) == 2 and history[0].state == "unit_review"
    app = (await rows_of(console_any_app, Application))[0]
    assert app.state == history[1].state


async def test_dates_out_of_range_in_a_filter_are_dropped_not_a_server_error(console_any_app):
    """0001-01-01 (a date field filled from the keyboard) and 9999-12-31 overflowed turning a local
    midnight into UTC or taking the next day: each page answered 500. They are ignored like a bad date."""
    await add_application(console_any_app, "SD2024-000001")
    server = TestServer(create_app(console_any_app, ConsoleConfig()), host="127.0.0.1")
    await server.start_server()
    try:
        async with ConsoleBrowser(server) as b:
            await b.sign_in("chief")
            for day in ("0001-01-01", "9999-12-31", "1999-12-31", "2100-01-01"):
                for path in (f"/applications?since={day}", f"/applications/export.csv?since={day}",
                             f"/audit?since={day}", f"/audit?until={day}", f"/audit.csv?until={day}&since={day}"):
                    page = await b.get(path)
                    assert page.status == 200, (path, page.status)
                listing = await b.get(f"/applications?since={day}")
                assert "SD2024-000001" in listing.body_text  # the filter was dropped, not applied
            kept = await b.get("/applications?since=2099-12-31")
            assert kept.status == 200 and "SD2024-000001" not in kept.body_text  # a real day still filters
    finally:
        await server.close()
    assert apps.filter_day("2024-07-01") == date(2024, 7, 1) and apps.filter_day("0001-01-01") is None
