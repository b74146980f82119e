"""Staff imports: validate all rows first, nothing applied on a bad row unless partial, idempotent,
UTF-8/GBK CSV and .xlsx, clear reports for broken files."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from bot.outbox.models import OutboxMessage
from bot.status.importer import Importer, render_report
from bot.status.models import Application, StatusHistory, Unit
from bot.status.personal import id_tail_hash
from bot.storage.models import AuditEntry
from tests.support.status_helpers import HEADER, count, csv_bytes, row, rows_of, sapp, staff, xlsx_bytes  # noqa: F401

GOOD = [
    row("SD2024-000001", "张三明", "123X", level="中级", state="评委会办事机构审核"),
    row("SD2024-000002", "李四", "0456", level="初级", state="申报结束"),
    row("SD2024-000003", "欧阳娜娜", "7890", unit="西海岸工业互联网研究院", level="副高", state="退回补正",
        note="缺少学历证书扫描件，2024-07-10前重新提报"),
]


async def run_import(app, name: str, content: bytes, partial: bool = False):  # noqa: ANN001, ANN201
    importer = Importer(app.services, actor="test", actor_user_id=None)
    async with app.db.session() as session:
        return await importer.run(session, name, content, partial=partial)


async def test_good_xlsx_file_is_applied(sapp):  # noqa: F811
    report = await run_import(sapp, "statuses.xlsx", xlsx_bytes(GOOD))
    assert report.ok and report.applied and report.created == 3
    apps = {a.number: a for a in await rows_of(sapp, Application)}
    assert apps["SD2024-000002"].state == "accepted" and apps["SD2024-000002"].level == "assistant"
    assert apps["SD2024-000003"].due_date.isoformat() == "2024-07-10"
    salt = sapp.services.settings.hash_salt.get_secret_value()
    assert apps["SD2024-000002"].id_tail_hash == id_tail_hash(salt, "SD2024-000002", "0456")
    assert "0456" not in apps["SD2024-000002"].id_tail_hash
    assert await count(sapp, Unit) == 2
    assert await count(sapp, StatusHistory) == 3
    history = await rows_of(sapp, StatusHistory, StatusHistory.application_id == apps["SD2024-000001"].id)
    assert history[0].at.isoformat().startswith("2024-07-01T01:00")  # 09:00 Shanghai in UTC
    audits = await rows_of(sapp, AuditEntry, AuditEntry.action.like("status.import%"))
    assert len(audits) == 4
    for entry in audits:  # no personal data in the audit log
        assert "张三明" not in str(entry.detail) and "123X" not in str(entry.detail)


async def test_file_with_bad_rows_applies_nothing_and_reports_each(sapp):  # noqa: F811
    rows = GOOD + [
        row("bad number!", "王五"),
        row("SD2024-000005", "", "12345", level="特级", state="飞升"),
        row("SD2024-000001", "重复"),
        row("SD2024-000007", at="明天"),
        row("SD2024-000008", state="不予受理", note="材料不全"),
    ]
    report = await run_import(sapp, "statuses.xlsx", xlsx_bytes(rows))
    assert not report.applied and not report.ok
    assert await count(sapp, Application) == 0 and await count(sapp, Unit) == 0
    found = {(e.row, e.column) for e in report.errors}
    assert found == {(5, "申报编号"), (6, "姓名"), (6, "身份证后四位"), (6, "申报级别"), (6, "状态"), (7, "申报编号"),
                     (8, "状态时间"), (9, "备注")}
    text = render_report(report, sapp.services.texts.get)
    assert "第5行 申报编号" in text and "与第2行重复" in text and "全部未生效" in text
    # 8 problems in 5 of 8 rows: the head counts rows, the list's header counts problems
    assert "共8行，其中5行有错误" in text and "错误明细（8处）" in text


async def test_a_partial_import_counts_rows_with_errors_not_problems(sapp):  # noqa: F811
    rows = GOOD + [row("SD2024-000005", "", "12345", level="特级", state="飞升")]  # one row, four problems
    report = await run_import(sapp, "statuses.xlsx", xlsx_bytes(rows), partial=True)
    assert report.applied and len(report.errors) == 4 and report.figures()["errors"] == 1
    assert "出错1行" in render_report(report, sapp.services.texts.get)


async def test_partial_applies_good_rows_and_reports_the_rest(sapp):  # noqa: F811
    rows = GOOD + [row("x", "王五")]
    report = await run_import(sapp, "statuses.xlsx", xlsx_bytes(rows), partial=True)
    assert report.applied and report.created == 3 and len(report.errors) == 1
    assert report.errors[0].row == 5
    assert await count(sapp, Application) == 3


async def test_same_file_twice_changes_nothing(sapp):  # noqa: F811
    content = xlsx_bytes(GOOD)
    await run_import(sapp, "statuses.xlsx", content)
    before = [(a.number, a.state, a.updated_at) for a in await rows_of(sapp, Application, order=Application.number)]
    report = await run_import(sapp, "statuses.xlsx", content)
    assert report.ok and report.unchanged == 3 and report.created == report.changed == report.updated == 0
    after = [(a.number, a.state, a.updated_at) for a in await rows_of(sapp, Application, order=Application.number)]
    assert after == before
    assert await count(sapp, StatusHistory) == 3
    assert await count(sapp, OutboxMessage) == 0


async def test_gbk_csv_with_columns_in_another_order_and_english_aliases(sapp):  # noqa: F811
    header = ["status", "Name", "number", "unit", "level", "id_last4"]
    rows = [["审核受理", "赵六", "SD2024-000010", "青岛港湾机械有限公司", "中级", "3321"]]
    content = csv_bytes(rows, header=header, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    report = await run_import(sapp, "statuses.csv", content)
    assert report.ok and report.created == 1
    [app] = await rows_of(sapp, Application)
    assert app.applicant_name == "赵六" and app.state == "accepted"
    assert app.state_at == sapp.services.clock.now()  # no 状态时间 column: the import time


async def test_utf8_csv_with_bom(sapp):  # noqa: F811
    content = b"\xef\xbb\xbf" + csv_bytes(GOOD[:1])
    report = await run_import(sapp, "s.csv", content)
    assert report.ok and report.created == 1


async def test_extra_and_missing_columns(sapp):  # noqa: F811
    header = [h for h in HEADER if h != "申报级别"] + ["联系电话"]
    rows = [[c for i, c in enumerate(r) if HEADER[i] != "申报级别"] + ["13800000000"] for r in GOOD]
    report = await run_import(sapp, "s.xlsx", xlsx_bytes(rows, header=header))
    assert report.file_error and "申报级别" in report.file_error
    assert await count(sapp, Application) == 0
    # extra columns alone are ignored and named in the report
    report = await run_import(sapp, "s.xlsx", xlsx_bytes([r + ["13800000000"] for r in GOOD], header=HEADER + ["联系电话"]))
    assert report.ok and report.ignored_columns == ["联系电话"]
    assert "联系电话" in render_report(report, sapp.services.texts.get)


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("empty.xlsx", b"", "0字节"),
        ("empty.csv", b"", "0字节"),
        ("photo.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "不是有效的 Excel"),
        ("notes.xlsx", "这只是一段文字".encode(), "不是有效的 Excel"),
        ("fake.xlsx", b"PK\x03\x04" + b"garbage" * 20, "Excel"),
        ("binary.csv", b"\x00\x01\x02\x03" * 10, "不是文本"),
        ("old.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 50, ".xls"),
        ("header_only.csv", "申报编号,姓名\n".encode(), "缺少必需的列"),
    ],
)
async def test_broken_files_get_one_clear_reason(sapp, name, content, words):  # noqa: F811
    report = await run_import(sapp, name, content)
    assert report.file_error and words in report.file_error
    assert not report.applied


async def test_later_import_follows_the_transitions(sapp):  # noqa: F811
    await run_import(sapp, "a.xlsx", xlsx_bytes(GOOD))
    later = [
        row("SD2024-000001", state="审核受理", at="2024-07-01 09:30"),
        row("SD2024-000002", "李四", "0456", level="初级", state="通过"),  # 审核受理 → 通过 is illegal
    ]
    report = await run_import(sapp, "b.xlsx", xlsx_bytes(later))
    assert not report.applied
    [error] = report.errors
    assert error.row == 3 and "审核受理" in error.reason and "通过" in error.reason
    report = await run_import(sapp, "b.xlsx", xlsx_bytes(later[:1]))
    assert report.applied and report.changed == 1
    [app] = await rows_of(sapp, Application, Application.number == "SD2024-000001")
    assert app.state == "accepted"
    assert await count(sapp, StatusHistory, StatusHistory.application_id == app.id) == 2


def _cli(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env, timeout=120)


def test_cli_import_and_hr_invite(tmp_path):
    path = tmp_path / "statuses.xlsx"
    path.write_bytes(xlsx_bytes(GOOD))
    result = _cli(tmp_path, "status", "import", str(path))
    assert result.returncode == 0, result.stderr
    assert "新增3件" in result.stdout
    result = _cli(tmp_path, "status", "import", str(path))
    assert result.returncode == 0 and "无变化3件" in result.stdout
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([row("bad!")]))
    result = _cli(tmp_path, "status", "import", str(bad))
    assert result.returncode == 1 and "第2行 申报编号" in result.stdout
    result = _cli(tmp_path, "hr", "invite", "青岛示例科技有限公司")
    assert result.returncode == 0 and "邀请码：" in result.stdout and "/hr " in result.stdout
    assert "单位：青岛示例科技有限公司" in result.stdout and "请单位职称工作负责人在聊天中发送：/hr " in result.stdout
    result = _cli(tmp_path, "hr", "invite", "=1+1")  # a formula is no unit's name
    assert result.returncode != 0 and "formula" in result.stderr and "/hr " not in result.stdout
    result = _cli(tmp_path, "hr", "invite", "青岛示例科技\u200b有限公司")  # pasted with an invisible space
    assert result.returncode == 0 and "单位：青岛示例科技有限公司" in result.stdout
    result = _cli(tmp_path, "status", "import", str(tmp_path / "missing.xlsx"))
    assert result.returncode == 2 and "cannot read" in result.stderr


async def test_invisible_and_right_to_left_characters_are_dropped_from_cells(sapp):  # noqa: F811
    """A unit name with a right-to-left mark or an isolate (copied from another document) would be a
    second unit that no invite matches; a name with one would not match what the person types."""
    rows = [
        row("SD2024-000011", "张\u202e三明", unit="青岛示例科技\u2067有限公司"),
        row("SD2024-000012", "李四\u200b", unit="青岛示例科技有限公司\u2069"),
    ]
    report = await run_import(sapp, "statuses.xlsx", xlsx_bytes(rows))
    assert report.ok and report.applied
    units = [u.name for u in await rows_of(sapp, Unit)]
    assert units == ["青岛示例科技有限公司"]
    for application in await rows_of(sapp, Application):
        assert not any(ch in application.applicant_name for ch in "\u202e\u200b\u2067\u2069"), repr(application.applicant_name)


async def test_a_name_or_unit_that_looks_like_a_formula_is_refused(sapp):  # noqa: F811
    rows = [
        row("SD2024-000021", '=HYPERLINK("http://evil.example","张三")'),
        row("SD2024-000022", "李四", unit="-青岛示例科技有限公司"),
        row("SD2024-000023", "王五"),
    ]
    report = await run_import(sapp, "statuses.xlsx", xlsx_bytes(rows))
    assert not report.ok and not report.applied
    assert {(e.row, e.column) for e in report.errors} == {(2, "姓名"), (3, "单位")}
    assert await count(sapp, Unit) == 0


def _with_hidden_first_sheet(active_tab: int) -> bytes:
    """A workbook whose first sheet (hidden) holds an old list and whose second the rows to import,
    with ``activeTab`` as a program other than Excel may leave it."""
    import io
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    old = book.active
    old.title = "上次导入"
    old.append(HEADER)
    old.append(row("SD2024-000009", "旧名单", "9999", state="申报结束"))
    now = book.create_sheet("本次")
    now.append(HEADER)
    now.append(row("SD2024-000001", "张三明", "123X", state="评委会办事机构审核"))
    old.sheet_state = "hidden"
    saved = io.BytesIO()
    book.save(saved)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(saved.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/workbook.xml":
                data = re.sub(rb'activeTab="\d+"', b'activeTab="%d"' % active_tab, data)
                assert b'state="hidden"' in data
            dst.writestr(item.filename, data)
    return out.getvalue()


@pytest.mark.parametrize("active_tab", [0, 1, 7])
async def test_a_hidden_sheet_is_never_the_one_imported(sapp, active_tab):  # noqa: F811
    report = await run_import(sapp, "statuses.xlsx", _with_hidden_first_sheet(active_tab))
    assert report.ok and report.applied and report.created == 1
    assert [a.number for a in await rows_of(sapp, Application)] == ["SD2024-000001"]


async def test_an_import_waits_for_a_staff_change_of_its_row_and_plans_from_it(sapp, backend):  # noqa: F811
    """A staff member moves SD2024-000009 from 评委会办事机构审核 to 审核受理 while an import that
    returns it (legal from the old state, not from the new one) is applied: the import waits for the
    change's row lock and is refused on that row, instead of writing 退回补正 over 审核受理."""
    import asyncio

    from bot.status.service import StatusService

    if backend != "postgres":
        pytest.skip("SQLite admits one writer: the two transactions cannot overlap")
    number = "SD2024-000009"
    await run_import(sapp, "first.csv", csv_bytes([row(number, state="评委会办事机构审核")]))
    service = StatusService.of(sapp.services)
    async with sapp.db.session() as staff_session:  # /setstatus or the console, not yet committed
        app = await service.queries.find(staff_session, number, for_update=True)
        await service.commands.change_state(staff_session, app, "accepted", actor="test", actor_user_id=None)
        returning = asyncio.create_task(run_import(
            sapp, "second.csv", csv_bytes([row(number, state="退回补正", note="缺少学历证书扫描件，2024-07-10前重新提报")])))
        await asyncio.sleep(0.5)
        assert not returning.done()  # waiting for the staff change's row lock
    report = await asyncio.wait_for(returning, 10)
    assert not report.applied and [e.row for e in report.errors] == [2]
    [stored] = await rows_of(sapp, Application)
    assert stored.state == "accepted"
