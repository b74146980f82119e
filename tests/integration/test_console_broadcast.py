"""The console's broadcast pages over HTTP: compose, preview with recipients per channel and language, confirm,
progress counted from the outbox, cancel, history with sent / blocked / failed; bad drafts refused; an
English version reaches English readers, and without one they get the Chinese text under the English note."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from bot.console.models import ConsoleAudit
from bot.core.sending import PermanentFailure, RecipientBlocked
from bot.outbox.config import DeliveryConfig
from bot.outbox.models import OutboxMessage
from bot.outbox.worker import OutboxWorker
from bot.reminders.broadcast import BroadcastMonitor
from bot.reminders.models import Broadcast
from tests.support.console_fixtures import ConsoleBrowser, confirm_form
from tests.support.outbox_fakes import FakeSender, bind_users, make_users
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
        compose = (await browser.get("/broadcast")).body_text
        # each group says who it reaches, as the chat's /broadcast does
        assert "已绑定申报的申报人 <span class=\"hint\">（用 /bind 绑定了申报编号的人）</span>" in compose
        preview = await browser.post("/broadcast/preview", {"kind": "all", "text": TEXT})
        assert preview.status == 200
        page = preview.body_text
        assert re.search(r'data-channel="telegram"><td>Telegram</td><td>3<', page)
        assert re.search(r'data-channel="web"><td>[^<]+</td><td>2<', page)
        assert cells(page, "recipients-total") == "5"
        assert await count(console_app, Broadcast) == 0  # a preview stores nothing
        sent = await browser.post("/broadcast/send", confirm_form(page, {"kind": "all", "text": TEXT}))
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


async def sign_in_and_send(browser: ConsoleBrowser, login: str, draft: dict[str, str]):  # noqa: ANN201
    """Sign in, open the form, preview the draft and confirm it: the progress page."""
    await browser.sign_in(login)
    await browser.get("/broadcast")
    preview = await browser.post("/broadcast/preview", draft)
    return await browser.post("/broadcast/send", confirm_form(preview.body_text, draft))


async def test_cancel_stops_what_is_not_sent(console_app, console_server):
    await bind_users(console_app, await make_users(console_app, 4, start=300))
    async with ConsoleBrowser(console_server) as browser:
        sent = await sign_in_and_send(browser, "chief", {"kind": "applicants", "text": TEXT})
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
        preview = await browser.post("/broadcast/preview", {"kind": "hr", "text": TEXT})
        nobody = await browser.post("/broadcast/send", confirm_form(preview.body_text, {"kind": "hr", "text": TEXT}))
        assert nobody.status == 400 and "没有可以接收通知的人" in nobody.body_text
        missing = await browser.get("/broadcast/999")
        assert missing.status == 404
    assert await count(console_app, Broadcast) == 0


TEXT_EN = "Dear applicants: please check your application documents this week."


def block(page: str, element_id: str) -> str:
    """The text of an element with no child elements (a message preview, a hint), unescaped."""
    found = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', page)
    assert found, element_id
    return html.unescape(found.group(1))


def language_counts(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-language="(\w+)"><td>[^<]+</td><td>(\d+)<', page))


async def outbox_texts(app, broadcast_id: int) -> dict[str, str]:
    """Each recipient's delivered text, by chat id."""
    rows = await rows_of(app, OutboxMessage, OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.kind == "broadcast")
    return {row.chat_id: row.payload["text"] for row in rows}


async def test_english_version_reaches_english_readers_and_chinese_readers_get_chinese(console_app, console_server):
    zh = await make_users(console_app, 2, channel="telegram", start=500)
    en_tg = await make_users(console_app, 1, channel="telegram", start=600, language="en")
    en_web = await make_users(console_app, 2, channel="web", start=700, language="en")
    form = {"kind": "all", "text": TEXT, "text_en": f"  {TEXT_EN}\u200b\r\n"}  # cleaned like the Chinese text
    async with ConsoleBrowser(console_server) as browser:
        await browser.sign_in("clerk")
        await browser.get("/broadcast")
        preview = await browser.post("/broadcast/preview", form)
        page = preview.body_text
        assert preview.status == 200
        assert language_counts(page) == {"zh": "2", "en": "3"}
        assert re.search(r'data-channel="telegram"><td>Telegram</td><td>3<', page) and cells(page, "recipients-total") == "5"
        assert block(page, "preview-zh") == TEXT and block(page, "preview-en") == TEXT_EN
        assert 'id="preview-no-english"' not in page
        sent = await browser.post("/broadcast/send", confirm_form(page, form))
        assert sent.status == 200
        (broadcast,) = await rows_of(console_app, Broadcast)
        assert broadcast.text_en == TEXT_EN and broadcast.total == 5
        assert f"<h1>群发 #{broadcast.id}</h1>" in sent.body_text
        assert block(sent.body_text, "text-en") == TEXT_EN and 'id="no-english"' not in sent.body_text
        history = (await browser.get("/broadcast")).body_text
        row = re.search(rf'<tr data-id="{broadcast.id}">(.*?)</tr>', history, re.S).group(1)
        assert re.search(r'class="english">有<', row)
    delivered = await outbox_texts(console_app, broadcast.id)
    assert {chat: delivered[chat] for chat in ("500", "501")} == {"500": TEXT, "501": TEXT}
    assert {delivered[u.chat_id] for u in [*en_tg, *en_web]} == {TEXT_EN}
    assert len(delivered) == len(zh) + 3
    async with console_app.db.session() as session:
        (audit,) = (await session.execute(select(ConsoleAudit).where(ConsoleAudit.action == "broadcast_create"))).scalars()
    assert audit.details["english"] is True


async def test_without_english_version_english_readers_get_the_note_over_the_chinese(console_app, console_server):
    (writer,) = await make_users(console_app, 1, start=800)
    (reader,) = await make_users(console_app, 1, start=900, language="en")
    await make_users(console_app, 1, start=990)  # said hello, bound nothing: no applicant
    await bind_users(console_app, [writer, reader])
    note = console_app.services.texts.get("reminders.broadcast.english_note", "en")
    async with ConsoleBrowser(console_server) as browser:
        await browser.sign_in("clerk")
        await browser.get("/broadcast")
        preview = await browser.post("/broadcast/preview", {"kind": "applicants", "text": TEXT, "text_en": " \n "})
        page = preview.body_text
        assert language_counts(page) == {"zh": "1", "en": "1"}
        assert "没有写英文版" in block(page, "preview-no-english")
        assert block(page, "preview-en") == f"{note}\n{TEXT}"  # exactly what the English reader will get
        sent = await browser.post("/broadcast/send", confirm_form(page, {"kind": "applicants", "text": TEXT}))
        (broadcast,) = await rows_of(console_app, Broadcast)
        assert broadcast.text_en is None
        assert 'id="text-en"' not in sent.body_text and "没有英文版" in block(sent.body_text, "no-english")
        history = (await browser.get("/broadcast")).body_text
        assert re.search(rf'<tr data-id="{broadcast.id}">.*?class="english">无<', history, re.S)
    delivered = await outbox_texts(console_app, broadcast.id)
    assert delivered["800"] == TEXT
    assert delivered[reader.chat_id] == f"{note}\n{TEXT}" and note.startswith("Notice from the committee office")


async def test_english_version_with_no_english_reader_is_flagged_and_too_long_refused(console_app, console_server):
    await make_users(console_app, 2, start=950)
    async with ConsoleBrowser(console_server) as browser:
        await browser.sign_in("clerk")
        await browser.get("/broadcast")
        preview = await browser.post("/broadcast/preview", {"kind": "all", "text": TEXT, "text_en": TEXT_EN})
        assert language_counts(preview.body_text) == {"zh": "2", "en": "0"}
        assert "不会发出" in block(preview.body_text, "preview-english-unused")
        long = await browser.post("/broadcast/preview", {"kind": "all", "text": TEXT, "text_en": "e" * 3501})
        assert long.status == 400 and "英文版有 3501 个字符" in long.body_text
        assert "e" * 3501 in long.body_text  # the form keeps what was written
        too_long = {"kind": "all", "text": TEXT, "text_en": "e" * 3501}
        refused = await browser.post("/broadcast/send", confirm_form(preview.body_text, too_long))
        assert refused.status == 400
    assert await count(console_app, Broadcast) == 0


async def test_a_confirm_form_submitted_twice_sends_once(console_app, console_server):
    """A double click or a browser retry posts the same confirm form again: the second lands on the
    first broadcast's progress page, and every recipient has one outbox row."""
    await make_users(console_app, 3, start=1000)
    draft = {"kind": "all", "text": TEXT}
    async with ConsoleBrowser(console_server) as browser:
        await browser.sign_in("clerk")
        await browser.get("/broadcast")
        form = confirm_form((await browser.post("/broadcast/preview", draft)).body_text, draft)
        first = await browser.post("/broadcast/send", form)
        again = await browser.post("/broadcast/send", form)
        assert first.status == again.status == 200
        assert str(first.url) == str(again.url) and re.search(r"/broadcast/\d+$", str(again.url))
        stale = await browser.post("/broadcast/send", draft)  # a form without its one-time key
        assert stale.status == 400 and "重新预览" in stale.body_text
        (broadcast,) = await rows_of(console_app, Broadcast)
        assert await count(console_app, OutboxMessage) == broadcast.total == 3
        fresh = confirm_form((await browser.post("/broadcast/preview", draft)).body_text, draft)
        assert fresh["confirm_key"] != form["confirm_key"]  # a new preview may send the same text again
        await browser.post("/broadcast/send", fresh)
    assert await count(console_app, Broadcast) == 2
    async with console_app.db.session() as session:
        creates = (await session.execute(select(ConsoleAudit).where(ConsoleAudit.action == "broadcast_create"))).scalars()
        assert len(list(creates)) == 2


async def test_quiet_hours_are_named_on_the_preview_and_the_progress_of_a_held_broadcast(console_app, console_server, clock):
    """At 23:30 in Qingdao a non-urgent broadcast waits for 08:00: the preview says so before
    confirming and the progress page says the waiting rows are held, not stuck; an urgent one and a
    broadcast in the daytime get no such note."""
    from datetime import datetime

    from bot.clock import LOCAL_TZ

    await make_users(console_app, 2, start=700)
    clock.set(datetime(2024, 7, 10, 23, 30, tzinfo=LOCAL_TZ))
    async with ConsoleBrowser(console_server) as browser:
        await browser.sign_in("clerk")
        await browser.get("/broadcast")
        draft = {"kind": "all", "text": TEXT}
        preview = await browser.post("/broadcast/preview", draft)
        note = cells(preview.body_text, "preview-quiet")
        assert "22:00–08:00" in note and "紧急通知" in note
        urgent = await browser.post("/broadcast/preview", draft | {"urgent": "1"})
        assert 'id="preview-quiet"' not in urgent.body_text
        sent = await browser.post("/broadcast/send", confirm_form(preview.body_text, draft))
        assert sent.status == 200 and "22:00–08:00" in cells(sent.body_text, "broadcast-quiet")
        (broadcast,) = await rows_of(console_app, Broadcast)
        fragment = await browser.get(f"/broadcast/{broadcast.id}/progress", headers={"HX-Request": "true"})
        assert 'id="broadcast-quiet"' in fragment.body_text
        # nothing moves before 08:00: no polling all night (it would keep the session from timing out)
        assert "hx-trigger" not in sent.body_text and "nojs-refresh" not in sent.body_text
        assert "页面会自动更新" not in sent.body_text  # it does not, until quiet hours end
        clock.set(datetime(2024, 7, 11, 8, 0, tzinfo=LOCAL_TZ))  # quiet hours are over
        await browser.sign_in("clerk")  # the night was longer than the idle timeout
        day = await browser.get(f"/broadcast/{broadcast.id}")
        assert day.status == 200 and "群发 #" in day.body_text and 'id="broadcast-quiet"' not in day.body_text
        assert 'hx-trigger="every 1s"' in day.body_text and "nojs-refresh" in day.body_text
        assert "页面会自动更新" in day.body_text
        await browser.get("/broadcast")
        daytime = await browser.post("/broadcast/preview", draft)
        assert 'id="preview-quiet"' not in daytime.body_text


async def test_the_progress_page_reloads_itself_without_script_while_the_broadcast_runs(console_app, console_server):
    """The figures poll through htmx; without script the page says it updates itself, so it must:
    a <noscript> refresh while rows are waiting, none once all are settled."""
    await make_users(console_app, 2, start=800)
    async with ConsoleBrowser(console_server) as browser:
        sent = await sign_in_and_send(browser, "clerk", {"kind": "all", "text": TEXT})
        assert re.search(r'<noscript><meta http-equiv="refresh" content="\d+" id="nojs-refresh"></noscript>', sent.body_text)
        assert sent.body_text.index("nojs-refresh") < sent.body_text.index("</head>")
        (broadcast,) = await rows_of(console_app, Broadcast)
        web = FakeSender()
        web.channel = "web"
        worker = OutboxWorker(console_app.db, {"telegram": FakeSender(), "web": web}, console_app.services.clock,
                              DeliveryConfig(global_rate=1000, per_chat_interval=0, quiet_hours=None))
        await worker.drain()
        done = await browser.get(f"/broadcast/{broadcast.id}")
        assert "100%" in done.body_text and "nojs-refresh" not in done.body_text
