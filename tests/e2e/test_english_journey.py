"""The whole English journey, in one run per framework: the real bot process
(``python -m bot run``) against the Bot API emulator. A client set to English gets the English
menu, asks two questions, runs the self-check to a verdict, binds to an application and sees its
status card, and receives a deadline reminder; a Chinese user beside it does the same in Chinese.
``bot.core.language`` reads every message: nothing English reaches the Chinese user, and the
English user reads no Chinese sentence (proper names glossed in English may stay Chinese).

The bot process runs on the wall clock, where the 2024 review cycle is over; the reminder is
therefore produced by the same scheduler and outbox worker the bot runs, on the bot's database,
with a fake clock set to a moment of the 2024 cycle, and sent over HTTP to the emulator.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import pytest_asyncio

from bot.channels.telegram_sender import TelegramHttpSender
from bot.core.language import detect_language
from tests.e2e.botproc import TOKEN
from tests.e2e.conftest import content_without_quiet_hours, start_bot
from tests.e2e.english import choose, self_check_to_engineer
from tests.support.emulator import TgUser, button_data
from tests.support.status_helpers import row, xlsx_bytes

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(240)]

STAFF = 83001
UNIT = "青岛西海岸工业互联网有限公司"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EN_MENU = ["Q&A", "Eligibility", "My status", "Reminders", "Help"]
ZH_MENU = ["问答", "资格自测", "申报进度", "提醒订阅", "帮助"]
OUT = Path(__file__).resolve().parents[2] / "test-output" / "en-journey"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot(emulator, framework, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"en-journey-{framework}")
    content = content_without_quiet_hours(tmp / "content")
    proc = await start_bot(emulator, framework, tmp, extra_env={"STAFF_IDS": str(STAFF), "CONTENT_DIR": str(content)})
    proc.content = content
    yield proc
    await proc.stop()


def transcript(user: TgUser) -> str:
    return "\n\n---\n".join(m.get("text") or "" for m in user.all_messages())


#: what an English text may quote in Chinese: a 文号, a bracketed gloss or number, a 《title》, a "name"
QUOTED = re.compile(r"[\u4e00-\u9fff]+〔\d{4}〕\d+号|\([^()]*\)|（[^（）]*）|《[^》]*》|\"[^\"]*\"|“[^”]*”")


def chinese_lines(text: str) -> list[str]:
    """The lines of an English message that the detector reads as Chinese once the quoted names
    (glossed proper names, 文号, titles) are set aside."""
    return [line for line in text.splitlines() if detect_language(QUOTED.sub(" ", line)) == "zh"]


async def deliver_reminder_with_a_fake_clock(bot, emulator) -> None:
    """The reminder scheduler and outbox worker of the bot, on its database, at 09:00 on 16 August
    2024 (14 days before that cycle's online deadline), sending through the emulator."""
    from bot.app import build_app
    from bot.outbox.config import DeliveryConfig
    from bot.outbox.worker import OutboxWorker
    from bot.reminders.scheduler import ReminderScheduler
    from bot.settings import load_settings
    from tests.support.helpers import make_clock

    clock = make_clock("2024-08-16T09:00:00")
    app = build_app(load_settings(database_url=bot.database_url), clock=clock, root=bot.content)
    sender = TelegramHttpSender(TOKEN, api_url=emulator.url)
    try:
        scheduler = ReminderScheduler.from_content(app.services.db, clock, bot.content, app.services.cycles,
                                                   app.services.contact_values(), ("telegram",))
        report = await scheduler.tick()
        assert report.queued == 2, report
        worker = OutboxWorker(app.services.db, {"telegram": sender}, clock,
                              DeliveryConfig(global_rate=100, per_chat_interval=0, quiet_hours=None))
        await worker.drain()
    finally:
        await sender.close()
        await app.close()


async def test_english_journey_beside_a_chinese_one(bot, emulator, framework):
    staff = TgUser(emulator, STAFF)
    rows = [row("QD2024-8301", "刘晓明", "204X", unit=UNIT, level="中级", state="评委会办事机构审核"),
            row("QD2024-8302", "王小红", "1234", unit=UNIT, level="助理级", state="评委会办事机构审核")]
    emulator.send_document(STAFF, xlsx_bytes(rows), "申报状态.xlsx", XLSX)
    (report,) = await staff.replies(1, timeout=20)
    assert "导入完成" in report["text"]
    english = TgUser(emulator, 83101, language_code="en-US")
    chinese = TgUser(emulator, 83102)

    # the menu, two questions answered in English with English source lines
    welcome, menu = await english.say("/start", expect=2)
    assert welcome["text"].startswith("Hello!") and list(button_data(menu)) == EN_MENU
    (fee,) = await english.say("how much is the review fee for engineer")
    assert "intermediate: 160 yuan" in fee["text"]
    assert "Source: 2024 notice of the West Coast New Area (西海岸新区) human resources bureau (3(5).2)" in fee["text"]
    (deadline,) = await english.say("when is the online application deadline")
    assert "30 August 2024" in deadline["text"] and "\nSource: " in deadline["text"]

    # the self-check to an English verdict that cites in English
    await english.press(menu, button_data(menu)["Eligibility"])
    (question,) = await english.replies(1)
    summary, details = await self_check_to_engineer(english, question)
    assert "From your answers, you can apply for: Engineer (工程师)." in summary["text"]
    assert "Source: national baseline standard 人社部发〔2019〕16号 (Engineer part), Annex 1 prevails" in summary["text"]
    assert "choose 青岛西海岸新区工业互联网工程技术职务资格中级评审委员会 (the New Area's intermediate review committee" in summary["text"]
    assert "This result is a guide only" in details["text"]

    # bind, the status card, the deadline subscription
    (ask,) = await english.say("/bind QD2024-8301")
    assert "last four characters" in ask["text"]
    done, card = await english.say("204x", expect=2)
    assert done["text"].startswith("Linked!") and "Current status: Committee office review" in card["text"]
    (subs,) = await english.say("/subscribe")
    await english.press(subs, button_data(subs)["⬜ Deadlines"])

    # the Chinese user beside it: the same steps in Chinese
    _, zh_menu = await chinese.say("/start", expect=2)
    assert list(button_data(zh_menu)) == ZH_MENU
    (zh_fee,) = await chinese.say("中级职称评审费多少钱")
    assert "160元" in zh_fee["text"]
    (zh_deadline,) = await chinese.say("网上申报什么时候截止")
    await chinese.press(zh_menu, button_data(zh_menu)["资格自测"])
    (question,) = await chinese.replies(1)
    (zh_verdict, zh_details) = await choose(chinese, question, "离退休人员", expect=2)
    await chinese.say("/bind QD2024-8302")
    _, zh_card = await chinese.say("1234", expect=2)
    assert "当前状态：评委会办事机构审核" in zh_card["text"]
    (zh_subs,) = await chinese.say("/subscribe")
    await chinese.press(zh_subs, button_data(zh_subs)["⬜ 截止提醒"])

    await bot.stop()  # the reminder comes from the 2024 cycle, on a fake clock (see the module's docstring)
    await deliver_reminder_with_a_fake_clock(bot, emulator)
    reminder = english.all_messages()[-1]["text"]
    assert "close on 30 August 2024 (14 day(s) left)" in reminder and "0532-85161632" in reminder
    zh_reminder = chinese.all_messages()[-1]["text"]
    assert "2024年8月30日" in zh_reminder and "还有14天" in zh_reminder

    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{framework}-en.txt").write_text(transcript(english), "utf-8")
    (OUT / f"{framework}-zh.txt").write_text(transcript(chinese), "utf-8")
    for message in chinese.all_messages():
        assert detect_language(message.get("text") or "") != "en", message["text"]
    for message in english.all_messages():
        assert chinese_lines(message.get("text") or "") == [], message["text"]
