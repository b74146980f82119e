"""One broadcast confirm form posted at the same moment to two console processes (two apps with
their own connection pools on one database, as two ``python -m bot console`` behind one proxy):
exactly one broadcast is created; both requests end on its progress page."""

from __future__ import annotations

import asyncio
import re

from aiohttp.test_utils import TestServer

from bot.console.server import ConsoleConfig, create_app
from bot.outbox.models import OutboxMessage
from bot.reminders.models import Broadcast
from tests.support.console_fixtures import ConsoleBrowser, confirm_form
from tests.support.helpers import make_app
from tests.support.outbox_fakes import make_users
from tests.support.status_helpers import count

TEXT = "各位申报人：请于本周内核对申报材料。"


async def test_two_processes_confirming_one_form_make_one_broadcast(
    backend, console_any_app, tmp_path, clock
):
    await make_users(console_any_app, 4, start=1100)
    other = await make_app(backend, tmp_path, clock=clock, schema=console_any_app.db.schema)
    servers = [
        TestServer(create_app(bot_app, ConsoleConfig()), host="127.0.0.1")
        for bot_app in (console_any_app, other)
    ]
    try:
        for server in servers:
            await server.start_server()
        async with ConsoleBrowser(servers[0]) as one, ConsoleBrowser(servers[1]) as two:
            await one.sign_in("clerk")
            await one.get("/broadcast")
            draft = {"kind": "all", "text": TEXT}
            form = confirm_form((await one.post("/broadcast/preview", draft)).body_text, draft)
            # the same browser (its session cookie and CSRF token) reaching the other process
            two.client.session.cookie_jar.update_cookies(
                {m.key: m.value for m in one.client.session.cookie_jar}, two.client.make_url("/")
            )
            two.csrf = one.csrf
            results = await asyncio.gather(*(browser.post("/broadcast/send", form) for browser in (one, two)))
        ids = {re.search(r"/broadcast/(\d+)$", str(r.url)).group(1) for r in results if r.status == 200}
        assert [r.status for r in results] == [200, 200] and len(ids) == 1
        assert await count(console_any_app, Broadcast) == 1
        assert await count(console_any_app, OutboxMessage) == 4
    finally:
        for server in servers:
            await server.close()
        await other.close()
