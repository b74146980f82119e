"""Webhook mode (``python -m bot run --webhook-url``) for aiogram and PTB against the emulator.

The emulator POSTs updates to the bot's receiver with the secret-token header, as Telegram does.
"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
import pytest_asyncio

from tests.e2e.botproc import free_port
from tests.e2e.conftest import assert_malformed_update_is_skipped, start_bot
from tests.support.emulator import button_data

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(120)]

SECRET = "e2e-secret_0123456789"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot(emulator, framework, tmp_path_factory):
    port = free_port()
    url = f"http://127.0.0.1:{port}/tg/hook"
    proc = await start_bot(
        emulator, framework, tmp_path_factory.mktemp(f"hook-{framework}"), webhook_url=url,
        extra_env={"WEBHOOK_PORT": str(port), "WEBHOOK_LISTEN": "127.0.0.1", "WEBHOOK_SECRET": SECRET},
    )
    yield proc
    await proc.stop()


async def test_webhook_is_registered_with_the_secret(bot, emulator):
    assert emulator.webhook.url == bot.webhook_url
    assert emulator.webhook.secret_token == SECRET
    assert emulator.get_updates_calls == 0  # no polling in webhook mode


async def test_start_and_a_button_work_over_the_webhook(bot, emulator, tg_user):
    _, menu = await tg_user.say("/start", expect=2, timeout=15)
    assert len(button_data(menu)) == 5
    answer = await tg_user.press(menu, button_data(menu)["帮助"])
    assert answer["text"] in (None, "")
    (reply,) = await tg_user.replies(1)
    assert "使用帮助" in reply["text"]


@pytest.mark.parametrize("header", [None, "wrong-secret"])
async def test_a_wrong_or_missing_secret_is_refused(bot, emulator, tg_user, header):
    update = {"update_id": 999_000 + tg_user.id, "message": {
        "message_id": 1, "date": 0, "chat": {"id": tg_user.id, "type": "private"},
        "from": {"id": tg_user.id, "is_bot": False, "first_name": "x"}, "text": "/help"}}
    headers = {} if header is None else {"X-Telegram-Bot-Api-Secret-Token": header}
    async with aiohttp.ClientSession() as http, http.post(bot.webhook_url, json=update, headers=headers) as resp:
        assert resp.status == 403
    await asyncio.sleep(0.3)
    assert tg_user.all_messages() == []  # nothing was processed


async def test_a_redelivered_webhook_update_is_processed_once(bot, emulator, tg_user):
    update = emulator.send_text(tg_user.id, "/help")
    emulator.redeliver(update)
    (first,) = await tg_user.replies(1)
    (marker,) = await tg_user.say("/menu")
    await asyncio.sleep(0.3)
    assert [m["text"] for m in tg_user.all_messages()] == [first["text"], marker["text"]]


async def test_a_malformed_update_is_skipped_with_one_line_and_later_updates_are_answered(bot, emulator, tg_user):
    await assert_malformed_update_is_skipped(bot, emulator, tg_user)
