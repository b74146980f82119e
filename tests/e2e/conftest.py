"""Fixtures for end-to-end journeys: one emulator and one real bot process per module and framework;
the browser tests also get an in-process app (``sqlite_app``, ``console_app``, ``console_server``).

Test modules set ``pytestmark = pytest.mark.asyncio(loop_scope="module")`` so the in-process
emulator (module-scoped, on the module's event loop) serves every test of the module.
"""

from __future__ import annotations

import itertools
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
import pytest_asyncio

from tests.e2e.botproc import ROOT, BotProcess
from tests.support.app_fixtures import sqlite_app  # noqa: F401 - the browser and reminder-process tests' app
from tests.support.browser import browser  # noqa: F401 - the browser tests' headless Chromium
from tests.support.console_fixtures import console_app, console_server  # noqa: F401 - the console browser tests
from tests.support.emulator import BotApiEmulator, TgUser

_user_ids = itertools.count(70001)


@pytest.fixture(scope="module", params=["aiogram", "ptb"])
def framework(request) -> str:
    return request.param


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def emulator(framework):
    emu = BotApiEmulator()
    await emu.start()
    try:
        yield emu
    finally:
        await emu.stop()


@pytest.fixture
def tg_user(emulator) -> TgUser:
    """A fresh Telegram user for each test (the bot process is shared by the module)."""
    return TgUser(emulator, next(_user_ids))


def count_rows(db_path: Path, sql: str, *args: object) -> int:
    """Read the bot's SQLite file directly, as an auditor would."""
    with sqlite3.connect(db_path) as conn:
        return int(conn.execute(sql, args).fetchone()[0])


def content_without_quiet_hours(folder: Path) -> Path:
    """``folder`` made a content root: the shipped dialogs and knowledge, and a copy of the rules
    with quiet hours off, so that pushes the bot's outbox worker delivers arrive at any hour the
    test runs (the shipped 22:00–08:00 window would hold them until morning)."""
    folder.mkdir(exist_ok=True)
    for name in ("dialogs", "knowledge"):
        (folder / name).symlink_to(ROOT / name)
    shutil.copytree(ROOT / "rules", folder / "rules")
    outbox = folder / "rules" / "outbox.yaml"
    text, n = re.subn(r"  quiet_hours:.*?end: \"08:00\"\n", "  quiet_hours: null\n", outbox.read_text("utf-8"),
                      flags=re.S)
    assert n == 1, "the quiet_hours block of rules/outbox.yaml changed shape"
    outbox.write_text(text, "utf-8")
    return folder


async def start_bot(emulator: BotApiEmulator, framework: str, tmp: Path, **kwargs) -> BotProcess:
    proc = BotProcess(emulator, framework, tmp / "bot.db", tmp / "bot.log", **kwargs)
    await proc.start()
    return proc


async def start_staff_bot(emulator: BotApiEmulator, framework: str, tmp: Path, staff: int) -> BotProcess:
    """The bot with ``staff`` as its staff member, on a content copy in ``tmp`` whose pushes are
    delivered at any hour (``content_without_quiet_hours``)."""
    content = content_without_quiet_hours(tmp / "content")
    return await start_bot(emulator, framework, tmp, extra_env={"STAFF_IDS": str(staff), "CONTENT_DIR": str(content)})


async def assert_malformed_update_is_skipped(bot: BotProcess, emulator: BotApiEmulator, tg_user: TgUser) -> None:
    """An update the framework cannot parse (no ``date``) is skipped with one log line that does not
    quote it, and the user's next update is answered."""
    message = emulator._user_message(tg_user.id, text="机密内容 13812345678")
    del message["date"]
    emulator.push_update({"message": message})
    (reply,) = await tg_user.say("/help")
    assert "使用帮助" in reply["text"]
    log = bot.log_path.read_text(errors="replace")
    assert "机密内容" not in log and "13812345678" not in log and "Traceback" not in log
    assert len([line for line in log.splitlines() if "malformed update" in line]) == 1


__all__ = ["assert_malformed_update_is_skipped", "content_without_quiet_hours", "count_rows", "start_bot", "start_staff_bot", "BotProcess"]
