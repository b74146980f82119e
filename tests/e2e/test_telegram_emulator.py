"""The Bot API emulator itself: Bot API shapes, long polling, webhook delivery and fault injection."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest
from aiohttp import web

from tests.support.emulator import BLOCKED_DESCRIPTION, BotApiEmulator
from tests.support.emulator.process import EmulatorProcess

TOKEN = "123456:TEST"


@pytest.fixture
async def emu():
    emulator = BotApiEmulator()
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def call(http, emu, method: str, status: int = 200, **params):
    async with http.post(f"{emu.url}/bot{TOKEN}/{method}", json=params) as resp:
        body = await resp.json()
        assert resp.status == status, body
        return body


async def test_get_me_is_a_bot(emu, http):
    body = await call(http, emu, "getMe")
    assert body["ok"] is True and body["result"]["is_bot"] is True


async def test_unknown_method_answers_bot_api_404(emu, http):
    body = await call(http, emu, "sendTeleport", status=404)
    assert body == {"ok": False, "error_code": 404, "description": "Not Found: method not found"}


async def test_long_polling_returns_as_soon_as_an_update_arrives(emu, http):
    async def later():
        await asyncio.sleep(0.2)
        emu.send_text(5, "hi")

    asyncio.get_running_loop().create_task(later())
    started = time.monotonic()
    body = await call(http, emu, "getUpdates", timeout=5)
    assert 0.15 < time.monotonic() - started < 2
    (update,) = body["result"]
    assert update["message"]["text"] == "hi"
    assert update["message"]["chat"]["type"] == "private" and isinstance(update["message"]["date"], int)


async def test_long_polling_times_out_empty_and_offset_confirms(emu, http):
    started = time.monotonic()
    assert (await call(http, emu, "getUpdates", timeout=0.3))["result"] == []
    assert time.monotonic() - started >= 0.25
    first = emu.send_text(5, "a")
    emu.send_text(5, "b")
    got = (await call(http, emu, "getUpdates", timeout=0))["result"]
    assert [u["message"]["text"] for u in got] == ["a", "b"]
    again = (await call(http, emu, "getUpdates", offset=first["update_id"] + 1))["result"]
    assert [u["message"]["text"] for u in again] == ["b"]


async def test_callback_updates_carry_chat_instance(emu, http):
    sent = (await call(http, emu, "sendMessage", chat_id=5, text="pick",
                       reply_markup={"inline_keyboard": [[{"text": "A", "callback_data": "x:1"}]]}))["result"]
    emu.press(5, sent, "x:1")
    (update,) = (await call(http, emu, "getUpdates"))["result"]
    query = update["callback_query"]
    assert query["chat_instance"] and query["data"] == "x:1" and query["message"]["message_id"] == sent["message_id"]
    await call(http, emu, "answerCallbackQuery", callback_query_id=query["id"], text="ok")
    assert emu.callback_answers[query["id"]]["text"] == "ok"


async def test_html_is_checked_like_telegram(emu, http):
    body = await call(http, emu, "sendMessage", status=400, chat_id=5, text="a < b", parse_mode="HTML")
    assert "can't parse entities" in body["description"]
    ok = await call(http, emu, "sendMessage", chat_id=5, text="a &lt; <b>b</b>", parse_mode="HTML")
    assert ok["result"]["text"] == "a < b"
    too_long = await call(http, emu, "sendMessage", status=400, chat_id=5, text="x" * 4097)
    assert "too long" in too_long["description"]


async def test_edit_message_text_and_not_modified(emu, http):
    sent = (await call(http, emu, "sendMessage", chat_id=5, text="one"))["result"]
    await call(http, emu, "editMessageText", chat_id=5, message_id=sent["message_id"], text="two")
    assert emu.messages_to(5)[0]["text"] == "two"
    body = await call(http, emu, "editMessageText", status=400, chat_id=5, message_id=sent["message_id"], text="two")
    assert "not modified" in body["description"]


async def test_block_answers_403_for_that_chat_only(emu, http):
    emu.faults.block(7)
    body = await call(http, emu, "sendMessage", status=403, chat_id=7, text="x")
    assert body["description"] == BLOCKED_DESCRIPTION
    await call(http, emu, "sendMessage", chat_id=8, text="x")
    assert emu.faults.stats.forbidden == 1
    assert emu.faults.stats.deliveries == {8: 1}


async def test_flood_answers_429_with_retry_after_per_chat_or_global(emu, http):
    emu.faults.flood(retry_after=3, chat_id=7, times=2)
    for _ in range(2):
        body = await call(http, emu, "sendMessage", status=429, chat_id=7, text="x")
        assert body["parameters"]["retry_after"] == 3
    await call(http, emu, "sendMessage", chat_id=7, text="y")  # the flood is over
    emu.faults.flood(retry_after=1)
    await call(http, emu, "sendMessage", status=429, chat_id=9, text="z")
    assert emu.faults.stats.too_many_requests == 3


async def test_rate_cap_per_chat_and_overall(emu, http):
    emu.faults.rate_limit(per_second=3, per_chat_per_second=1)
    await call(http, emu, "sendMessage", chat_id=1, text="a")
    body = await call(http, emu, "sendMessage", status=429, chat_id=1, text="b")
    assert body["parameters"]["retry_after"] == 1
    await call(http, emu, "sendMessage", chat_id=2, text="a")
    await call(http, emu, "sendMessage", chat_id=3, text="a")
    await call(http, emu, "sendMessage", status=429, chat_id=4, text="a")  # 3 per second overall
    assert emu.faults.stats.too_many_requests == 2
    assert emu.faults.stats.too_many_requests_by_chat == {1: 1, 4: 1}
    emu.faults.clear()
    await call(http, emu, "sendMessage", chat_id=1, text="c")


async def test_duplicates_and_idempotency_keys_are_counted(emu, http):
    await call(http, emu, "sendMessage", chat_id=1, text="same")
    await call(http, emu, "sendMessage", chat_id=1, text="same")
    await call(http, emu, "sendMessage", chat_id=2, text="same")
    assert emu.faults.stats.duplicates == 1
    emu.honor_idempotency_key = True  # as a deduplicating proxy would (Telegram ignores the header)
    headers = {"X-Idempotency-Key": "row-1"}
    results = []
    for _ in range(2):
        async with http.post(f"{emu.url}/bot{TOKEN}/sendMessage", json={"chat_id": 3, "text": "once"},
                             headers=headers) as resp:
            results.append((await resp.json())["result"]["message_id"])
    assert results[0] == results[1]
    assert emu.faults.stats.deliveries[3] == 1 and emu.faults.stats.idempotent_replays == 1


async def test_document_upload_get_file_and_download(emu, http):
    form = aiohttp.FormData()
    form.add_field("chat_id", "5")
    form.add_field("document", b"col\n1\n", filename="r.csv")
    async with http.post(f"{emu.url}/bot{TOKEN}/sendDocument", data=form) as resp:
        assert resp.status == 200
    assert emu.documents_sent[0]["content"] == b"col\n1\n"
    update = emu.send_document(5, b"PK\x03\x04xlsx", "list.xlsx")
    file_id = update["message"]["document"]["file_id"]
    info = (await call(http, emu, "getFile", file_id=file_id))["result"]
    async with http.get(f"{emu.url}/file/bot{TOKEN}/{info['file_path']}") as resp:
        assert await resp.read() == b"PK\x03\x04xlsx"


async def test_form_encoded_parameters_with_json_values(emu, http):
    data = {"chat_id": "5", "text": "k", "reply_markup": json.dumps({"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]})}
    async with http.post(f"{emu.url}/bot{TOKEN}/sendMessage", data=data) as resp:
        assert resp.status == 200
    assert emu.messages_to(5)[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"
    bad = {"chat_id": "5", "text": "k", "reply_markup": json.dumps({"inline_keyboard": [[{"text": "A", "callback_data": "x" * 65}]]})}
    async with http.post(f"{emu.url}/bot{TOKEN}/sendMessage", data=bad) as resp:
        assert resp.status == 400


async def test_webhook_failures_are_recorded_and_retried_then_delivered(emu, http, unused_tcp_port):
    received: list[tuple[dict, str | None]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        return web.Response(text="ok")

    emu.webhook_retry_delay = 0.05
    url = f"http://127.0.0.1:{unused_tcp_port}/hook"
    await call(http, emu, "setWebhook", url=url, secret_token="s3cret")
    emu.send_text(5, "while down")
    await emu.wait_for(lambda: emu.webhook.last_error_message, timeout=5)  # nobody listens yet
    info = (await call(http, emu, "getWebhookInfo"))["result"]
    assert info["pending_update_count"] == 1 and "Connection failed" in info["last_error_message"]
    assert (await call(http, emu, "getUpdates", status=409))["ok"] is False

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", unused_tcp_port).start()
    try:
        await emu.wait_for(lambda: received, timeout=5)
        update, secret = received[0]
        assert update["message"]["text"] == "while down" and secret == "s3cret"
        await emu.wait_for(lambda: emu.pending_updates == 0, timeout=5)
    finally:
        await runner.cleanup()


async def test_emulator_runs_as_a_subprocess_with_a_control_api(http):
    with EmulatorProcess() as proc:
        async with http.post(f"{proc.url}/_emu/send_text", json={"user": 5, "text": "hi"}) as resp:
            assert resp.status == 200
        async with http.post(f"{proc.url}/bot{TOKEN}/getUpdates", json={}) as resp:
            (update,) = (await resp.json())["result"]
        assert update["message"]["text"] == "hi"
        async with http.post(f"{proc.url}/bot{TOKEN}/sendMessage", json={"chat_id": 5, "text": "yo"}):
            pass
        async with http.get(f"{proc.url}/_emu/messages", params={"chat": "5"}) as resp:
            assert [m["text"] for m in await resp.json()] == ["yo"]
        async with http.get(f"{proc.url}/_emu/stats") as resp:
            assert (await resp.json())["deliveries"] == 1
