"""The eligibility dialog through the conversation core (the path Telegram and the terminal use)."""

from __future__ import annotations

import io
import shutil

import pytest
from sqlalchemy import select

from bot.app import build_app
from bot.channels.terminal import TerminalChat
from bot.dialogs.loader import definition_version
from bot.paths import PROJECT_ROOT
from bot.settings import load_settings
from bot.storage.models import DialogState
from tests.support.helpers import ChatUser, make_app

Q1 = "第1题：您目前的身份是？"


async def answer_bachelor_assistant(user: ChatUser, years: str = "4", work: str | None = None) -> None:
    """The common journey up to the skill question: employee, in scope, mainland, 本科, 助理工程师,
    ``years`` in the title and ``work`` (default: the same) years of work."""
    await user.say("/eligibility")
    await user.press_label("在职（企业、事业单位、社会团体等）")
    await user.press_label("在青岛市，从事工业互联网专业技术工作")
    await user.press_label("内地（大陆）居民")
    await user.press_label("本科（学士）")
    await user.press_label("助理工程师")
    await user.say(years)
    await user.say(work or years)
    await user.press_label("否/不清楚")


async def stored_state(app) -> DialogState | None:
    async with app.db.session() as s:
        return (await s.execute(select(DialogState))).scalar_one_or_none()


async def test_full_journey_ends_in_a_verdict(user):
    await user.say("/eligibility")
    assert "最多14题" in user.text and Q1 in user.text
    assert user.button_labels[-3:] == ["⬅ 上一步", "🔄 重新开始", "✖ 退出"]
    await answer_bachelor_assistant(user)
    assert "第9题：您是否取得高技能类职业资格" in user.text
    await user.press_label("没有")
    await user.press_label("没有/不清楚")
    await user.press_label("每年都达标")
    text = user.text
    assert "您可以申报：工程师" in text
    assert "评审费160元/人" in text and "专业测评 + 专家评审" in text
    assert "中级评审委员会" in text and "以附件1为准" in text
    assert "材料清单" in text
    assert user.button_labels == ["🔄 重新自测", "🔔 订阅截止提醒"]
    assert await stored_state(user.app) is None  # answers are not kept after the verdict
    replies = await user.press_label("🔔 订阅截止提醒")  # the reminders menu, or a polite "not yet"
    assert replies and not any("出了点问题" in r.text for r in replies)
    await user.press_label("🔄 重新自测") if "🔄 重新自测" in user.button_labels else await user.say("/eligibility")
    assert Q1 in user.text


async def test_the_pressed_question_is_edited_to_show_the_answer(user):
    await user.say("/eligibility")
    replies = await user.press_label("自由职业者")
    assert replies[0].edit and "✅ 自由职业者" in replies[0].text
    assert "第2题" in replies[-1].text


async def test_after_the_deadline_the_verdict_offers_word_of_the_next_notice(user, clock):
    clock.advance(days=120)  # past the online deadline of the cycle on file
    await answer_bachelor_assistant(user)
    await user.press_label("没有")
    await user.press_label("没有/不清楚")
    await user.press_label("每年都达标")
    assert user.button_labels == ["🔄 重新自测", "🔔 订阅通知公告"]
    assert "本年度的网上申报已经截止" in user.text and "想在截止前收到提醒吗" not in user.text


async def test_someone_the_review_excludes_is_offered_no_reminders(user):
    await user.say("/eligibility")
    await user.press_label("公务员")
    assert "🔔 订阅截止提醒" not in user.button_labels and "🔔 订阅通知公告" not in user.button_labels


async def test_a_retiree_stops_at_once(user):
    await user.say("/eligibility")
    await user.press_label("离退休人员")
    assert "不能申报" in user.text and "离退休人员" in user.text
    assert await stored_state(user.app) is None


async def test_outside_shandong_is_told_where_to_turn(user):
    await user.say("/eligibility")
    await user.press_label("自由职业者")
    await user.press_label("不在山东省内工作")
    assert "工作所在地的人力资源和社会保障部门" in user.text


async def test_invalid_number_re_asks_with_the_reason_and_never_advances(user):
    await answer_bachelor_assistant(user, years="4")
    await user.press_label("⬅ 上一步")  # back to the zjtx question
    await user.press_label("⬅ 上一步")  # back to the years of work
    await user.press_label("⬅ 上一步")  # back to the years in the title
    assert "第6题：取得现有职称到现在满几年了" in user.text
    for bad in ("abc", "51", "-1", "好几年", "二五"):
        await user.say(bad)
        assert "请输入0到50之间的整数" in user.text, bad
        assert "第6题" in user.text
    state = await stored_state(user.app)
    assert state.step == "years_in_title" and "years_in_title" not in state.data["answers"]
    await user.say("3年")
    assert "第7题" in user.text


async def test_typed_numbers_are_understood_as_people_write_them(user):
    await answer_bachelor_assistant(user, years="4")
    for _ in range(3):
        await user.press_label("⬅ 上一步")
    assert "第6题" in user.text
    for typed, stored in (("６", 6), ("6年", 6), ("六年", 6), ("十二", 12)):
        await user.say(typed)
        assert "第7题" in user.text, typed
        assert (await stored_state(user.app)).data["answers"]["years_in_title"] == stored, typed
        await user.press_label("⬅ 上一步")
    await user.say("3年半")
    assert "年限只算满的整年，已按3年记下" in user.text and "第7题" in user.text
    assert (await stored_state(user.app)).data["answers"]["years_in_title"] == 3


async def test_years_of_work_cannot_be_fewer_than_years_in_the_title(user):
    await answer_bachelor_assistant(user, years="4")
    await user.press_label("⬅ 上一步")
    await user.press_label("⬅ 上一步")
    assert "第7题：您从事专业技术工作一共满几年了" in user.text
    await user.say("2")
    assert "不能少于4年" in user.text and "第7题" in user.text
    assert (await stored_state(user.app)).step == "years_of_work"
    await user.say("9")
    assert "第8题" in user.text


async def employee_journey(user: ChatUser, origin: str, title: str, *years: str) -> str:
    """An employee in scope, 本科, with ``title``; ``years`` typed in order; no 专精特新, skill or
    qualification, hours met. Returns the verdict text."""
    await user.say("/eligibility")
    for label in ("在职（企业、事业单位、社会团体等）", "在青岛市，从事工业互联网专业技术工作", origin, "本科（学士）", title):
        await user.press_label(label)
    for typed in years:
        await user.say(typed)
    for label in ("否/不清楚", "没有", "没有/不清楚", "每年都达标"):
        await user.press_label(label)
    return user.text


async def test_a_technician_with_a_bachelor_degree_is_told_assistant_is_open(user):
    """本科 + 技术员 held 3 years: years of work are asked and the bachelor's row opens 助理."""
    text = await employee_journey(user, "内地（大陆）居民", "技术员", "3", "3")
    assert "您可以申报：助理工程师" in text and "暂时还不符合" not in text


async def test_hong_kong_bachelor_with_six_years_gets_an_estimate_up_to_engineer(user):
    text = await employee_journey(user, "港澳台居民", "没有", "6")
    assert "您可以申报：助理工程师、工程师" in text and "高级工程师" not in text.split("📋")[0]
    assert "估算，须向办事机构确认" in text
    assert "0532-85161632" in text


async def test_foreigners_without_either_permit_are_sent_to_the_office(user):
    await user.say("/eligibility")
    for label in ("在职（企业、事业单位、社会团体等）", "在青岛市，从事工业互联网专业技术工作"):
        await user.press_label(label)
    await user.press_label("外籍，两种证件都没有")
    assert "本次通知没有写到您的情况" in user.text and "可以申报" not in user.text


async def test_the_skilled_route_asks_about_a_frontline_post(user):
    await user.say("/eligibility")
    for label in ("自由职业者", "在青岛市，从事工业互联网专业技术工作", "内地（大陆）居民", "中专", "没有"):
        await user.press_label(label)
    await user.say("6")
    await user.press_label("技师")
    assert "生产一线岗位" in user.text
    await user.press_label("否")
    await user.say("5")
    await user.press_label("是")
    await user.press_label("每年都达标")
    assert "需在工程技术领域生产一线岗位从事技术技能工作" in user.text


async def test_hours_short_keep_the_level_open_with_a_warning(user):
    await answer_bachelor_assistant(user)
    await user.press_label("没有")
    await user.press_label("没有/不清楚")
    await user.press_label("有年份不达标")
    text = user.text
    assert "您可以申报：工程师" in text and "通知没有写明" in text and "补足后才能" not in text


async def test_typed_labels_and_yes_no_words_are_accepted(user):
    await user.say("/eligibility")
    await user.say("在职（企业、事业单位、社会团体等）")
    assert "第2题" in user.text
    await user.say("我不知道")
    assert "没有看懂您的选择" in user.text and "第2题" in user.text
    for _ in range(4):  # reach the 专精特新 recommendation (a yes/no question)
        await user.press(user.button_data[0])
    await user.say("5")
    await user.press_label("国家级专精特新")
    assert "是否愿意署名举荐" in user.text
    await user.say("是")
    assert "继续教育学时" in user.text


@pytest.mark.parametrize(
    ("place", "says", "not_says"),
    [("在青岛市，从事工业互联网专业技术工作", "适用于青岛的企业", "原文没有公开"),
     ("在山东其他城市，从事工业互联网专业技术工作", "原文没有公开", "适用于青岛的企业")],
)
async def test_the_recommendation_quota_depends_on_where_the_work_is(user, place, says, not_says):
    await user.say("/eligibility")
    for label in ("在职（企业、事业单位、社会团体等）", place, "内地（大陆）居民", "大专", "没有"):
        await user.press_label(label)
    await user.say("3")
    await user.press_label("国家级专精特新")
    await user.press_label("是")
    await user.press_label("每年都达标")
    assert "最多举荐2人" in user.text and says in user.text and not_says not in user.text


async def test_help_explains_the_question(user):
    await user.say("/eligibility")
    await user.say("?")
    assert "自由职业者可以申报" in user.text and Q1 in user.text
    await user.say("帮助")
    assert "自由职业者可以申报" in user.text


async def test_back_restart_and_exit(user):
    await user.say("/eligibility")
    await user.press_label("⬅ 上一步")
    assert "已经是第一题" in user.text
    await user.press_label("自由职业者")
    await user.press_label("在青岛市，从事工业互联网专业技术工作")
    await user.press_label("⬅ 上一步")
    assert "第2题" in user.text
    state = await stored_state(user.app)
    assert state.data["answers"] == {"person_type": "freelancer"}
    await user.press_label("🔄 重新开始")
    assert "从头开始" in user.text and Q1 in user.text
    assert (await stored_state(user.app)).data["answers"] == {}
    await user.press_label("✖ 退出")
    assert "已退出“资格自测”" in user.text
    assert await stored_state(user.app) is None


async def test_typed_navigation_words(user):
    await user.say("/eligibility")
    await user.press_label("自由职业者")
    await user.say("上一步")
    assert Q1 in user.text
    await user.say("退出")
    assert await stored_state(user.app) is None


async def test_an_earlier_questions_button_asks_the_current_question_again(user):
    await user.say("/eligibility")
    first_buttons = user.button_data
    await user.press(first_buttons[0])
    assert "第2题" in user.text
    second_buttons = user.button_data
    replies = await user.press(first_buttons[1])  # the old question's button
    assert replies[0].toast == "这个按钮属于前面的题目，请回答下面这道题。"
    assert "第2题" in user.text and user.button_data == second_buttons
    assert (await stored_state(user.app)).step == "scope"


async def test_forged_buttons_get_a_toast(user):
    await user.say("/eligibility")
    await user.press(user.button_data[0])
    for forged in ("elg:2.1.99", "elg:junk", "elg:2.1.", "elg:2.1.-1", "elg:².1.0", "elg:2.1.²"):
        replies = await user.press(forged)
        assert replies == [replies[0]], forged
        assert replies[0].toast == "该按钮已失效，请重新操作。" and not replies[0].text, forged
    assert (await stored_state(user.app)).step == "scope"


async def test_a_reply_lost_after_the_step_was_saved_is_asked_again(user):
    """kill -9 between committing a step and sending its reply: the user still sees the old
    question; pressing its buttons brings up the question the dialog is at."""
    await user.say("/eligibility")
    old_buttons = user.button_data
    await user.press(old_buttons[0])  # step 2 saved; pretend its reply never reached the user
    await user.press(old_buttons[0])
    assert "已失效" not in (user.last[0].toast or "") and "第2题" in user.text
    await user.press_label(user.button_labels[0])
    assert "第3题" in user.text or "以上结果仅供参考" in user.text


async def test_menu_action_and_privacy(user):
    await user.say("/start")
    await user.press_label("资格自测")
    assert Q1 in user.text
    await user.press_label("自由职业者")
    await user.say("/privacy")
    assert "资格自测：进行中（已回答1题）" in user.text
    await user.say("/eligibility")  # resumes, does not lose the answer
    assert "继续您上次没有完成" in user.text and "第2题" in user.text


async def test_idle_dialog_expires(user, clock):
    await user.say("/eligibility")
    buttons = user.button_data
    clock.advance(hours=25)
    replies = await user.press(buttons[0])
    assert "已超过24小时" in "".join(r.text for r in replies)
    assert await stored_state(user.app) is None


async def test_cycle_over_today_is_said_honestly(sqlite_app, clock):
    clock.set(clock.now().replace(year=2026, month=11, day=22))
    user = ChatUser(sqlite_app)
    await answer_bachelor_assistant(user)
    await user.press_label("没有")
    await user.press_label("没有/不清楚")
    await user.press_label("不清楚")
    assert "2024年度的网上申报已于2024-08-30截止" in user.text
    assert "http://www.xihaian.gov.cn/zwgk/gknr/zdly/shgy/rsrc/zcpd/" in user.text
    assert "还有" not in user.text


async def test_restart_in_the_middle_continues_where_the_user_stopped(tmp_path, clock):
    first = await make_app("sqlite", tmp_path, clock=clock)
    user = ChatUser(first)
    await user.say("/eligibility")
    await user.press_label("在职（企业、事业单位、社会团体等）")
    await user.press_label("在青岛市，从事工业互联网专业技术工作")
    pending = user.button_data
    await first.close()  # the process dies here

    second = await make_app("sqlite", tmp_path, clock=clock)
    try:
        again = ChatUser(second, user_id=user.user_id)
        again.last = user.last
        await again.press(pending[0])  # the button the user saw before the restart still works
        assert "第4题：您的最高学历" in again.text
        await again.press_label("博士")
        assert "第5题" in again.text
    finally:
        await second.close()


async def test_changed_definition_restarts_politely(tmp_path, clock):
    root = tmp_path / "content"
    for folder in ("dialogs", "rules", "knowledge"):
        shutil.copytree(PROJECT_ROOT / folder, root / folder)
    settings = load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    first = build_app(settings, clock=clock, root=root)
    await first.start()
    user = ChatUser(first)
    await user.say("/eligibility")
    await user.press_label("自由职业者")
    pending = user.button_data
    await first.close()

    path = root / "dialogs" / "eligibility.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# reworded\n", encoding="utf-8")
    second = build_app(settings, clock=clock, root=root)
    await second.start()
    try:
        again = ChatUser(second, user_id=user.user_id)
        await again.say("在青岛市，从事工业互联网专业技术工作")
        assert "问卷内容刚刚更新过" in again.text and Q1 in again.text
        state = await stored_state(second)
        assert state.definition_version == definition_version(path) and state.data["answers"] == {}
        replies = await again.press(pending[0])  # a button from the old definition is stale
        assert replies[0].toast
    finally:
        await second.close()


async def test_terminal_chat_runs_the_dialog(sqlite_app):
    out = io.StringIO()
    chat = TerminalChat(sqlite_app.conversation, user_id="term", out=out)
    await chat.send("/eligibility")
    await chat.send("1")  # employee
    await chat.send("1")  # in Shandong, industrial internet
    await chat.send("1")  # mainland
    await chat.send("1")  # doctor
    await chat.send("1")  # no title
    await chat.send("5")  # years of work (a number, not a button: only 3 buttons are shown)
    await chat.send("1")  # not a 专精特新 enterprise
    await chat.send("1")  # no skill level
    await chat.send("1")  # no qualification
    await chat.send("1")  # CE met
    printed = out.getvalue()
    assert "您可以申报：助理工程师、工程师" in printed
    assert "[1] ⬅ 上一步" in printed or "⬅ 上一步" in printed


async def test_random_journeys_through_the_core_end_in_a_verdict(sqlite_app):
    """Random valid answers mixed with junk, help and stale presses: never an error, always a
    verdict, never more than max_steps answered questions."""
    import random

    from bot.dialogs.loader import load_dialog
    from bot.dialogs.runner import DialogEngine
    from bot.dialogs.schema import NumberInput

    dialog = load_dialog(PROJECT_ROOT, "eligibility")
    for seed in range(6):
        rng = random.Random(seed)
        user = ChatUser(sqlite_app, user_id=f"walker{seed}")
        await user.say("/eligibility")
        answered = 0
        while (state := await stored_state_of(sqlite_app, user)) is not None:
            spec = dialog.states[state.step].input
            roll = rng.random()
            if roll < 0.15:
                await user.say(rng.choice(["?", "随便", "999", "", "  "]))
                assert (await stored_state_of(sqlite_app, user)).step == state.step
            elif isinstance(spec, NumberInput):
                lo, hi = DialogEngine.number_bounds(spec, state.data["answers"])
                await user.say(str(rng.randint(lo, hi)))
                answered += 1
            else:
                choices = [d for d in user.button_data if not d.endswith((".b", ".r", ".x"))]
                await user.press(rng.choice(choices))
                answered += 1
            assert not any("出了点问题" in r.text for r in user.last)
            assert answered <= dialog.max_steps
        assert "以上结果仅供参考" in user.text


async def stored_state_of(app, user: ChatUser) -> DialogState | None:
    from bot.storage.models import User

    async with app.db.session() as s:
        row = (await s.execute(select(User).where(User.external_id == user.user_id))).scalar_one_or_none()
        return None if row is None else await s.get(DialogState, row.id)


async def test_another_menu_item_pauses_the_check_so_a_question_gets_answered_then_it_resumes(user):
    """Pressing 问答 during the check and typing a question: the question is answered (before, the
    check took it for an answer and refused it); pressing 资格自测 again goes on where it stopped."""
    await user.say("/eligibility")
    await user.press_label("在职（企业、事业单位、社会团体等）")
    assert "第2题" in user.text
    await user.press("menu:qa")
    assert "暂停" in user.text and "请直接输入您的问题" in user.text
    await user.say("评审费多少钱")
    assert "360元" in user.text and "请点击按钮作答" not in user.text
    await user.say("问答")  # the menu's label typed: the menu's, not a refused answer
    assert "没有看懂您的选择" not in user.text
    await user.press("menu:eligibility")
    assert "第2题：" in user.text and "暂停" not in user.text
    await user.press_label("在青岛市，从事工业互联网专业技术工作")
    assert "第3题" in user.text


async def test_a_button_of_the_paused_check_goes_on_with_it(user):
    await user.say("/eligibility")
    await user.press_label("在职（企业、事业单位、社会团体等）")
    buttons = user.last
    await user.say("/help")
    user.last = buttons
    await user.press_label("在青岛市，从事工业互联网专业技术工作")
    assert "第3题" in user.text
    await user.press_label("内地（大陆）居民")
    assert "第4题" in user.text  # typed answers and presses reach the check again


async def test_forget_then_cancel_gives_the_half_done_check_back(user):
    await user.say("/eligibility")
    await user.press_label("在职（企业、事业单位、社会团体等）")
    await user.press_label("在青岛市，从事工业互联网专业技术工作")
    await user.say("/forget")
    await user.press("forget:no")
    assert "没有被删除" in user.text
    await user.press("menu:eligibility")
    assert "第3题" in user.text  # where it stood, not 第1题
    await user.say("/forget")
    await user.say("随便说点什么")  # text while the confirmation is open asks again, still keeping the check
    await user.press("forget:no")
    await user.press("menu:eligibility")
    assert "第3题" in user.text


async def test_part_of_one_button_label_typed_is_that_button(user):
    """On a phone people type the gist of a button (在职, 大陆); a part that several labels share
    (山东) is asked again."""
    await user.say("/eligibility")
    await user.say("在职")
    assert "第2题" in user.text
    await user.say("山东")
    assert "第2题" in user.text and "第3题" not in user.text
    await user.say("在山东从事工业互联网专业技术工作")  # Qingdao or elsewhere: not told, asked again
    assert "第2题" in user.text and "第3题" not in user.text
    await user.say("在青岛市从事工业互联网专业技术工作")  # without the comma
    assert "第3题" in user.text
    await user.say("大陆")
    assert "第4题" in user.text
    await user.say("本")  # one character stands for nothing
    assert "第4题" in user.text and "第5题" not in user.text


async def test_cancel_privacy_and_lang_leave_the_check_as_it_is(user):
    await user.say("/eligibility")
    await user.press_label("在职（企业、事业单位、社会团体等）")
    await user.say("/privacy")
    assert "暂停" not in user.text and "资格自测" in user.text
    await user.say("在青岛市从事工业互联网专业技术工作")  # still the check's answer
    assert "第3题" in user.text
    await user.say("/cancel")
    assert "暂停" not in user.text and "已退出当前操作" in user.text


async def test_english_answers_typed_as_people_write_them(user):
    """"5 years" and "three" are what the English hint offers; "Bachelor's degree" must not become
    the second bachelor's degree, whose label holds those words."""
    await user.say("/lang en")
    await user.say("/eligibility")
    await user.say("Employed")
    await user.say("In Qingdao, industrial internet technical work")
    await user.say("Mainland China resident")
    await user.say("Bachelor's degree")
    assert "Question 4" in user.text  # asked again, not taken as the second bachelor's degree
    await user.say("Bachelor's")
    await user.say("Assistant Engineer")
    await user.say("5 years")
    assert "Question 7" in user.text
    await user.say("seven")
    assert "Question 8" in user.text
    await user.say("cancel")
    assert "Question" not in user.text


async def test_a_question_typed_in_the_middle_is_answered_and_the_check_goes_on(user):
    await user.say("/eligibility")
    await user.press_label("在职（企业、事业单位、社会团体等）")
    await user.press_label("在青岛市，从事工业互联网专业技术工作")
    asked = user.text.splitlines()[-1]
    await user.say("纸质材料交到哪里？")  # no choice of this question: a question the notices answer
    assert "水灵山路188号" in user.last[0].text
    assert "回到“资格自测”" in user.text and asked in user.text  # the same question again
    await user.press_label("内地（大陆）居民")
    await user.say("本科")  # a choice typed as a word is still the dialog's, and the earlier answers stand
    assert "已取得的工程技术类职称" in user.text
    await user.say("随便吧")  # neither a choice nor a question the notices answer
    assert "没有看懂您的选择" in user.text and "水灵山路" not in user.text


async def test_switching_language_in_the_middle_asks_the_current_question_again_in_it(user):
    await user.say("/eligibility")
    await user.press_label("在职（企业、事业单位、社会团体等）")
    replies = await user.say("/lang en")
    confirmation, *question = replies
    assert "reply in English" in confirmation.text and confirmation.buttons == []  # no menu in between
    assert question and "Where do you work" in question[-1].text and "same question in English" in question[-1].text
    labels = [b.text for row in question[-1].buttons for b in row]
    assert not any("在山东" in label for label in labels)  # the choices are in English too
    await user.press(question[-1].buttons[0][0].data)  # the first choice, pressed in English
    assert "Question 3:" in user.text
    plain = await user.say("/lang zh")
    assert "第3题" in plain[-1].text and "已经改用中文" in plain[-1].text  # the same question, answers kept
