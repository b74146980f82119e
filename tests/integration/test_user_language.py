"""Language per user: set when the user is created, changed with /lang or by writing in the other
language, shown in /privacy; texts in the user's language (in-process, through the core)."""

from __future__ import annotations

import re

from bot.content.texts import Texts
from tests.support.helpers import ChatUser

HAN = re.compile(r"[\u4e00-\u9fff]")


def english_only(text: str) -> bool:
    """English text: Chinese appears only as proper names with a gloss (the bot's name, the office)."""
    stripped = text
    for name in ("职称助手", "评审委员会办事机构", "单位职称工作负责人", "工业互联网工程技术职称评审", "中文",
                 "切换回中文请发送", "。"):
        stripped = stripped.replace(name, "")
    return not HAN.search(stripped)


async def language_of(app, user: ChatUser) -> str:
    async with app.db.session() as session:
        from sqlalchemy import text

        row = await session.execute(text("SELECT language FROM users WHERE channel = :c AND external_id = :e"),
                                    {"c": user.channel, "e": user.user_id})
        return row.scalar_one()


async def test_a_user_created_with_english_gets_the_english_menu_help_and_privacy(sqlite_app):
    en = ChatUser(sqlite_app, "en-1")
    zh = ChatUser(sqlite_app, "zh-1")
    await en.say("/start", language="en")
    assert "Hello" in en.text and english_only(en.text)
    assert en.button_labels == ["Q&A", "Eligibility", "My status", "Reminders", "Help"]
    await zh.say("/start", language="zh")
    assert "您好" in zh.text and "Hello" not in zh.text
    assert zh.button_labels == ["问答", "资格自测", "申报进度", "提醒订阅", "帮助"]
    await en.say("/help")
    assert "/lang" in en.text and english_only(en.text)
    await en.say("/privacy")
    assert "Language: English" in en.text and english_only(en.text)
    await zh.say("/privacy")
    assert "对话语言：中文" in zh.text
    assert await language_of(sqlite_app, en) == "en"


async def test_the_language_is_set_only_when_the_user_is_created(sqlite_app):
    """A later update from a client set to another language does not override the stored choice."""
    user = ChatUser(sqlite_app, "first-zh")
    await user.say("/start", language="zh")
    await user.say("/help", language="en")
    assert "使用帮助" in user.text
    assert await language_of(sqlite_app, user) == "zh"


async def test_lang_offers_buttons_and_switches_both_ways(sqlite_app):
    user = ChatUser(sqlite_app, "switcher")
    await user.say("/lang")
    assert user.button_labels == ["中文", "English"]
    await user.press_label("English")
    assert "reply in English" in user.text
    assert "Help" in user.button_labels  # the menu comes in the new language
    assert await language_of(sqlite_app, user) == "en"
    await user.say("/help")
    assert "How to use me" in user.text
    await user.say("/lang zh")
    assert "以后我用中文回复您" in user.text and english_only(user.text) is False
    assert await language_of(sqlite_app, user) == "zh"
    await user.say("/lang English")
    assert await language_of(sqlite_app, user) == "en"
    await user.say("/lang en")
    assert "already" in user.text


async def test_lang_refuses_an_unknown_language_and_a_forged_button(sqlite_app):
    user = ChatUser(sqlite_app, "forger")
    await user.say("/lang fr")
    assert "/lang en" in user.text and "/lang zh" in user.text
    await user.press("lang:fr")
    assert user.last[0].toast and "失效" in user.last[0].toast
    assert await language_of(sqlite_app, user) == "zh"


async def test_writing_in_english_switches_and_says_how_to_switch_back(sqlite_app):
    user = ChatUser(sqlite_app, "writer")
    await user.say("/start")
    await user.say("how much is the review fee")
    first = user.last[0].text
    assert first.startswith("You wrote in English") and "/lang zh" in first
    assert await language_of(sqlite_app, user) == "en"
    await user.say("what about the deadline")  # already English: said once only
    assert not user.last[0].text.startswith("You wrote in English")
    await user.say("评审费多少钱")  # a Chinese question switches back at once
    assert user.last[0].text.startswith("您用中文提问")
    assert await language_of(sqlite_app, user) == "zh"


async def test_a_chinese_question_with_an_acronym_or_a_message_that_does_not_tell_keeps_chinese(sqlite_app):
    user = ChatUser(sqlite_app, "keeper")
    for text in ("我的PE证书怎么办", "ok", "👍", "2024", "PDF"):
        await user.say(text)
        assert all("You wrote" not in r.text for r in user.last), text
        assert await language_of(sqlite_app, user) == "zh"


async def test_typed_dialog_answers_do_not_switch_the_language(sqlite_app):
    user = ChatUser(sqlite_app, "in-dialog")
    await user.say("/eligibility")
    await user.say("restart")  # a dialog word, not a question
    assert await language_of(sqlite_app, user) == "zh"


async def test_a_menu_label_in_either_language_is_understood(sqlite_app):
    user = ChatUser(sqlite_app, "labels")
    await user.say("Help")
    assert "使用帮助" in user.text  # a Chinese user pressing an old English keyboard stays Chinese
    assert await language_of(sqlite_app, user) == "zh"


async def test_errors_are_told_in_the_users_language(sqlite_app, monkeypatch):
    user = ChatUser(sqlite_app, "unlucky")
    await user.say("/lang en")

    async def broken(_ctx, _args):
        raise RuntimeError("boom")

    monkeypatch.setitem(sqlite_app.conversation._commands, "help", broken)
    await user.say("/help")
    assert user.text.startswith("Sorry, something went wrong")


def test_texts_fall_back_to_chinese_only_where_english_lacks_a_key():
    texts = Texts({"a": "甲{n}", "b": "乙"}, {"en": {"a": "A{n}"}})
    assert texts.get("a", "en", n=1) == "A1"
    assert texts.get("b", "en") == "乙"
    assert texts.get("a", n=2) == "甲2"
    assert texts.variants("a") == ["甲{n}", "A{n}"]


async def test_latin_junk_never_switches_a_chinese_user(sqlite_app):
    """Keyboard runs, random letters, pinyin and "ok???" are no English: the user stays Chinese."""
    user = ChatUser(sqlite_app, "junk-typer")
    await user.say("/start", language="zh")
    for text in ("asdfgh", "xxxx", "qwe rty", "ok???", "QWERTY", "zxcvbnm lkjhg", "zhicheng shenbao", "a"):
        await user.say(text)
        assert all("You wrote" not in r.text for r in user.last), text
        assert await language_of(sqlite_app, user) == "zh", text
    await user.say("how much is the review fee")  # real English still switches a guessed language
    assert user.last[0].text.startswith("You wrote in English")
    assert await language_of(sqlite_app, user) == "en"


async def chosen(app, user: ChatUser) -> bool:  # noqa: ANN001
    async with app.db.session() as session:
        from sqlalchemy import text

        row = await session.execute(text("SELECT language_chosen FROM users WHERE channel = :c AND external_id = :e"),
                                    {"c": user.channel, "e": user.user_id})
        return bool(row.scalar_one())


async def test_a_language_chosen_with_lang_is_never_changed_by_what_the_user_writes(sqlite_app):
    user = ChatUser(sqlite_app, "chooser-zh")
    await user.say("/start", language="zh")
    assert not await chosen(sqlite_app, user)
    await user.say("/lang zh")  # confirming the current language is a choice too
    assert "已经是中文" in user.text and await chosen(sqlite_app, user)
    await user.say("how much is the review fee")
    # understood and answered in the language it was asked in, this once; the choice stands
    assert all("You wrote" not in r.text for r in user.last)
    assert user.last[0].text.startswith("You asked in English, so this answer is in English; your chosen language stays Chinese.")
    assert "Intermediate" in user.text or "intermediate" in user.text
    assert await language_of(sqlite_app, user) == "zh"
    await user.say("asdfgh qwe")  # not English: Chinese as chosen, no note
    assert not user.last[0].text.startswith("You asked")

    english = ChatUser(sqlite_app, "chooser-en")
    await english.say("/lang")
    await english.press_label("English")
    await english.say("评审费多少钱")
    assert english.last[0].text == "您用中文提问，这次用中文回答；您选定的语言仍是英文。以后都用中文回复请发送 /lang zh。"
    assert "评审费" in english.text and "元" in english.text
    assert await language_of(sqlite_app, english) == "en"
    await english.say("when is the online deadline")
    assert not english.last[0].text.startswith("您用中文") and not english.last[0].text.startswith("You asked")
    await english.say("/lang zh")  # only the user changes it
    assert await language_of(sqlite_app, english) == "zh"
    await english.say("how much is the review fee")
    assert await language_of(sqlite_app, english) == "zh"


async def test_forget_drops_the_choice_with_the_user(sqlite_app):
    user = ChatUser(sqlite_app, "chooser-forgets")
    await user.say("/lang zh")
    await user.say("/forget")
    await user.press("forget:yes")
    await user.say("how much is the review fee")  # a new user: the language is a guess again
    assert user.last[0].text.startswith("You wrote in English")
    assert not await chosen(sqlite_app, user)
