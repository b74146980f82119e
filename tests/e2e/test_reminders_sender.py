"""``TelegramHttpSender`` against the emulator: escaping, buttons, long texts, edits, error mapping."""

from __future__ import annotations

import pytest
from aiohttp import web

from bot.channels.telegram_sender import TelegramHttpSender, error_for
from bot.core.messages import Button, Outbound
from bot.core.sending import PermanentFailure, RecipientBlocked, RetryLater, TransientFailure
from tests.support.emulator import BotApiEmulator

TOKEN = "123456:SENDER-token"


@pytest.fixture
async def emu():
    emulator = BotApiEmulator(token=TOKEN)
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def sender(emu):
    s = TelegramHttpSender(TOKEN, api_url=emu.url)
    yield s
    await s.close()


async def test_text_is_escaped_and_buttons_are_an_inline_keyboard(emu, sender):
    message = Outbound(text="<b>粗体</b> & 1 < 2", buttons=[[Button(text="订阅", data="sub:t:deadline")]])
    message_id = await sender.send("777", message)
    (sent,) = emu.messages_to(777)
    assert sent["text"] == "<b>粗体</b> & 1 < 2"  # shown literally: no markup was injected
    assert str(sent["message_id"]) == message_id
    assert sent["reply_markup"]["inline_keyboard"][0][0] == {"text": "订阅", "callback_data": "sub:t:deadline"}


async def test_long_text_is_split_and_edit_replaces_the_text(emu, sender):
    long = "\n\n".join(["段落" * 900] * 3)
    last = await sender.send("778", Outbound(text=long))
    assert len(emu.messages_to(778)) >= 2 and all(len(m["text"]) <= 4096 for m in emu.messages_to(778))
    await sender.edit("778", last, Outbound(text="进度：100%"))
    assert emu.messages_to(778)[-1]["text"] == "进度：100%"
    await sender.edit("778", last, Outbound(text="进度：100%"))  # "not modified" is not an error


async def test_403_and_429_map_onto_sender_errors(emu, sender):
    emu.faults.block(779)
    with pytest.raises(RecipientBlocked):
        await sender.send("779", Outbound(text="x"))
    emu.faults.flood(retry_after=3, chat_id=780)
    with pytest.raises(RetryLater) as info:
        await sender.send("780", Outbound(text="x"))
    assert info.value.retry_after == 3 and info.value.scope == "chat"


async def test_idempotency_key_makes_a_resend_a_replay_behind_a_deduplicating_proxy(emu, sender):
    emu.honor_idempotency_key = True  # a proxy in front of the Bot API; Telegram itself ignores the key
    await sender.send("781", Outbound(text="once"), idempotency_key="k1")
    await sender.send("781", Outbound(text="once"), idempotency_key="k1")
    assert len(emu.messages_to(781)) == 1 and emu.faults.stats.idempotent_replays == 1


async def test_without_a_deduplicating_proxy_a_resend_reaches_the_user_twice(emu, sender):
    await sender.send("782", Outbound(text="twice"), idempotency_key="k2")
    await sender.send("782", Outbound(text="twice"), idempotency_key="k2")
    assert len(emu.messages_to(782)) == 2 and emu.faults.stats.duplicates == 1


async def test_a_retry_after_a_later_part_failed_sends_only_the_rest(emu, sender):
    emu.faults.rate_limit(per_second=None, per_chat_per_second=1)  # the second part comes too soon
    long = "\n\n".join(["段落" * 900] * 3)  # two messages
    with pytest.raises(RetryLater):
        await sender.send("783", Outbound(text=long), idempotency_key="k3")
    assert len(emu.messages_to(783)) == 1
    emu.faults.clear()
    await sender.send("783", Outbound(text=long), idempotency_key="k3")  # the outbox's retry of the row
    sent = [m["text"] for m in emu.messages_to(783)]
    assert len(sent) == 2 and "".join(sent).replace("\n", "") == long.replace("\n", "")  # no part twice
    await sender.send("783", Outbound(text=long), idempotency_key="k4")  # another push: all of it
    assert len(emu.messages_to(783)) == 4


async def test_server_errors_and_unreachable_servers_are_transient():
    async def boom(request: web.Request) -> web.Response:
        return web.json_response({"ok": False, "error_code": 502, "description": "Bad Gateway"}, status=502)

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", boom)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with TelegramHttpSender(TOKEN, api_url=f"http://127.0.0.1:{port}") as s:
            with pytest.raises(TransientFailure):
                await s.send("1", Outbound(text="x"))
    finally:
        await runner.cleanup()
    async with TelegramHttpSender(TOKEN, api_url=f"http://127.0.0.1:{port}", timeout=2) as s:
        with pytest.raises(TransientFailure):  # nothing listens any more
            await s.send("1", Outbound(text="x"))


def test_error_mapping():
    assert isinstance(error_for(403, "Forbidden: bot was blocked by the user", {}), RecipientBlocked)
    flood = error_for(429, "Too Many Requests: retry after 5", {"retry_after": 5})
    assert isinstance(flood, RetryLater) and flood.retry_after == 5 and flood.scope == "chat"
    assert error_for(429, "Too Many Requests", {"retry_after": 2, "scope": "global"}).scope == "global"
    assert isinstance(error_for(400, "Bad Request: chat not found", {}), PermanentFailure)
    assert isinstance(error_for(500, "Internal Server Error", {}), TransientFailure)
    assert isinstance(error_for(429, "Too Many Requests", {"retry_after": "soon"}), RetryLater)
