"""Language per user through the real bot process and the Bot API emulator, for aiogram and for PTB:
a client set to English gets English, a Chinese client in the same run gets Chinese only; /lang and
writing in English switch."""

from __future__ import annotations

import re

import pytest
import pytest_asyncio

from tests.e2e.conftest import count_rows, start_bot
from tests.support.emulator import TgUser, button_data

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(120)]

EN_MENU = ["Q&A", "Eligibility", "My status", "Reminders", "Help"]
ZH_MENU = ["问答", "资格自测", "申报进度", "提醒订阅", "帮助"]
LATIN_SENTENCE = re.compile(r"[A-Za-z]+ [A-Za-z]+ [A-Za-z]+")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot(emulator, framework, tmp_path_factory):
    proc = await start_bot(emulator, framework, tmp_path_factory.mktemp(f"bot-lang-{framework}"))
    yield proc
    await proc.stop()


def stored_language(bot, user: TgUser) -> str | None:
    import sqlite3

    with sqlite3.connect(bot.db_path) as conn:
        row = conn.execute("SELECT language FROM users WHERE channel='telegram' AND external_id=?", (str(user.id),)).fetchone()
    return row[0] if row else None


async def test_an_english_client_gets_english_and_a_chinese_client_chinese_only(bot, emulator):
    english = TgUser(emulator, 81001, language_code="en-US")
    chinese = TgUser(emulator, 81002)  # zh-hans
    welcome, menu = await english.say("/start", expect=2)
    assert welcome["text"].startswith("Hello! I am 职称助手")
    assert list(button_data(menu)) == EN_MENU
    zh_welcome, zh_menu = await chinese.say("/start", expect=2)
    assert zh_welcome["text"].startswith("您好") and list(button_data(zh_menu)) == ZH_MENU
    (help_en,) = await english.say("/help")
    assert "How to use me" in help_en["text"] and "/lang" in help_en["text"]
    (privacy_en,) = await english.say("/privacy")
    assert "What we keep about you" in privacy_en["text"] and "Language: English" in privacy_en["text"]
    (help_zh,) = await chinese.say("/help")
    (privacy_zh,) = await chinese.say("/privacy")
    for message in (zh_welcome, zh_menu, help_zh, privacy_zh):
        # Chinese only: no English sentence (the /lang line names "English" as a choice, nothing more)
        assert not LATIN_SENTENCE.search(message["text"]), message["text"]
    assert "对话语言：中文" in privacy_zh["text"]
    assert stored_language(bot, english) == "en" and stored_language(bot, chinese) == "zh"
    # the command menu in both languages: the default in Chinese, an English one for English clients
    assert {c["command"]: c["description"] for c in emulator.commands}["help"] == "使用帮助"
    assert {c["command"]: c["description"] for c in emulator.commands_by_language["en"]}["help"] == "Help"


async def test_lang_buttons_and_arguments_switch_the_language(bot, emulator):
    user = TgUser(emulator, 81003)
    (prompt,) = await user.say("/lang")
    assert list(button_data(prompt)) == ["中文", "English"]
    answer = await user.press(prompt, button_data(prompt)["English"])
    assert answer.get("text") in (None, "")
    (done,) = await user.replies(1)
    assert "reply in English" in done["text"] and list(button_data(done)) == EN_MENU
    assert stored_language(bot, user) == "en"
    (back,) = await user.say("/lang zh")
    assert "以后我用中文回复您" in back["text"] and list(button_data(back)) == ZH_MENU
    assert stored_language(bot, user) == "zh"


async def test_writing_in_english_switches_and_chinese_switches_back(bot, emulator):
    user = TgUser(emulator, 81004)
    await user.say("/start", expect=2)
    user.send_text("how much is the review fee")
    (note,) = await user.replies(1)
    assert note["text"].startswith("You wrote in English") and "/lang zh" in note["text"]
    await user.replies(1)  # the answer itself
    assert stored_language(bot, user) == "en"
    user.send_text("我的PE证书怎么办")
    (note,) = await user.replies(1)
    assert note["text"].startswith("您用中文提问")
    assert stored_language(bot, user) == "zh"
    assert count_rows(bot.db_path, "SELECT count(*) FROM users WHERE external_id=?", str(user.id)) == 1
