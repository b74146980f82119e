"""``python -m bot broadcast`` end to end: preview, delivery through the emulator, final report;
``broadcast-history`` and bad input (unknown segment, empty file)."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from bot.clock import SystemClock
from bot.storage.db import Database
from bot.storage.models import User
from tests.e2e.botproc import ROOT, run_cli
from tests.support.emulator import BotApiEmulator

TOKEN = "123456:CLI-token"
pytestmark = pytest.mark.timeout(120)


async def seed(url: str, n: int) -> None:
    db = Database(url)
    await db.upgrade()
    now = SystemClock().now()
    async with db.session() as s:
        s.add_all([User(channel="telegram", external_id=str(5000 + i), chat_id=str(5000 + i), role="applicant",
                        language="zh", active=True, blocked=False, created_at=now, last_seen_at=now) for i in range(n)])
    await db.dispose()


async def test_cli_broadcast_previews_delivers_and_reports(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    await seed(url, 6)
    emu = BotApiEmulator(token=TOKEN)
    api = await emu.start()
    emu.faults.block(5003)
    text_file = tmp_path / "notice.txt"
    text_file.write_text("周五下午系统维护，暂停受理。\n", encoding="utf-8")
    env = {"DATABASE_URL": url, "BOT_TOKEN": TOKEN, "STAFF_IDS": ""}
    try:
        code, out = await run_cli("broadcast", "--segment", "all", "--text-file", str(text_file), "--yes", "--urgent",
                                  "--api-url", api, env=env)
        assert code == 0, out
        assert "收件人数：6 人" in out and "周五下午系统维护" in out
        assert "发送对象：全部用户" in out and "群发 #1 已写入发送队列（6 人）。" in out
        assert "共 6 人：已发送 5，已屏蔽机器人 1，失败 0，已取消 0" in out
        assert emu.faults.stats.total_deliveries == 5 and emu.faults.stats.duplicates == 0
        code, out = await run_cli("broadcast-history", env=env)
        assert code == 0 and "全部用户" in out and "done" in out
    finally:
        await emu.stop()


async def test_cli_broadcast_asks_and_a_no_sends_nothing(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    await seed(url, 2)
    text_file = tmp_path / "notice.txt"
    text_file.write_text("[重要] 周五 [b]系统维护[/b]", encoding="utf-8")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "broadcast", "--segment", "all", "--text-file", str(text_file), cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, "BOT_TOKEN": ""},
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    raw, _ = await proc.communicate(b"n\n")
    out = raw.decode()
    assert proc.returncode == 0, out
    assert "发送对象：全部用户" in out and "收件人数：2 人" in out
    assert "[重要] 周五 [b]系统维护[/b]" in out  # the notice prints as typed, not as rich markup
    assert "确认发送？" in out and "已取消，本次群发没有发送。" in out and "已写入发送队列" not in out
    code, out = await run_cli("broadcast-history", env={"DATABASE_URL": url})
    assert code == 0 and "全部用户" not in out


async def test_cli_broadcast_bad_input_is_one_clear_line(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    await seed(url, 1)
    env = {"DATABASE_URL": url, "BOT_TOKEN": ""}
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    code, out = await run_cli("broadcast", "--segment", "all", "--text-file", str(empty), "--yes", env=env)
    assert code != 0 and "error: the text file is empty" in out and "Traceback" not in out
    good = tmp_path / "t.txt"
    good.write_text("通知", encoding="utf-8")
    code, out = await run_cli("broadcast", "--segment", "everyone", "--text-file", str(good), "--yes", env=env)
    assert code != 0 and "error: segment must be" in out and "Traceback" not in out
    code, out = await run_cli("broadcast", "--segment", "level:教授", "--text-file", str(good), "--yes", env=env)
    assert code != 0 and "unknown level" in out
    code, out = await run_cli("broadcast", "--segment", "all", "--text-file", str(tmp_path / "nope.txt"), env=env)
    assert code != 0 and "cannot read" in out
