"""A Bot API outage: the unmodified bot process keeps retrying, answers once Telegram is back, logs no traceback.

Also a reply refused with 502 Bad Gateway is sent again (bounded), not dropped.

The emulator stops listening (connections refused, as when the network or api.telegram.org is down)
for several polling cycles and comes back on the same port. A message sent during the outage waits
on Telegram's side and must be answered after it, exactly once.
"""

from __future__ import annotations

import asyncio

import pytest
import pytest_asyncio

from tests.e2e.botproc import TOKEN
from tests.e2e.conftest import start_bot

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(180)]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot(emulator, framework, tmp_path_factory):
    proc = await start_bot(emulator, framework, tmp_path_factory.mktemp(f"outage-{framework}"))
    yield proc
    await proc.stop()


async def test_the_bot_rides_out_an_outage_and_answers_what_was_sent_meanwhile(bot, emulator, tg_user):
    assert await tg_user.say("/help")
    port = int(emulator.url.rsplit(":", 1)[1])
    polls_before = emulator.get_updates_calls
    await emulator.stop()
    tg_user.send_text("/menu")  # queued on "Telegram's" side while the bot cannot reach it
    await asyncio.sleep(4)  # several failed polls and back-offs
    await emulator.start(port=port)
    replies = await tg_user.replies(1, timeout=60)  # PTB and aiogram back off up to a few seconds
    assert "菜单" in replies[0]["text"] or replies[0].get("reply_markup")
    assert emulator.get_updates_calls > polls_before
    await asyncio.sleep(1)
    assert len([m for m in tg_user.all_messages() if m.get("from", {}).get("is_bot")]) == 2  # answered once


async def test_a_reply_refused_by_a_telegram_server_error_is_sent_again(bot, emulator, tg_user):
    emulator.faults.server_error(tg_user.id, times=2)
    replies = await tg_user.say("/help", timeout=20)  # two 502s, then the resend after 1 s + 3 s arrives
    assert "帮助" in replies[0]["text"] or "/start" in replies[0]["text"]
    await asyncio.sleep(0.5)
    assert len([m for m in tg_user.all_messages() if m.get("from", {}).get("is_bot")]) == 1


async def test_after_the_outage_the_bot_stops_cleanly_and_logged_one_line_per_failed_poll(bot, framework):
    assert await bot.stop() == 0
    log = bot.log_path.read_text(errors="replace")
    assert "Traceback" not in log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log  # request URLs in error lines are redacted
    failed_polls = [line for line in log.splitlines() if "fetch" in line and "updates" in line]
    assert failed_polls, "the outage was not logged"
    errors = [line for line in log.splitlines() if " ERROR " in line]
    if framework == "ptb":
        assert errors == []  # our error callback: one WARNING line per failed poll
    else:
        # aiogram's dispatcher logs each failed poll as one ERROR line of its own (no traceback)
        assert all("aiogram.dispatcher: Failed to fetch updates" in line for line in errors)
