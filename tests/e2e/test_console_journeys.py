"""The staff console against the real bot process: a state changed on the console's detail page
reaches the applicant bound in Telegram (the Bot API emulator), through the outbox worker that
``python -m bot run`` starts. The console runs in this process on the bot's SQLite file, as
``python -m bot console`` would beside the bot on the office's machine.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestServer

from bot.app import build_app
from bot.console.server import ConsoleConfig, create_app
from bot.settings import load_settings
from tests.console_fixtures import ConsoleBrowser, add_account
from tests.e2e.botproc import ROOT
from tests.e2e.conftest import count_rows, start_bot
from tests.e2e.test_status_journeys import UNIT, eventually, import_rows
from tests.emulator import TgUser
from tests.status_helpers import row

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(150)]

STAFF = 79502


def without_quiet_hours(tmp: Path) -> Path:
    """A copy of the content whose outbox has no quiet hours: the test may run at night, and a status
    notice is not urgent, so the shipped 22:00–08:00 window would hold it until morning."""
    content = tmp / "content"
    content.mkdir()
    for name in ("dialogs", "knowledge"):
        (content / name).symlink_to(ROOT / name)
    shutil.copytree(ROOT / "rules", content / "rules")
    outbox = content / "rules" / "outbox.yaml"
    text, n = re.subn(r"  quiet_hours:.*?end: \"08:00\"\n", "  quiet_hours: null\n", outbox.read_text("utf-8"), flags=re.S)
    assert n == 1, "the quiet_hours block of rules/outbox.yaml changed shape"
    outbox.write_text(text, "utf-8")
    return content


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot(emulator, framework, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"console-{framework}")
    proc = await start_bot(emulator, framework, tmp,
                           extra_env={"STAFF_IDS": str(STAFF), "CONTENT_DIR": str(without_quiet_hours(tmp))})
    yield proc
    await proc.stop()


async def test_a_state_changed_in_the_console_reaches_the_applicant_in_telegram(bot, emulator, tg_user):
    number = "QD2024-6001"
    await import_rows(TgUser(emulator, STAFF), [row(number, "刘晓明", "204X", unit=UNIT, level="中级", state="评委会办事机构审核")])
    await tg_user.say(f"/bind {number}")
    await tg_user.say("204X", expect=2)

    console_app = build_app(load_settings(database_url=bot.database_url), serving=True)
    await console_app.start()
    server = TestServer(create_app(console_app, ConsoleConfig()), host="127.0.0.1")
    await server.start_server()
    try:
        await add_account(console_app, "clerk", "staff")
        async with ConsoleBrowser(server) as b:
            await b.sign_in("clerk")
            await b.get(f"/applications/{number}")
            done = await b.post(f"/applications/{number}/state", {"target": "accepted", "note": "材料齐全"})
            assert done.status == 200 and "已排队发送 1 条通知" in done.body_text
    finally:
        await server.close()
        await console_app.close()

    (notice,) = await tg_user.replies(1, timeout=20)
    assert "您的职称申报有新进展" in notice["text"] and number in notice["text"]
    assert "审核受理" in notice["text"] and "材料齐全" in notice["text"] and "刘晓明" not in notice["text"]
    sent = "SELECT count(*) FROM outbox WHERE kind='status' AND state='sent' AND chat_id=?"
    assert await eventually(lambda: count_rows(bot.db_path, sent, str(tg_user.id)) == 1)
    (status,) = await tg_user.say("/status")
    assert "当前状态：审核受理" in status["text"]
