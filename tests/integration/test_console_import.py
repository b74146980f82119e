"""The console's import page over HTTP: upload, a dry run that changes nothing, apply all or the good
rows, notices queued, files refused with a message on the page, and the kept file bound to its session."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from aiohttp import FormData
from sqlalchemy import select

from bot.console.models import ConsoleAudit
from bot.console.uploads import UploadStore
from bot.outbox.models import OutboxMessage
from bot.status.importer import Importer, ImportReport
from bot.status.models import Application
from tests.support.console_fixtures import ConsoleBrowser
from tests.support.helpers import ChatUser
from tests.support.status_helpers import count, csv_bytes, row, rows_of, sapp, xlsx_bytes  # noqa: F401

NUMBER = "SD2024-000001"
GOOD = [row(NUMBER, state="审核受理"), row("SD2024-000002", "李四", "0456", level="初级", state="申报结束")]
BAD = row("SD2024-000003", "王五", "5678", state="不存在的状态")
_TOKEN = re.compile(r"/import/apply/([A-Za-z0-9_-]+)")


async def upload(browser: ConsoleBrowser, name: str, content: bytes, htmx: bool = False):  # noqa: ANN201
    await browser.get("/import")
    form = FormData()
    form.add_field("csrf", browser.csrf)
    form.add_field("file", content, filename=name, content_type="application/octet-stream")
    headers = {"HX-Request": "true", "X-CSRF-Token": browser.csrf} if htmx else {}
    response = await browser.client.post("/import/upload", data=form, headers=headers, allow_redirects=not htmx)
    response.body_text = await response.text()
    return response


async def bind(app, user_id: str = "4242") -> ChatUser:  # noqa: ANN001
    person = ChatUser(app, user_id=user_id, channel="telegram")
    await person.say(f"/bind {NUMBER}")
    await person.say("0001")
    await person.say("123X")
    assert "绑定成功" in person.text, person.text
    return person


async def test_a_bad_row_is_reported_and_nothing_applied_then_the_good_rows_are(console_app, console_server):
    async with ConsoleBrowser(console_server) as browser:
        await browser.sign_in("clerk")
        response = await upload(browser, "statuses.csv", csv_bytes([*GOOD, BAD]))
        assert response.status == 200 and "/import/report/" in str(response.url)
        page = response.body_text
        assert "第4行" in page and "不存在的状态" in page  # the bad row, with its reason
        assert 'id="apply-all" disabled' in page and 'id="apply-good"' in page
        assert await count(console_app, Application) == 0  # the dry run wrote nothing
        token = _TOKEN.search(page).group(1)
        refused = await browser.post(f"/import/apply/{token}", {"mode": "all"})
        assert refused.status == 409 and await count(console_app, Application) == 0
        done = await browser.post(f"/import/apply/{token}", {"mode": "good"})
        assert done.status == 200 and "导入完成" in done.body_text
        assert "新增 2 件" in done.body_text
        assert {a.number for a in await rows_of(console_app, Application)} == {NUMBER, "SD2024-000002"}
        again = await browser.post(f"/import/apply/{token}", {"mode": "good"})
        assert again.status == 410  # the kept file is gone once applied
    async with console_app.db.session() as session:
        actions = [a.action for a in (await session.execute(select(ConsoleAudit))).scalars()]
    assert actions.count("import_upload") == 1 and actions.count("import_apply") == 2


async def test_a_state_change_queues_the_bound_applicants_notice(console_app, console_server):
    async with ConsoleBrowser(console_server) as browser:
        await browser.sign_in("chief")
        first = await upload(browser, "a.xlsx", xlsx_bytes([row(NUMBER, state="审核受理")]))
        await browser.post(f"/import/apply/{_TOKEN.search(first.body_text).group(1)}", {"mode": "all"})
        await bind(console_app)
        second = await upload(browser, "b.xlsx", xlsx_bytes([row(NUMBER, state="纸质材料已送达")]))
        assert "将发送通知" in second.body_text and "状态变更 1 件" in second.body_text
        assert await count(console_app, OutboxMessage) == 0
        done = await browser.post(f"/import/apply/{_TOKEN.search(second.body_text).group(1)}", {"mode": "all"})
        assert "已排队发送 1 条通知" in done.body_text
    (notice,) = await rows_of(console_app, OutboxMessage)
    assert notice.kind != "broadcast" and NUMBER in notice.payload["text"]


async def test_wrong_type_and_too_large_files_get_a_message_on_the_page(console_app, console_server):
    async with ConsoleBrowser(console_server) as browser:
        await browser.sign_in("clerk")
        wrong = await upload(browser, "photo.png", b"\x89PNG....", htmx=True)
        assert wrong.status == 400 and "只支持 .xlsx 或 .csv 文件" in wrong.body_text
        old = await upload(browser, "old.xls", b"\xd0\xcf\x11\xe0", htmx=True)
        assert old.status == 400 and ".xls" in old.body_text
        big = b"a" * (21 * 1024 * 1024)
        large = await upload(browser, "big.csv", big, htmx=True)
        assert large.status == 400 and "文件太大" in large.body_text
        good = await upload(browser, "ok.csv", csv_bytes(GOOD), htmx=True)
        assert good.status == 204 and good.headers["HX-Redirect"].startswith("/import/report/")
    assert await count(console_app, Application) == 0


async def test_another_session_cannot_use_the_token(console_app, console_server):
    async with ConsoleBrowser(console_server) as owner, ConsoleBrowser(console_server) as other:
        await owner.sign_in("clerk")
        page = (await upload(owner, "statuses.csv", csv_bytes(GOOD))).body_text
        token = _TOKEN.search(page).group(1)
        await other.sign_in("chief")
        seen = await other.get(f"/import/report/{token}")
        assert seen.status == 410
        await other.get("/import")
        refused = await other.post(f"/import/apply/{token}", {"mode": "all"})
        assert refused.status == 410 and await count(console_app, Application) == 0


def test_the_store_expires_files_and_keeps_one_per_session(clock):
    store = UploadStore(keep_for=timedelta(minutes=30), budget_bytes=10)
    now = clock.now()
    first = store.keep("s1", "a.csv", b"12345", now)
    second = store.keep("s1", "b.csv", b"123", now)
    assert store.get("s1", first, now) is None and store.get("s1", second, now).file_name == "b.csv"
    store.keep("s2", "c.csv", b"1234567890", now)  # over the budget: the oldest goes
    assert store.get("s1", second, now) is None and len(store) == 1
    third = store.keep("s3", "d.csv", b"1", now)
    assert store.get("s3", third, now + timedelta(minutes=29)) is not None
    assert store.get("s3", third, now + timedelta(minutes=30)) is None


async def test_two_imports_at_once_never_interleave(sapp):  # noqa: F811 - each backend
    """Both see the same new rows; the second plans after the first has written (PostgreSQL: the
    import lock; without it both would insert and one would fail on the unique number)."""
    importer = Importer(sapp.services, actor="test", actor_user_id=None)
    content = csv_bytes(GOOD)

    async def one() -> ImportReport:
        async with sapp.db.session() as session:
            return await importer.apply(session, importer.prepare("statuses.csv", content))

    first, second = await asyncio.gather(one(), one())
    assert sorted((r.created, r.unchanged) for r in (first, second)) == [(0, 2), (2, 0)]
    assert await count(sapp, Application) == 2


async def test_apply_plans_once_under_one_hold_of_the_import_lock(console_app, console_server, monkeypatch):
    """The console's apply checks the rows against the database once, under the import lock the
    command line and Telegram imports take, and its result page lists that plan."""
    import bot.storage.locks as locks
    from bot.status.importer import IMPORT_LOCK

    plans, holds = [], []
    original_plan, original_hold = Importer._plan, locks.hold_locks

    async def counted_plan(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        plans.append(1)
        return await original_plan(self, *args, **kwargs)

    async def counted_hold(connection, *names):  # noqa: ANN001, ANN002, ANN202
        holds.extend(name for name in names if name == IMPORT_LOCK)
        return await original_hold(connection, *names)

    async with ConsoleBrowser(console_server) as browser:
        await browser.sign_in("clerk")
        report = await upload(browser, "statuses.csv", csv_bytes([*GOOD, BAD]))
        monkeypatch.setattr(Importer, "_plan", counted_plan)
        monkeypatch.setattr(locks, "hold_locks", counted_hold)
        done = await browser.post(f"/import/apply/{_TOKEN.search(report.body_text).group(1)}", {"mode": "good"})
        assert done.status == 200 and "新增 2 件" in done.body_text
        assert NUMBER in done.body_text and "SD2024-000002" in done.body_text
    assert plans == [1] and holds == [IMPORT_LOCK]


async def test_id_and_phone_digits_in_a_file_name_stay_out_of_the_audit_log(console_app, console_server):
    """A one-person update named after the person: the audit log (upload, apply, discard) and its
    CSV export keep the file name without the ID and phone digits."""
    named = "张三明_370211199001011234_13800138000.csv"
    async with ConsoleBrowser(console_server) as browser:
        await browser.sign_in("clerk")
        response = await upload(browser, named, csv_bytes(GOOD))
        assert response.status == 200
        token = _TOKEN.search(response.body_text).group(1)
        assert (await browser.post(f"/import/apply/{token}", {"mode": "all"})).status == 200
        second = await upload(browser, named, csv_bytes(GOOD))
        await browser.post(f"/import/discard/{_TOKEN.search(second.body_text).group(1)}")
        exported = (await browser.get("/audit.csv")).body_text
    async with console_app.db.session() as session:
        entries = [(a.action, a.target) for a in (await session.execute(select(ConsoleAudit))).scalars()
                   if a.action.startswith("import_")]
    assert {action for action, _ in entries} == {"import_upload", "import_apply", "import_discard"}
    for _, target in entries:
        assert "370211" not in target and "13800138000" not in target and target.endswith(".csv")
    assert "370211" not in exported and "13800138000" not in exported
