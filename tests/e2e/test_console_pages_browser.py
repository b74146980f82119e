"""Import, broadcast and knowledge pages in headless Chromium (the phase-1 helpers of
``tests/test_console_browser.py``), with 1280×800 screenshots in ``test-output/console/``.

- import: a file with one bad row → the report, nothing applied; "apply the good rows" → the
  applications are stored and the bound applicant's notice is queued;
- broadcast: compose with an English version, preview (recipients by channel and by language, both
  texts), confirm; delivered through the Bot API emulator by the outbox worker (English to the English
  reader), the progress page updates itself to 100 %, the history shows the figures; without an English
  version the preview shows the note over the Chinese text;
- knowledge: a candidate accepted, content reloaded, and the same question answered directly by a
  running bot (another app on the same database).
"""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import expect

from bot.channels.telegram_sender import TelegramHttpSender
from bot.knowledge.reload import ContentReloader
from bot.outbox.config import DeliveryConfig
from bot.outbox.models import OutboxMessage
from bot.outbox.worker import OutboxWorker
from bot.status.importer import Importer
from bot.status.models import Application
from tests.e2e.test_console_browser import new_page, pytestmark, shot, sign_in  # noqa: F401
from tests.support.console_fixtures import console_and_bot
from tests.support.emulator import BotApiEmulator
from tests.support.helpers import ChatUser, copy_content
from tests.support.outbox_fakes import bind_users, make_users
from tests.support.status_helpers import csv_bytes, row, rows_of, xlsx_bytes

NUMBER = "SD2024-000001"
TOKEN = "123456:console-browser"
TEXT_ZH = "各位申报人：纸质材料请按通知要求报送。"
TEXT_EN = "Dear applicants: please hand in the paper documents as the notice asks."


def accept_dialogs(page) -> None:  # noqa: ANN001
    """``data-confirm`` buttons ask first; the test answers yes."""
    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))


async def test_import_report_then_the_good_rows(browser, console_server, console_app, tmp_path):  # noqa: F811
    importer = Importer(console_app.services, actor="test", actor_user_id=None)
    async with console_app.db.session() as session:
        await importer.run(session, "first.xlsx", xlsx_bytes([row(NUMBER, state="审核受理")]))
    person = ChatUser(console_app, user_id="4242", channel="telegram")
    await person.say(f"/bind {NUMBER}")
    await person.say("123X")
    assert "绑定成功" in person.text, person.text
    upload = tmp_path / "申报状态.csv"
    upload.write_bytes(csv_bytes([row(NUMBER, state="纸质材料已送达"),
                                  row("SD2024-000002", "李四", "0456", level="初级", state="申报结束"),
                                  row("SD2024-000003", "王五", "5678", level="特级", state="审核受理")]))
    page = await new_page(browser, console_server)
    accept_dialogs(page)
    await sign_in(page, "clerk")
    await page.goto("/import")
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n")
    await page.set_input_files("input[name=file]", str(photo))
    await page.click("#import-form button[type=submit]")
    await expect(page.locator("#import-message")).to_contain_text("只支持 .xlsx 或 .csv 文件")  # on the page
    await page.screenshot(path=shot("import-wrong-type"))
    await page.set_input_files("input[name=file]", str(upload))
    await page.click("#import-form button[type=submit]")
    await expect(page.locator("h1")).to_have_text("导入检查结果")
    await expect(page.locator("#import-errors")).to_contain_text("第4行 申报级别")
    await expect(page.locator("#apply-all")).to_be_disabled()
    await expect(page.locator("#import-rows")).to_contain_text("将发送通知")
    await page.screenshot(path=shot("import-report"))
    assert {a.number for a in await rows_of(console_app, Application)} == {NUMBER}  # nothing applied
    assert await rows_of(console_app, OutboxMessage) == []
    await page.click("#apply-good")
    await expect(page.locator("h1")).to_have_text("导入完成")
    await expect(page.locator("#import-outcome")).to_contain_text("已排队发送 1 条通知")
    await expect(page.locator("#import-changed")).to_contain_text("SD2024-000002")
    await page.screenshot(path=shot("import-result"))
    apps = {a.number: a.state for a in await rows_of(console_app, Application)}
    assert set(apps) == {NUMBER, "SD2024-000002"} and apps[NUMBER] == "paper_received"
    (notice,) = await rows_of(console_app, OutboxMessage)
    assert notice.state == "pending" and NUMBER in notice.payload["text"]
    assert page.errors == []


async def test_broadcast_delivered_through_the_emulator_with_progress_and_history(browser, console_server, console_app):  # noqa: F811
    chinese = await make_users(console_app, 2, channel="telegram", start=5100)
    english = await make_users(console_app, 1, channel="telegram", start=5200, language="en")
    await bind_users(console_app, [*chinese, *english])  # the "applicants" segment: bound users
    emulator = BotApiEmulator(token=TOKEN)
    url = await emulator.start()
    sender = TelegramHttpSender(TOKEN, api_url=url)
    try:
        page = await new_page(browser, console_server)
        accept_dialogs(page)
        await sign_in(page, "clerk")
        await page.goto("/broadcast")
        await page.check("input[name=kind][value=applicants]")
        await page.fill("textarea[name=text]", TEXT_ZH)
        await page.fill("textarea[name=text_en]", TEXT_EN)
        await page.screenshot(path=shot("broadcast-compose"))
        await page.click("#compose button[type=submit]")
        await expect(page.locator("#recipients-total")).to_have_text("3")
        await expect(page.locator("#recipients-language tr[data-language=zh] td").last).to_have_text("2")
        await expect(page.locator("#recipients-language tr[data-language=en] td").last).to_have_text("1")
        await expect(page.locator("#preview-zh")).to_have_text(TEXT_ZH)
        await expect(page.locator("#preview-en")).to_have_text(TEXT_EN)
        await page.screenshot(path=shot("broadcast-preview"))
        await page.click("#confirm")
        await expect(page.locator("#broadcast-pct")).to_have_text("0%")
        await expect(page.locator("#text-en")).to_have_text(TEXT_EN)
        await page.screenshot(path=shot("broadcast-progress-running"))
        worker = OutboxWorker(console_app.db, {"telegram": sender}, console_app.services.clock,
                              DeliveryConfig(global_rate=100, per_chat_interval=0, quiet_hours=None))
        await worker.drain()
        for user in chinese:
            assert [m["text"] for m in emulator.messages_to(int(user.chat_id))] == [TEXT_ZH]
        assert [m["text"] for m in emulator.messages_to(int(english[0].chat_id))] == [TEXT_EN]
        await expect(page.locator("#broadcast-pct")).to_have_text("100%", timeout=10_000)  # htmx polling
        await expect(page.locator("#fig-sent")).to_have_text("3")
        await expect(page.locator("p.pct")).to_contain_text("已完成")
        await page.screenshot(path=shot("broadcast-progress"))
        await page.goto("/broadcast")
        latest = page.locator("#broadcast-history tbody tr").first
        await expect(latest.locator("td.sent")).to_have_text("3")
        await expect(latest.locator("td.english")).to_have_text("有")
        await expect(latest.locator("td.state")).to_have_text("已完成")  # settled, before the bot's monitor stamps it
        await page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        await page.screenshot(path=shot("broadcast-history"))
        assert page.errors == []
    finally:
        await sender.close()
        await emulator.stop()


async def test_broadcast_preview_without_english_shows_the_note_over_the_chinese(browser, console_server, console_app):  # noqa: F811
    await make_users(console_app, 1, channel="web", start=5300)
    await make_users(console_app, 1, channel="telegram", start=5400, language="en")
    note = console_app.services.texts.get("reminders.broadcast.english_note", "en")
    page = await new_page(browser, console_server)
    await sign_in(page, "clerk")
    await page.goto("/broadcast")
    await page.fill("textarea[name=text]", TEXT_ZH)
    await page.click("#compose button[type=submit]")
    await expect(page.locator("#preview-no-english")).to_contain_text("没有写英文版")
    await expect(page.locator("#preview-en")).to_have_text(f"{note}\n{TEXT_ZH}")
    await page.screenshot(path=shot("broadcast-preview-no-english"))
    await page.click("button[name=back]")  # back to the form with what was written
    await expect(page.locator("textarea[name=text]")).to_have_value(TEXT_ZH)
    await expect(page.locator("textarea[name=text_en]")).to_have_value("")
    assert page.errors == []


@pytest.fixture
async def knowledge_setup(tmp_path, clock, monkeypatch):
    """A console and a running bot on one database and one writable copy of the content."""
    monkeypatch.setenv("CONTENT_DIR", str(copy_content(tmp_path / "content")))
    async with console_and_bot(tmp_path, clock) as setup:
        yield setup


async def test_accepted_phrasing_answered_directly_after_reload(browser, knowledge_setup):  # noqa: F811
    console_app, bot_app, server = knowledge_setup
    reloader = ContentReloader(bot_app.conversation.free_text, bot_app.db, bot_app.services.clock)
    await reloader.start()
    user = ChatUser(bot_app, user_id="31")
    await user.say("评审费")
    assert "您是不是想问" in user.text
    await user.press_label("评审费怎么交？")
    await ChatUser(bot_app, user_id="32").say("评审费到底怎么弄啊啊啊")  # an unanswered question
    voter = ChatUser(bot_app, user_id="34")
    await voter.say("评审费是多少？")
    await voter.press(next(d for d in voter.button_data if d.startswith("kb:dn:")))  # a 👎
    page = await new_page(browser, server)
    await sign_in(page, "clerk")
    await page.goto("/knowledge")
    candidate = page.locator("#candidates tr", has_text="评审费怎么交？")
    await expect(candidate).to_contain_text("评审费")
    await expect(page.locator("#gaps")).to_contain_text("评审费")
    await expect(page.locator("#downvotes")).to_contain_text("评审费是多少？")
    await page.screenshot(path=shot("knowledge"))
    await candidate.locator("button.accept").click()
    await expect(page.locator("#knowledge-message")).to_contain_text("已把“评审费”写入")
    await page.click("#reload-button")
    await expect(page.locator("#knowledge-message")).to_contain_text("检查全部通过", timeout=60_000)
    assert await reloader.tick() is True
    await page.goto("/knowledge")
    await expect(page.locator("#reload-outcomes")).to_contain_text("已加载版本")
    await page.screenshot(path=shot("knowledge-reloaded"))
    asker = ChatUser(bot_app, user_id="33")
    await asker.say("评审费")
    assert "扫描二维码" in asker.text and "您是不是想问" not in asker.text
    assert page.errors == []

