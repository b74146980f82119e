"""The console's broadcast pages over HTTP: compose, preview with recipients per channel, confirm,
progress counted from the outbox, cancel, history with sent / blocked / failed; bad drafts refused."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.console.models import ConsoleAudit
from bot.core.sending import PermanentFailure, RecipientBlocked
from bot.outbox.config import DeliveryConfig
from bot.outbox.models import OutboxMessage
from bot.outbox.worker import OutboxWorker
from bot.reminders.broadcast import BroadcastMonitor
from bot.reminders.models import Broadcast
from tests.support.console_fixtures import ConsoleBrowser
from tests.support.outbox_fakes import FakeSender, make_users
from tests.support.status_helpers import count, rows_of

TEXT = "各位申报人：请于本周内核对申报材料。"


def cells(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">([^<]*)<', page)
    assert found, element_id
    return found.group(1).strip()


async def test_preview_counts_per_channel_then_send_progress_and_history(console_app, console_server):
    tg = await make_users(console_app, 3, channel="telegram", start=100)
    await make_users(console_app, 2, channel="web", start=200)
    async with ConsoleBrowser(console_server) as browser:
        await browser.sign_in("clerk")
        await browser.get("/broadcast")
        preview = await browser.post("/broadcast/preview", {"kind": "all", "text": TEXT})
        assert preview.status == 200
        page = preview.body_text
        assert re.search(r'data-channel="telegram"><td>Telegram</td><td>3<', page)
        assert re.search(r'data-channel="web"><td>[^<]+</td><td>2<', page)
        assert cells(page, "recipients-total") == "5"
        assert await count(console_app, Broadcast) == 0  # a preview stores nothing
        sent = await browser.post("/broadcast/send", {"kind": "all", "text": TEXT})
        assert sent.status == 200 and re.search(r"/broadcast/\d+$", str(sent.url))
        (broadcast,) = await rows_of(console_app, Broadcast)
        assert broadcast.total == 5 and broadcast.source == "console" and broadcast.created_by is None
        assert 'hx-trigger="every 1s"' in sent.body_text and cells(sent.body_text, "broadcast-pct") == "0%"

        sender = FakeSender()
        sender.script[tg[0].chat_id] = [RecipientBlocked("blocked")]
        sender.script[tg[1].chat_id] = [PermanentFailure("chat not found")]
        web = FakeSender()
        web.channel = "web"
        worker = OutboxWorker(console_app.db, {"telegram": sender, "web": web}, console_app.services.clock,
                              DeliveryConfig(global_rate=1000, per_chat_interval=0, quiet_hours=None))
        await worker.drain()
        progress = await browser.get(f"/broadcast/{broadcast.id}/progress", headers={"HX-Request": "true"})
        page = progress.body_text
        assert cells(page, "broadcast-pct") == "100%" and "hx-trigger" not in page  # polling stops
        assert (cells(page, "fig-sent"), cells(page, "fig-blocked"), cells(page, "fig-failed")) == ("3", "1", "1")
        await BroadcastMonitor(console_app.db, console_app.services.clock, console_app.services.texts).tick()
        history = (await browser.get("/broadcast")).body_text
        row = re.search(rf'<tr data-id="{broadcast.id}">(.*?)</tr>', history, re.S).group(1)
        assert re.findall(r'class="(sent|blocked|failed)">(\d+)<', row) == [("sent", "3"), ("blocked", "1"), ("failed", "1")]
        assert "已完成" in row


async def test_cancel_stops_what_is_not_sent(console_app, console_server):
    await make_users(console_app, 4, start=300)
    async with ConsoleBrowser(console_server) as browser:
        await browser.sign_in("chief")
        await browser.get("/broadcast")
        sent = await browser.post("/broadcast/send", {"kind": "applicants", "text": TEXT})
        (broadcast,) = await rows_of(console_app, Broadcast)
        assert sent.status == 200
        cancelled = await browser.post(f"/broadcast/{broadcast.id}/cancel")
        assert cancelled.status == 200 and "已停止" in cancelled.body_text
    states = {m.state for m in await rows_of(console_app, OutboxMessage, OutboxMessage.broadcast_id == broadcast.id)}
    assert states == {"cancelled"}
    async with console_app.db.session() as session:
        audit = [(a.action, a.target) for a in (await session.execute(select(ConsoleAudit))).scalars()]
    assert ("broadcast_create", str(broadcast.id)) in audit and ("broadcast_cancel", str(broadcast.id)) in audit


async def test_bad_drafts_are_refused_on_the_page(console_app, console_server):
    await make_users(console_app, 1, start=400)
    async with ConsoleBrowser(console_server) as browser:
        await browser.sign_in("clerk")
        await browser.get("/broadcast")
        empty = await browser.post("/broadcast/preview", {"kind": "all", "text": "   "})
        assert empty.status == 400 and "请填写通知内容" in empty.body_text
        long = await browser.post("/broadcast/preview", {"kind": "all", "text": "长" * 3501})
        assert long.status == 400 and "3501" in long.body_text
        level = await browser.post("/broadcast/preview", {"kind": "level", "level": "nonsense", "text": TEXT})
        assert level.status == 400 and "请选择级别" in level.body_text
        nobody = await browser.post("/broadcast/send", {"kind": "hr", "text": TEXT})
        assert nobody.status == 400 and "没有可以接收通知的人" in nobody.body_text
        missing = await browser.get("/broadcast/999")
        assert missing.status == 404
    assert await count(console_app, Broadcast) == 0
