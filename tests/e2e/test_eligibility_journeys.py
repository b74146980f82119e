"""资格自测 through Telegram (the Bot API emulator) against the real bot process, for aiogram and PTB.

The applicant opens the check from the menu button or ``/eligibility``, answers with buttons and a
typed number, and gets a verdict naming the open level, the "以附件1为准" note and the source line.
A typed invalid number is asked again with the reason; a kill -9 in the middle of the dialog loses
nothing: after a restart on the same database the button the user is looking at still works.

One bot process per framework serves the module (aiogram takes seconds to start); each test uses a
fresh user. Questions and labels come from ``dialogs/eligibility.yaml`` and its texts.
"""

from __future__ import annotations

import pytest
import pytest_asyncio

from tests.e2e.conftest import count_rows, start_bot
from tests.support.emulator import TgUser, button_data

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(120)]

STALE = "该按钮已失效"
EMPLOYEE = "在职（企业、事业单位、社会团体等）"
IN_SCOPE = "在青岛市，从事工业互联网专业技术工作"
MAINLAND = "内地（大陆）居民"
BACHELOR = "本科（学士）"
ASSISTANT = "助理工程师"
NAV = ["⬅ 上一步", "🔄 重新开始", "✖ 退出"]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot(emulator, framework, tmp_path_factory):
    proc = await start_bot(emulator, framework, tmp_path_factory.mktemp(f"elg-{framework}"))
    yield proc
    await proc.stop()


def dialog_step(bot, user: TgUser) -> str | None:
    """The step stored for the user's dialog, read from the bot's SQLite file (None: no dialog)."""
    import sqlite3

    with sqlite3.connect(bot.db_path) as conn:
        row = conn.execute(
            "SELECT d.step FROM dialog_states d JOIN users u ON u.id = d.user_id "
            "WHERE u.channel='telegram' AND u.external_id=?",
            (str(user.id),),
        ).fetchone()
    return None if row is None else row[0]


async def choose(user: TgUser, question: dict, label: str, expect: int = 1) -> list[dict]:
    """Press the button ``label`` of ``question``; the press must be honoured (no stale toast), the
    question edited to show the answer, and ``expect`` new messages follow."""
    buttons = button_data(question)
    assert label in buttons, (label, list(buttons))
    answer = await user.press(question, buttons[label])
    assert STALE not in (answer.get("text") or "")
    replies = await user.replies(expect)
    edited = user.emu.messages[(user.id, question["message_id"])]
    assert f"✅ {label}" in edited["text"]  # the pressed question now shows the answer
    return replies


async def up_to_years_in_title(user: TgUser, first: dict) -> dict:
    """Answer questions 1–5 (employee, in scope, mainland, 本科, 助理工程师); returns question 6."""
    question = first
    for label in (EMPLOYEE, IN_SCOPE, MAINLAND, BACHELOR, ASSISTANT):
        (question,) = await choose(user, question, label)
    assert "第6题：取得现有职称到现在满几年了" in question["text"]
    assert not [b for b in button_data(question) if b not in NAV]  # a typed answer: only navigation
    return question


async def finish_after_years(user: TgUser, question: dict, number: int = 8) -> tuple[dict, dict]:
    """The 专精特新 question (numbered ``number``) and the rest: no 专精特新, no skill, no
    qualification, CE met; returns the two verdict messages."""
    assert f"第{number}题" in question["text"]
    (skill,) = await choose(user, question, "否/不清楚")
    assert f"第{number + 1}题" in skill["text"]
    (qualification,) = await choose(user, skill, "没有")
    (ce,) = await choose(user, qualification, "没有/不清楚")
    summary, details = await choose(user, ce, "每年都达标", expect=2)
    return summary, details


async def answer_years_of_work(user: TgUser, years: str) -> dict:
    """Question 7 (years of work, asked with a title too); returns question 8."""
    (q7,) = await user.say(years)
    assert "第7题：您从事专业技术工作一共满几年了" in q7["text"]
    (q8,) = await user.say(years)
    return q8


def assert_engineer_verdict(summary: dict, details: dict) -> None:
    text = summary["text"]
    assert "您可以申报：工程师" in text
    assert "• 工程师（中级）— 常规申报" in text
    assert "以附件1为准" in text
    source_lines = [line for line in text.splitlines() if line.strip().startswith("依据：")]
    assert source_lines and "人社部发〔2019〕16号" in source_lines[0]
    assert "评审费160元/人" in text
    assert "以上结果仅供参考" in details["text"] and "材料清单" in details["text"]
    # the bot runs on today's date, after the 2024 deadline: word of the next notice, not a reminder
    assert list(button_data(details)) == ["🔄 重新自测", "🔔 订阅通知公告"]
    assert "本年度的网上申报已经截止" in details["text"]


async def test_menu_button_buttons_and_a_typed_number_lead_to_the_verdict(bot, tg_user):
    _, menu = await tg_user.say("/start", expect=2)
    answer = await tg_user.press(menu, button_data(menu)["资格自测"])
    assert STALE not in (answer.get("text") or "")
    (first,) = await tg_user.replies(1)
    assert "第1题：您目前的身份是？" in first["text"] and "最多14题" in first["text"]
    assert list(button_data(first))[-3:] == NAV
    q6 = await up_to_years_in_title(tg_user, first)
    q8 = await answer_years_of_work(tg_user, "4")
    summary, details = await finish_after_years(tg_user, q8)
    assert_engineer_verdict(summary, details)
    assert dialog_step(bot, tg_user) is None  # answers are not kept after the verdict
    # the old question's buttons are stale now
    answer = await tg_user.press(q6, button_data(q6)["⬅ 上一步"])
    assert STALE in (answer.get("text") or "")


async def test_a_typed_invalid_number_is_asked_again_with_the_reason(bot, tg_user):
    (first,) = await tg_user.say("/eligibility")
    await up_to_years_in_title(tg_user, first)
    for bad in ("abc", "51", "好几年", "-1"):
        (again,) = await tg_user.say(bad)
        assert "请输入0到50之间的整数。" in again["text"], bad
        assert "第6题" in again["text"] and "第7题" not in again["text"], bad
        assert dialog_step(bot, tg_user) == "years_in_title", bad
    (q7,) = await tg_user.say("三年半")
    assert "第7题" in q7["text"] and "年限只算满的整年，已按3年记下" in q7["text"]
    assert dialog_step(bot, tg_user) == "years_of_work"


async def test_a_technician_with_a_bachelor_degree_is_told_assistant_is_open(bot, tg_user):
    """本科 + 技术员 held 3 years: once refused 助理 because years of work were never asked."""
    (question,) = await tg_user.say("/eligibility")
    for label in (EMPLOYEE, IN_SCOPE, MAINLAND, BACHELOR, "技术员"):
        (question,) = await choose(tg_user, question, label)
    assert "第6题：取得现有职称到现在满几年了" in question["text"]
    q8 = await answer_years_of_work(tg_user, "3")
    summary, details = await finish_after_years(tg_user, q8)
    text = summary["text"]
    assert "您可以申报：助理工程师" in text and "暂时还不符合" not in text
    assert "• 助理工程师（助理级）— 常规申报" in text
    assert "以上结果仅供参考" in details["text"]


async def test_hong_kong_bachelor_with_six_years_gets_an_estimate(bot, tg_user):
    """港澳台, 本科, no title, 6 years: 助理 and (estimated) 工程师, never 正高; the office confirms."""
    (question,) = await tg_user.say("/eligibility")
    for label in (EMPLOYEE, IN_SCOPE, "港澳台居民", BACHELOR, "没有"):
        (question,) = await choose(tg_user, question, label)
    assert "第6题：您从事专业技术工作一共满几年了" in question["text"]
    (q7,) = await tg_user.say("6")
    summary, details = await finish_after_years(tg_user, q7, number=7)
    text = summary["text"]
    assert "您可以申报：助理工程师、工程师" in text
    assert "• 工程师（中级）— 常规申报（估算，须向办事机构确认）" in text
    assert "正高级工程师" not in text and "高级工程师" not in text
    assert "没有说明这类申报人的工作年限怎样计算" in details["text"] and "0532-85161632" in details["text"]


async def test_a_retiree_is_told_at_once(bot, tg_user):
    (first,) = await tg_user.say("/eligibility")
    (verdict, _details) = await choose(tg_user, first, "离退休人员", expect=2)
    assert "不能申报" in verdict["text"] and "依据：" in verdict["text"]
    assert dialog_step(bot, tg_user) is None


async def test_kill_9_in_the_middle_of_the_dialog_then_restart_and_continue(bot, emulator, tg_user):
    """One crash, two users: one presses the button shown before the crash, one sends /eligibility."""
    (first,) = await tg_user.say("/eligibility")
    question = first
    for label in (EMPLOYEE, IN_SCOPE, MAINLAND):
        (question,) = await choose(tg_user, question, label)
    assert "第4题" in question["text"]
    assert dialog_step(bot, tg_user) == "education"
    other = TgUser(emulator, tg_user.id + 500_000)
    (other_first,) = await other.say("/eligibility")
    (other_q2,) = await choose(other, other_first, "自由职业者")
    assert "第2题" in other_q2["text"]

    await bot.kill9()  # no cleanup at all
    await bot.start()  # a new process on the same SQLite file

    (q5,) = await choose(tg_user, question, BACHELOR)  # the button seen before the crash still works
    assert "第5题" in q5["text"]
    await choose(tg_user, q5, ASSISTANT)
    q8 = await answer_years_of_work(tg_user, "4")
    summary, details = await finish_after_years(tg_user, q8)
    assert_engineer_verdict(summary, details)
    assert count_rows(bot.db_path, "SELECT count(*) FROM dialog_states d JOIN users u ON u.id=d.user_id "
                      "WHERE u.external_id=?", str(tg_user.id)) == 0

    (resumed,) = await other.say("/eligibility")
    assert "继续您上次没有完成" in resumed["text"] and "第2题" in resumed["text"]
    (q3,) = await choose(other, resumed, IN_SCOPE)
    assert "第3题" in q3["text"]
    assert dialog_step(bot, other) == "origin"


async def test_a_personal_case_question_offers_the_check_prefilled(bot, tg_user):
    """我本科毕业8年能报中级吗 → the 中级 rule with its source and a 资格自测 button; pressing it starts
    the check with education and years of work filled in: they are never asked."""
    (reply,) = await tg_user.say("我本科毕业8年能报中级吗")
    assert "申报中级的基本条件" in reply["text"] and "取得助理工程师后满4年" in reply["text"]
    assert reply["text"].rstrip().splitlines()[-1].startswith("来源：")
    buttons = button_data(reply)
    data = buttons["📝 资格自测（已预填）"]
    assert data.startswith("elg:pre:") and len(data.encode()) <= 64
    answer = await tg_user.press(reply, data)
    assert STALE not in (answer.get("text") or "")
    (first,) = await tg_user.replies(1)
    assert "已按您问题里说的情况填好：学历本科（学士）、从事技术工作8年" in first["text"]
    assert "第1题：您目前的身份是？" in first["text"]  # a question the question did not answer
    question = first
    for label in (EMPLOYEE, IN_SCOPE, MAINLAND):
        (question,) = await choose(tg_user, question, label)
    assert "第5题：您目前已取得的工程技术类职称是？" in question["text"]  # 学历 (4) skipped
    (question,) = await choose(tg_user, question, "没有")
    assert "满几年" not in question["text"] and "第7题" in question["text"]  # years of work (6) skipped
    assert dialog_step(bot, tg_user) == "zjtx_enterprise"


async def test_sigterm_leaves_no_errors_in_the_log(bot):
    assert await bot.stop() == 0
    log = bot.log_path.read_text(errors="replace")
    assert "Traceback" not in log
    assert [line for line in log.splitlines() if " ERROR " in line] == []
