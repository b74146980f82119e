"""English self-check, status card, status notice and broadcast through the real bot process and the
Bot API emulator, for aiogram and PTB; a Chinese user in the same run gets Chinese only.

Quiet hours are switched off in a copy of the rules (the pushes are delivered by the outbox worker
that ``python -m bot run`` starts, and the test may run at any hour). Reminders need a review cycle
that is current by the clock, so the English reminder is delivered through the emulator with a fake
clock in ``tests/e2e/test_english_journey.py`` (and through the core in ``tests/test_english_pushes.py``).
"""

from __future__ import annotations

import re

import pytest
import pytest_asyncio

from tests.e2e.conftest import start_staff_bot
from tests.e2e.english import choose, self_check_to_engineer
from tests.support.emulator import TgUser, button_data
from tests.support.status_helpers import row, xlsx_bytes

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(150)]

STAFF = 82001
UNIT = "青岛西海岸工业互联网有限公司"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHINESE_SENTENCE = re.compile(r"[，。；：？！您]")
LATIN_SENTENCE = re.compile(r"[A-Za-z]+ [A-Za-z]+ [A-Za-z]+")


def reads_english(text: str) -> bool:
    """No Chinese sentence, source citations included (they cite in English)."""
    return not any(CHINESE_SENTENCE.search(line) for line in text.splitlines())


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot(emulator, framework, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"en-data-{framework}")
    proc = await start_staff_bot(emulator, framework, tmp, STAFF)
    yield proc
    await proc.stop()


async def test_self_check_in_english_and_in_chinese_side_by_side(bot, emulator):
    english = TgUser(emulator, 82101, language_code="en")
    chinese = TgUser(emulator, 82102)
    _, menu = await english.say("/start", expect=2)
    await english.press(menu, button_data(menu)["Eligibility"])
    (question,) = await english.replies(1)
    summary, details = await self_check_to_engineer(english, question)
    assert "From your answers, you can apply for: Engineer (工程师)." in summary["text"]
    assert "review fee 160 yuan per person" in summary["text"]
    assert "This result is a guide only" in details["text"] and "📎 Materials:" in details["text"]
    assert reads_english(summary["text"]) and reads_english(details["text"])
    # after the 2024 deadline (the bot runs on today's date): word of the next notice
    assert list(button_data(details)) == ["🔄 Check again", "🔔 Subscribe to notices"]

    await chinese.say("/start", expect=2)
    (question,) = await chinese.say("/eligibility")
    (verdict, details_zh) = await choose(chinese, question, "离退休人员", expect=2)
    assert "很抱歉" in verdict["text"]
    for message in (question, verdict, details_zh):
        assert not LATIN_SENTENCE.search(message["text"]), message["text"]


async def test_status_card_and_notice_in_english_while_chinese_stays_chinese(bot, emulator):
    staff = TgUser(emulator, STAFF)
    rows = [row("QD2024-8001", "刘晓明", "204X", unit=UNIT, level="中级", state="评委会办事机构审核"),
            row("QD2024-8002", "王小红", "1234", unit=UNIT, level="助理级", state="评委会办事机构审核")]
    emulator.send_document(STAFF, xlsx_bytes(rows), "申报状态.xlsx", XLSX)
    (report,) = await staff.replies(1, timeout=20)
    assert "导入完成" in report["text"]

    english = TgUser(emulator, 82201, language_code="en-GB")
    chinese = TgUser(emulator, 82202)
    (ask,) = await english.say("/bind QD2024-8001")
    assert "last four characters" in ask["text"]
    done, card = await english.say("204x", expect=2)
    assert done["text"].startswith("Linked!")
    assert "Current status: Committee office review" in card["text"] and "刘*明" in card["text"]
    assert "Next step: Watch \"当前状态\" (current status) on the platform" in card["text"]
    assert reads_english(card["text"].replace(UNIT, ""))
    await chinese.say("/bind QD2024-8002")
    _, card_zh = await chinese.say("1234", expect=2)
    assert "当前状态：评委会办事机构审核" in card_zh["text"]

    for number in ("QD2024-8001", "QD2024-8002"):
        (changed,) = await staff.say(f"/setstatus {number} 申报结束")
        assert "已生成1条通知" in changed["text"]
    (notice,) = await english.replies(1, timeout=20)
    assert "There is news about your title application." in notice["text"]
    assert "Application QD2024-8001: Accepted" in notice["text"] and "review fee of 160 yuan" in notice["text"]
    assert re.search(r"by \d{1,2} [A-Z][a-z]+ 20\d\d", notice["text"])  # the due date the English way
    (notice_zh,) = await chinese.replies(1, timeout=20)
    assert "您的职称申报有新进展" in notice_zh["text"] and "100元" in notice_zh["text"]
    assert not LATIN_SENTENCE.search(notice_zh["text"])
    (status,) = await english.say("/status")
    assert "Current status: Accepted" in status["text"] and "History:" in status["text"]


async def test_broadcast_with_an_english_version_reaches_each_reader_in_their_language(bot, emulator):
    english = TgUser(emulator, 82301, language_code="en")
    chinese = TgUser(emulator, 82302)
    await english.say("/start", expect=2)
    await chinese.say("/start", expect=2)
    staff = TgUser(emulator, STAFF)
    staff._seen = len(staff.all_messages())
    (segments,) = await staff.say("/broadcast")
    (ask,) = await choose(staff, segments, "全部用户")
    assert "请发送群发内容" in ask["text"]
    (ask_en,) = await staff.say("【通知】周五下午暂停服务。")
    assert "人使用英文" in ask_en["text"] and list(button_data(ask_en)) == ["不写英文版"]
    (preview,) = await staff.say("Notice: no service on Friday afternoon.")
    assert "使用英文" in preview["text"] and "英文版：\nNotice: no service on Friday afternoon." in preview["text"]
    await staff.press(preview, button_data(preview)["确认发送"])

    def got(user: TgUser, text: str) -> bool:
        return any(m.get("text") == text for m in user.all_messages())

    assert await emulator.wait_for(lambda: got(english, "Notice: no service on Friday afternoon.") or None, timeout=30)
    assert await emulator.wait_for(lambda: got(chinese, "【通知】周五下午暂停服务。") or None, timeout=30)
    assert not got(english, "【通知】周五下午暂停服务。") and not got(chinese, "Notice: no service on Friday afternoon.")
