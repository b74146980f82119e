"""PTB over aiohttp (``bot.channels.ptb_request``): what goes on the wire, and failures as PTB's own errors.

A small aiohttp server on 127.0.0.1 stands in for the Bot API and records what it was sent.
"""

from __future__ import annotations

import asyncio
import json
import socket
from types import SimpleNamespace

import pytest
from aiohttp import web

pytestmark = pytest.mark.timeout(60)

MESSAGE = {"message_id": 3, "date": 0, "chat": {"id": 7, "type": "private"}, "text": "x"}


class FakeBotApi:
    """Answers every method; ``/slow`` never answers in time, ``sendMessage`` to chat 429/403 refuses."""

    def __init__(self) -> None:
        self.seen: list[dict] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        method = request.path.rsplit("/", 1)[-1]
        record: dict = {"method": method, "content_type": request.content_type}
        if request.content_type == "multipart/form-data":
            form = await request.post()
            record["fields"] = {k: v for k, v in form.items() if isinstance(v, str)}
            record["files"] = {k: (v.filename, v.file.read()) for k, v in form.items() if not isinstance(v, str)}
        else:
            record["raw"] = await request.read()
            record["json"] = json.loads(record["raw"]) if record["raw"] else None
        self.seen.append(record)
        if method == "slow":
            await asyncio.sleep(1)
        chat = (record.get("json") or {}).get("chat_id")
        if chat == 429:
            return web.json_response({"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 7",
                                      "parameters": {"retry_after": 7}}, status=429)
        if chat == 403:
            return web.json_response({"ok": False, "error_code": 403,
                                      "description": "Forbidden: bot was blocked by the user"}, status=403)
        return web.json_response({"ok": True, "result": MESSAGE})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


@pytest.fixture
async def api():
    server = FakeBotApi()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def request_():
    from bot.channels.ptb_request import AiohttpRequest

    request = AiohttpRequest(connection_pool_size=2)
    await request.initialize()
    yield request
    await request.shutdown()


def _data(**params):
    from telegram.request import RequestData
    from telegram.request._requestparameter import RequestParameter

    return RequestData([RequestParameter.from_input(k, v) for k, v in params.items()])


async def test_a_call_goes_out_as_json_with_chinese_unescaped(api, request_):
    markup = {"inline_keyboard": [[{"text": "👍 有帮助", "callback_data": "kb:up:x"}]]}
    status, body = await request_.do_request(f"{api.url}/bot1:a/sendMessage", "POST",
                                             _data(chat_id=7, text="评审费360元", reply_markup=markup))
    assert status == 200 and json.loads(body)["result"] == MESSAGE
    sent = api.seen[-1]
    assert sent["content_type"] == "application/json"
    assert sent["json"] == {"chat_id": 7, "text": "评审费360元", "reply_markup": markup}
    assert "评审费".encode() in sent["raw"]  # one UTF-8 byte per byte, not %-escapes or \\u escapes


async def test_an_upload_goes_out_as_multipart_with_its_other_parameters(api, request_):
    from telegram import InputFile

    status, _ = await request_.do_request(f"{api.url}/bot1:a/sendDocument", "POST",
                                          _data(chat_id=7, caption="导出", document=InputFile(b"a,b\n1,2", filename="申报进度.csv")))
    assert status == 200
    sent = api.seen[-1]
    assert sent["content_type"] == "multipart/form-data"
    assert sent["fields"] == {"chat_id": "7", "caption": "导出"}
    assert sent["files"] == {"document": ("申报进度.csv", b"a,b\n1,2")}  # a Chinese file name arrives intact


async def test_a_call_without_parameters_and_a_get(api, request_):
    assert (await request_.do_request(f"{api.url}/bot1:a/getMe", "POST"))[0] == 200
    assert api.seen[-1]["json"] is None
    assert await request_.retrieve(f"{api.url}/file/bot1:a/doc.csv")  # PTB's file download path
    assert api.seen[-1]["method"] == "doc.csv"


async def test_a_slow_answer_is_ptbs_timed_out(api, request_):
    from telegram.error import TimedOut

    with pytest.raises(TimedOut):
        await request_.do_request(f"{api.url}/bot1:a/slow", "POST", _data(chat_id=7), read_timeout=0.2)


async def test_an_unreachable_server_is_ptbs_network_error(request_):
    from telegram.error import NetworkError

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(NetworkError) as caught:
        await request_.do_request(f"http://127.0.0.1:{port}/bot1:a/getMe", "POST")
    assert "aiohttp." in str(caught.value)


async def test_use_before_initialize_is_refused_and_shutdown_can_repeat():
    from bot.channels.ptb_request import AiohttpRequest

    request = AiohttpRequest()
    with pytest.raises(RuntimeError):
        await request.do_request("http://127.0.0.1:9/x", "POST")
    await request.initialize()
    await request.shutdown()
    await request.shutdown()
    await request.initialize()  # PTB may initialize again after a shutdown
    await request.shutdown()


async def test_ptb_turns_refusals_into_its_errors_and_the_adapter_classifies_them(api, request_):
    from telegram.error import Forbidden, RetryAfter
    from telegram.ext import ExtBot

    from bot.channels.ptb_adapter import classify

    bot = ExtBot("1:a", base_url=f"{api.url}/bot", request=request_)
    with pytest.raises(RetryAfter) as limited:
        await bot.send_message(429, "x")
    assert classify(limited.value).kind == "retry" and classify(limited.value).retry_after == 7.0
    with pytest.raises(Forbidden) as blocked:
        await bot.send_message(403, "x")
    assert classify(blocked.value).kind == "blocked"


async def test_the_adapter_sends_the_cores_keyboard_unchanged_and_none_when_there_is_none(api, request_):
    from telegram.ext import ExtBot

    from bot.channels.ptb_adapter import PtbChannel
    from bot.channels.telegram_common import EditText, SendText

    channel = PtbChannel.__new__(PtbChannel)  # only perform() is exercised: no App, no Application
    channel.application = SimpleNamespace(bot=ExtBot("1:a", base_url=f"{api.url}/bot", request=request_))
    keyboard = {"inline_keyboard": [[{"text": "👍 有帮助", "callback_data": "kb:up:x"}], [{"text": "菜单", "callback_data": "m"}]]}
    await channel.perform(SendText(chat_id=7, text="评审费<b>360</b>元", reply_markup=keyboard))
    await channel.perform(EditText(chat_id=7, message_id=3, text="已更新", reply_markup=keyboard))
    await channel.perform(SendText(chat_id=7, text="没有按钮"))
    sent = [r["json"] for r in api.seen]
    assert sent[0] == {"chat_id": 7, "text": "评审费<b>360</b>元", "parse_mode": "HTML", "reply_markup": keyboard}
    assert sent[1]["reply_markup"] == keyboard and sent[1]["message_id"] == 3
    assert "reply_markup" not in sent[2] and sent[2]["text"] == "没有按钮"


async def test_a_proxy_from_the_environment_is_used_unless_no_proxy_names_the_host(api, monkeypatch):
    from bot.channels.ptb_request import AiohttpRequest

    monkeypatch.setenv("HTTP_PROXY", api.url)  # the fake API doubles as the proxy: it sees proxied calls
    monkeypatch.setenv("NO_PROXY", "direct.invalid")
    request = AiohttpRequest()
    await request.initialize()
    try:
        status, _ = await request.do_request("http://api.telegram.invalid/bot1:a/getMe", "POST")
        assert status == 200 and api.seen[-1]["method"] == "getMe"  # reached only through the proxy
        assert request._proxy_for("http://direct.invalid/bot1:a/getMe") is None
        assert request._proxy_for("https://api.telegram.org/bot1:a/getMe") is None  # no HTTPS_PROXY set
    finally:
        await request.shutdown()
