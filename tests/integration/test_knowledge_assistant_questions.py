"""Questions about the assistant itself, typed as free text, get a pointer to the feature and its menu
button instead of "the notices do not say"; a question the knowledge base answers keeps its answer,
and a question about the review that shares a word with a pattern is not taken."""

from __future__ import annotations

from sqlalchemy import select

from bot.knowledge.models import UnansweredQuestion
from tests.support.helpers import ChatUser


async def test_what_can_you_do_gets_the_help_pointer_and_button(sqlite_app):
    user = ChatUser(sqlite_app, "about-1")
    await user.say("你能干啥")
    assert "职称助手" in user.text and "按申报编号查进度" in user.text
    assert user.button_data == ["menu:help"]
    await user.press("menu:help")
    assert "/forget" in user.text  # the help text itself


async def test_a_reminder_question_opens_the_subscriptions(sqlite_app):
    user = ChatUser(sqlite_app, "about-2")
    await user.say("能提醒我交纸质表吗")
    assert user.text.startswith("可以。") and user.button_data == ["menu:reminders"]
    await user.press("menu:reminders")
    assert "截止提醒" in user.text


async def test_status_and_privacy_questions_point_to_their_commands(sqlite_app):
    user = ChatUser(sqlite_app, "about-3")
    await user.say("怎么用申请编号查进度")
    assert "/bind" in user.text and user.button_data == ["menu:status"]
    await user.say("怎么删除我的信息")
    assert "/forget" in user.text and "/privacy" in user.text and user.button_data == []
    # pointing is all it does: nothing was deleted, the user is still there
    await user.say("/privacy")
    assert "/forget" in user.text


async def test_such_questions_are_no_gaps_of_the_knowledge_base(sqlite_app):
    user = ChatUser(sqlite_app, "about-4")
    await user.say("你是机器人吗")
    async with sqlite_app.db.session() as s:
        kept = [row.normalized for row in (await s.execute(select(UnansweredQuestion))).scalars()]
    assert not any("机器人" in text for text in kept)


async def test_questions_about_the_review_keep_their_answers(sqlite_app):
    user = ChatUser(sqlite_app, "about-5")
    await user.say("评审费多少钱")
    assert "360元" in user.text
    # 机器人 of 工业机器人 is no question about the assistant
    await user.say("工业机器人工程师能报吗")
    assert "职称助手" not in user.text and "menu:help" not in user.button_data


async def test_an_english_user_gets_the_english_pointer(sqlite_app):
    user = ChatUser(sqlite_app, "about-6")
    await user.say("/start", language="en")
    await user.say("what can you do")
    assert user.text.startswith("I am the title assistant") and user.button_data == ["menu:help"]
    await user.say("please remind me of the deadline")
    assert user.button_data == ["menu:reminders"] and "Reminders" in user.text


async def test_a_guided_guess_yields_to_the_assistant(sqlite_app):
    # the English matcher guesses an entry on continuing-education records for this one
    user = ChatUser(sqlite_app, "about-7")
    await user.say("/start", language="en")
    await user.say("please delete my data")
    assert "/forget" in user.text and "/privacy" in user.text


async def test_an_hr_contact_is_told_how_to_follow_the_units_applications(sqlite_app):
    user = ChatUser(sqlite_app, "about-8")
    await user.say("邀请码在哪里拿")
    assert "/hr" in user.text and "/unit" in user.text and "通知里没有写到" not in user.text
    await user.say("我是单位的职称负责人怎么查本单位的进度")
    assert "/unit" in user.text


async def test_the_answer_on_checking_the_status_offers_this_assistants_lookup(sqlite_app):
    """The notices say to check on the provincial platform; this assistant can look an application up
    too, so the answer carries the 申报进度 menu button (``offers`` of the entry)."""
    user = ChatUser(sqlite_app, "about-9")
    await user.say("怎么查申报进度")
    assert "山东省专业技术人员管理服务平台" in user.text
    assert "menu:status" in user.button_data and user.button_data[-1].startswith("kb:dn:")  # the votes stay last
    await user.press("menu:status")
    assert "/bind" in user.text or "申报编号" in user.text
