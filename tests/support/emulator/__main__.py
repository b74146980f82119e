"""Run the emulator on its own: ``python -m tests.support.emulator [--port N]``.

Prints ``EMULATOR_URL <url>`` on the first line, then serves until SIGTERM/SIGINT. Besides the Bot
API it serves a small control API (``/_emu/...``) so another process can play users and read results;
``tests.support.emulator.process.EmulatorProcess`` wraps it.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from aiohttp import web

from tests.support.emulator.server import BotApiEmulator


class ControlledEmulator(BotApiEmulator):
    """The emulator plus JSON control endpoints for out-of-process drivers."""

    def _extra_routes(self, app: web.Application) -> None:
        app.router.add_post("/_emu/send_text", self._c_send_text)
        app.router.add_post("/_emu/press", self._c_press)
        app.router.add_get("/_emu/messages", self._c_messages)
        app.router.add_post("/_emu/faults", self._c_faults)
        app.router.add_get("/_emu/stats", self._c_stats)

    async def _c_send_text(self, request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response(self.send_text(int(body["user"]), str(body["text"])))

    async def _c_press(self, request: web.Request) -> web.Response:
        body = await request.json()
        message = self.messages[(int(body["chat"]), int(body["message_id"]))]
        return web.json_response(self.press(int(body["user"]), message, str(body["data"])))

    async def _c_messages(self, request: web.Request) -> web.Response:
        return web.json_response(self.messages_to(int(request.query["chat"])))

    async def _c_faults(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("clear"):
            self.faults.clear()
        if body.get("reset_stats"):
            self.faults.reset_stats()
        for chat in body.get("block", []):
            self.faults.block(int(chat))
        if "flood" in body:
            self.faults.flood(**body["flood"])
        if "rate_limit" in body:
            self.faults.rate_limit(**body["rate_limit"])
        return web.json_response({"ok": True})

    async def _c_stats(self, request: web.Request) -> web.Response:
        stats = self.faults.stats
        return web.json_response({**stats.as_dict(), "per_chat": {str(k): v for k, v in stats.deliveries.items()}})


async def _main(host: str, port: int, honor_idempotency_key: bool) -> None:
    emu = ControlledEmulator(honor_idempotency_key=honor_idempotency_key)
    url = await emu.start(host, port)
    print(f"EMULATOR_URL {url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await emu.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--honor-idempotency-key", action="store_true",
                        help="answer a resend with a known X-Idempotency-Key from memory, as a deduplicating "
                             "proxy would (Telegram ignores the header)")
    args = parser.parse_args()
    asyncio.run(_main(args.host, args.port, args.honor_idempotency_key))
