"""The staff console with the real bot process and Telegram (the Bot API emulator), for aiogram and PTB.

The console runs in the test (as ``python -m bot console`` would: its own app on the bot's database
and content); the bot process (``python -m bot run``) binds the applicant and delivers through its
outbox worker. An import applied on the console page reaches the applicant bound in Telegram; a
broadcast to the applicant's unit is delivered, its progress reaches 100 % and the history shows it;
a state changed on an application's detail page reaches its applicant.
Quiet hours are off in the content copy (status notices are not urgent; the test may run at night).
"""

from __future__ import annotations

import asyncio
import re
from contextlib import asynccontextmanager

import pytest
import pytest_asyncio
from aiohttp import FormData
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from bot.app import build_app
from bot.console.server import ConsoleConfig, create_app
from bot.settings import load_settings
from bot.status.models import Unit
from tests.e2e.conftest import content_without_quiet_hours, start_bot
from tests.support.console_fixtures import ConsoleBrowser, add_account, confirm_form
from tests.support.status_helpers import row, xlsx_bytes

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(180)]

NUMBER = "QD2024-7001"
UNIT = "青岛西海岸控制台测试有限公司"
TEXT = "控制台群发测试：请核对纸质材料。"
_APPLY = re.compile(r"/import/apply/([A-Za-z0-9_-]+)")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def content(tmp_path_factory):
    return content_without_quiet_hours(tmp_path_factory.mktemp("console-content"))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot(emulator, framework, content, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"console-{framework}")
    proc = await start_bot(emulator, framework, tmp, extra_env={"CONTENT_DIR": str(content)})
    yield proc
    await proc.stop()


@asynccontextmanager
async def console(bot, content, login: str = "clerk"):  # noqa: ANN001, ANN201
    """The console's own app on the bot's database and content (the salt file is the bot's), signed
    in as ``login`` (a new staff account: the bot's database lives for the whole module)."""
    app = build_app(load_settings(database_url=bot.database_url), root=content)
    await app.start()
    await add_account(app, login, "staff")
    server = TestServer(create_app(app, ConsoleConfig()), host="127.0.0.1")
    await server.start_server()
    try:
        async with ConsoleBrowser(server) as browser:
            await browser.sign_in(login)
            yield app, browser
    finally:
        await server.close()
        await app.close()


async def import_rows(browser: ConsoleBrowser, rows: list[list[str]]) -> str:
    await browser.get("/import")
    form = FormData()
    form.add_field("csrf", browser.csrf)
    form.add_field("file", xlsx_bytes(rows), filename="申报状态.xlsx")
    report = await browser.client.post("/import/upload", data=form)
    token = _APPLY.search(await report.text()).group(1)
    done = await browser.post(f"/import/apply/{token}", {"mode": "all"})
    assert done.status == 200, done.body_text
    return done.body_text


async def test_import_notice_and_broadcast_reach_the_applicant_in_telegram(bot, content, tg_user):
    async with console(bot, content) as (app, browser):
        created = await import_rows(browser, [row(NUMBER, "刘晓明", "204X", unit=UNIT, state="审核受理")])
        assert "新增 1 件" in created
        (ask,) = await tg_user.say(f"/bind {NUMBER}")
        assert "身份证号码的后四位" in ask["text"]
        done, _card = await tg_user.say("204x", expect=2)
        assert "绑定成功" in done["text"]

        changed = await import_rows(browser, [row(NUMBER, "刘晓明", "204X", unit=UNIT, state="纸质材料已送达")])
        assert "已排队发送 1 条通知" in changed
        (notice,) = await tg_user.replies(1, timeout=30)
        assert NUMBER in notice["text"] and "纸质材料已送达" in notice["text"]

        async with app.db.session() as session:
            unit_id = (await session.execute(select(Unit.id).where(Unit.name == UNIT))).scalar_one()
        await browser.get("/broadcast")
        draft = {"kind": "unit", "unit": str(unit_id), "text": TEXT}
        preview = await browser.post("/broadcast/preview", draft)
        assert re.search(r'data-channel="telegram"><td>Telegram</td><td>1<', preview.body_text)
        sent = await browser.post("/broadcast/send", confirm_form(preview.body_text, draft))
        broadcast_id = int(re.search(r"/broadcast/(\d+)$", str(sent.url)).group(1))
        (delivered,) = await tg_user.replies(1, timeout=30)
        assert delivered["text"] == TEXT
        for _ in range(100):
            fragment = await browser.get(f"/broadcast/{broadcast_id}/progress", headers={"HX-Request": "true"})
            if 'id="broadcast-pct">100%' in fragment.body_text:
                break
            await asyncio.sleep(0.2)
        assert 'id="broadcast-pct">100%' in fragment.body_text and 'id="fig-sent">1<' in fragment.body_text
        history = (await browser.get("/broadcast")).body_text
        line = re.search(rf'<tr data-id="{broadcast_id}">(.*?)</tr>', history, re.S).group(1)
        assert re.findall(r'class="(sent|blocked|failed)">(\d+)<', line) == [("sent", "1"), ("blocked", "0"), ("failed", "0")]


async def test_a_state_changed_on_the_detail_page_reaches_the_applicant_in_telegram(bot, content, tg_user):
    number = "QD2024-6001"
    async with console(bot, content, login="clerk2") as (_app, browser):
        await import_rows(browser, [row(number, "刘晓明", "204X", unit=UNIT, level="中级", state="评委会办事机构审核")])
        await tg_user.say(f"/bind {number}")
        await tg_user.say("204X", expect=2)
        await browser.get(f"/applications/{number}")
        done = await browser.post(f"/applications/{number}/state", {"target": "accepted", "note": "材料齐全"})
        assert done.status == 200 and "已排队发送 1 条通知" in done.body_text

    (notice,) = await tg_user.replies(1, timeout=30)
    assert "您的职称申报有新进展" in notice["text"] and number in notice["text"]
    assert "审核受理" in notice["text"] and "材料齐全" in notice["text"] and "刘晓明" not in notice["text"]
    (status,) = await tg_user.say("/status")
    assert "当前状态：审核受理" in status["text"]
