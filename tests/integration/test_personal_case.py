"""Personal-case questions: the extractor (vocabulary from knowledge/personal_case.yaml), the answer
with the level's baseline and a 资格自测 button, and the self-check prefilled through the core."""

from __future__ import annotations

import functools
import shutil

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.core.numbers import chinese_to_int
from bot.dialogs.loader import load_dialog
from bot.dialogs.runner import DialogEngine
from bot.knowledge.loader import load_knowledge
from bot.knowledge.personal import check_personal_cases, load_personal_cases, personal_cases_of, prepare
from bot.paths import PROJECT_ROOT
from bot.storage.models import UserNote
from tests.support.helpers import ChatUser

BUTTON = "📝 资格自测（已预填）"
EMPLOYEE = "在职（企业、事业单位、社会团体等）"
IN_SCOPE = "在青岛市，从事工业互联网专业技术工作"
MAINLAND = "内地（大陆）居民"
Q_EDUCATION = "您的最高学历（学位）是？"
Q_TITLE = "您目前已取得的工程技术类职称是？"
Q_YEARS_OF_WORK = "您从事专业技术工作一共满几年了？"
Q_YEARS_IN_TITLE = "取得现有职称到现在满几年了？"


@pytest.fixture(scope="module")
def cases():
    kb = load_knowledge(PROJECT_ROOT)
    return personal_cases_of(PROJECT_ROOT, kb)


# ---- the extractor ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "level", "answers"),
    [
        ("我本科毕业8年能报中级吗", "intermediate", {"education": "bachelor", "years_of_work": 8}),
        ("大专干了10年能评高工不", "deputy_senior", {"education": "college", "years_of_work": 10}),
        ("我是技术员三年了能不能报助理", "assistant", {"current_title": "technician", "years_in_title": 3}),
        ("本科中级满5年能报副高吗", "deputy_senior", {"education": "bachelor", "current_title": "intermediate", "years_in_title": 5}),
        ("硕士毕业十二年可以评高级工程师吗", "deputy_senior", {"education": "master", "years_of_work": 12}),
        ("我大专毕业干了3年半能报助理吗", "assistant", {"education": "college", "years_of_work": 3.5}),
        ("我没有职称，本科工作两年能报助工吗", "assistant", {"current_title": "none", "education": "bachelor", "years_of_work": 2}),
        ("取得中级职称已经6年了可以申报正高吗", "senior", {"current_title": "intermediate", "years_in_title": 6}),
        ("我工作半年能报初级吗", "assistant", {"years_of_work": 0.5}),
        ("我本科畢業八年能報中級嗎", "intermediate", {"education": "bachelor", "years_of_work": 8}),
        ("本科助工几年能报工程师", "intermediate", {"education": "bachelor", "current_title": "assistant"}),
        ("初中学历干了15年能报助工吗", "assistant", {"education": "other", "years_of_work": 15}),
        # general schooling is no 中专; a 技校 diploma's level depends on its class, so it is asked
        ("高中毕业干了10年能报助工吗", "assistant", {"education": "other", "years_of_work": 10}),
        ("技校毕业干了10年能报助工吗", "assistant", {"years_of_work": 10}),
        # a wish to apply asks it too; "almost ten" is not yet ten (nine whole years)
        ("俺是大专 干了快十年了 想评个工程师", "intermediate", {"education": "college", "years_of_work": 9.5}),
        ("本科毕业五年想申报工程师", "intermediate", {"education": "bachelor", "years_of_work": 5}),
        # how long a title is held, said with the verb of getting it
        ("我是本科，助工拿了4年，今年能评中级不", "intermediate", {"education": "bachelor", "current_title": "assistant", "years_in_title": 4}),
        ("中级评上6年了，本科，能报高工吗", "deputy_senior", {"education": "bachelor", "current_title": "intermediate", "years_in_title": 6}),
    ],
)
def test_extractor_reads_level_and_facts(cases, question, level, answers):
    case = cases.detect(question)
    assert case is not None
    assert (case.level, case.answers) == (level, answers)
    assert case.entry_id.startswith("elig-")


@pytest.mark.parametrize(
    ("question", "entry_id"),
    [
        # the 工程师 baseline lists no 中专: a 中专 asker gets the entry that speaks to them
        ("中专毕业的能报工程师么，我干了15年了", "elig-secondary-engineer"),
        ("中专干了12年想评个工程师", "elig-secondary-engineer"),
        ("大专毕业8年能报工程师吗", "elig-intermediate"),
        ("中专毕业8年能报助理工程师吗", "elig-assistant"),
        # no level of the baseline lists 高中 or 初中: the entry on them gives the routes that remain
        ("高中毕业干了10年能报助工吗", "elig-below-secondary"),
        ("初中学历干了20年想评个工程师", "elig-below-secondary"),
    ],
)
def test_an_education_the_baseline_does_not_list_gets_the_entry_on_it(cases, question, entry_id):
    case = cases.detect(question)
    assert case is not None and case.entry_id == entry_id


@pytest.mark.parametrize(
    "question",
    [
        "评审费多少钱",  # not about a level
        "能报中级吗",  # no fact told
        "助工评中级要几年",  # no "can I"
        "本科毕业8年能报技术员吗",  # 员级 is not reviewed here: no entry, the matcher answers
        "我们有中级的也有高级的，能一起报吗",  # an HR contact's staff hold both: no level wanted
        "本科毕业十年了 中级拿了6年 想报副高 流程怎么走",  # a wish, but the question asks for the procedure
        "想评中级",  # a wish and no fact told
        "",
        "？？？",
        "😀😀",
        "能" * 5000,
    ],
)
def test_extractor_leaves_other_questions_alone(cases, question):
    assert cases.detect(question) is None


@pytest.mark.parametrize(
    ("question", "level", "answers"),
    [
        ("我是一级消防工程师，干了6年能评高级工程师吗", "deputy_senior", {"years_of_work": 6}),
        ("我有监理工程师证，本科毕业8年能报中级吗", "intermediate", {"education": "bachelor", "years_of_work": 8}),
        ("有注册电气工程师证，我是工程师满5年，能报高工吗", "deputy_senior", {"current_title": "intermediate", "years_in_title": 5}),
    ],
)
def test_a_qualification_ending_in_a_title_word_is_no_title_held(cases, question, level, answers):
    """Made-up questions: the 工程师 in a qualification's name (一级消防工程师, 注册电气工程师) is part of
    that name, not the 工程师 title; a title named on its own still counts."""
    case = cases.detect(question)
    assert case is not None and case.level == level and case.answers == answers, case


@pytest.mark.parametrize(
    ("question", "answers"),
    [
        ("中专毕业，在工厂做了15年设备维护，可以评什么职称", {"education": "secondary", "years_of_work": 15}),
        ("我是助工，干了6年，能报哪一级", {"current_title": "assistant", "years_of_work": 6}),
        ("本科毕业5年了能评啥", {"education": "bachelor", "years_of_work": 5}),
    ],
)
def test_a_question_that_tells_facts_and_asks_which_level_gets_the_levels_and_the_check(cases, question, answers):
    case = cases.detect(question)
    assert case is not None and case.level is None and case.entry_id == "title-level-names" and case.answers == answers, case


@pytest.mark.parametrize("question", ["能评什么职称", "工程师是几级职称", "本科毕业8年能报中级吗"])
def test_which_level_needs_a_fact_and_no_level_wanted(cases, question):
    """With nothing told about the asker it is a general question; with a level wanted, that level's case."""
    case = cases.detect(question)
    assert case is None or case.level is not None


@pytest.mark.parametrize("question", ["没有助工可以直接评中级吗", "没拿到助工证能直接弄中级吗", "还没有中级，能评副高吗"])
def test_a_level_not_held_tells_nothing_about_the_asker(cases, question):
    """Made-up questions: a negated level (没有助工) is neither held nor wanted."""
    case = cases.detect(question)
    assert case is None or "current_title" not in case.answers, case


@pytest.mark.parametrize(
    ("question", "level", "answers"),
    [
        ("高级工能评助理工程师吗", "assistant", {"skill_level": "senior_worker"}),
        ("我是高级技师，干了五年了，能不能评副高", "deputy_senior", {"skill_level": "senior_technician", "years_of_work": 5}),
        ("技师满3年了能报工程师不", "intermediate", {"skill_level": "technician", "years_in_skill": 3}),
    ],
)
def test_a_skill_grade_is_filled_in_and_leads_to_the_path_from_skills_to_titles(cases, question, level, answers):
    """Made-up questions: 高级工/技师/高级技师 is no title held but a skill grade, which the self-check
    asks about too; when the matcher does not answer, the entry on that path is shown."""
    case = cases.detect(question)
    assert case is not None and (case.level, case.answers) == (level, answers), case
    assert case.entry_id == "policy-skilled-ladder"
    school = cases.detect("我是技师学院预备技师班毕业的，能评助理工程师吗")  # a school, no grade held
    assert school is None or "skill_level" not in school.answers
    for higher in ("特级技师能评正高吗", "我是首席技师，能报高级工程师吗"):  # grades above those the check offers
        above = cases.detect(higher)
        assert above is None or "skill_level" not in above.answers, above


@pytest.mark.parametrize(("text", "value"), [("八", 8), ("十", 10), ("十二", 12), ("二十", 20), ("二十三", 23), ("两", 2), ("十十", None), ("三四", None)])
def test_chinese_numbers(text, value):
    assert chinese_to_int(text) == value


def test_numerals_before_years_become_digits_only_there():
    assert prepare("干了十二年，一下子") == "干了12年,一下子"
    assert prepare("三年半") == "3年半"


def test_vocabulary_is_data(tmp_path):
    root = tmp_path / "content"
    for folder in ("dialogs", "knowledge", "rules"):
        shutil.copytree(PROJECT_ROOT / folder, root / folder)
    path = root / "knowledge" / "personal_case.yaml"
    vocab = yaml.safe_load(path.read_text(encoding="utf-8"))
    kb = load_knowledge(root)
    before = load_personal_cases(root, kb.levels, set(kb.by_id)).detect("大本毕业5年能报中级吗")
    assert before is not None and "education" not in before.answers
    vocab["education"]["bachelor"].append("大本")
    path.write_text(yaml.safe_dump(vocab, allow_unicode=True), encoding="utf-8")
    case = load_personal_cases(root, kb.levels, set(kb.by_id)).detect("大本毕业5年能报中级吗")
    assert case is not None and case.answers == {"education": "bachelor", "years_of_work": 5}
    assert check_personal_cases(root) == []
    vocab["levels"]["intermediate"] = {"title": "engineer", "entry": "no-such-entry"}
    vocab["education"]["phd"] = ["博士后"]
    vocab["skills"]["master_craftsman"] = ["大工匠"]
    vocab["skill_entry"] = "no-such-ladder"
    vocab["which_level_entry"] = "no-such-levels"
    vocab["levels"]["assistant"]["by_education"] = {"diploma": "elig-assistant", "secondary": "no-such-override"}
    path.write_text(yaml.safe_dump(vocab, allow_unicode=True), encoding="utf-8")
    reasons = " | ".join(p.reason for p in check_personal_cases(root))
    assert "'engineer' is not an option" in reasons and "'no-such-entry'" in reasons and "'phd'" in reasons
    assert "'master_craftsman' is not an option of skill_level" in reasons
    assert "'no-such-ladder' does not exist" in reasons and "'no-such-levels' does not exist" in reasons
    assert "'diploma' is not an education of this file" in reasons and "'no-such-override' does not exist" in reasons


# ---- the runner's prefill -----------------------------------------------------------------------
def test_runner_accepts_only_valid_prefilled_answers():
    engine = DialogEngine(load_dialog(PROJECT_ROOT, "eligibility"), "elg", {})
    states = engine.dialog.states
    assert engine.accepts(states["education"], "bachelor")
    assert not engine.accepts(states["education"], "phd")
    assert engine.accepts(states["years_of_work"], 8) and engine.accepts(states["years_of_work"], 0)
    assert not engine.accepts(states["years_of_work"], 51) and not engine.accepts(states["years_of_work"], True)
    assert engine.usable_prefill({"education": "bachelor", "level": "intermediate", "verdict": 1}) == {"education": "bachelor"}
    # a prefilled number is held to the floor an earlier answer sets, as a typed one is
    assert engine.accepts(states["years_of_work"], 8, {"years_in_title": 5})
    assert not engine.accepts(states["years_of_work"], 8, {"years_in_title": 10})


# ---- through the core ---------------------------------------------------------------------------
async def answer_basics(user: ChatUser) -> None:
    for label in (EMPLOYEE, IN_SCOPE, MAINLAND):
        await user.press_label(label)


async def test_personal_question_gets_the_level_rule_and_a_prefilled_check(app, user):
    await user.say("我本科毕业8年能报中级吗")
    text = user.text
    assert text.startswith("按您说的情况（学历本科（学士）、从事技术工作8年），先看申报中级的基本条件")
    assert "取得助理工程师后满4年" in text and "可信度中等" in text  # the baseline entry, its confidence
    assert text.rstrip().splitlines()[-1].startswith("来源：国家基本标准（人社部发〔2019〕16号）")
    assert user.button_labels[0] == BUTTON and user.button_data[1].startswith("kb:up:elig-intermediate:")
    data = user.button_data[0]
    assert data.startswith("elg:pre:") and len(data.encode()) <= 64  # an id only: the facts stay on the server
    await user.press_label(BUTTON)
    assert "已按您问题里说的情况填好：学历本科（学士）、从事技术工作8年" in user.text
    assert "结果里可以看到工程师能不能报" in user.text  # the level asked about
    assert "第1题：您目前的身份是？" in user.text  # the first question asked is one the question did not answer
    await answer_basics(user)
    assert "第5题：" + Q_TITLE in user.text  # education (4) was filled in and skipped
    await user.press_label("没有")
    assert Q_YEARS_OF_WORK not in user.text and "第7题" in user.text  # years of work (6) skipped too
    await user.say("上一步")  # back to a prefilled question: it is asked, and can be changed
    assert "第6题：" + Q_YEARS_OF_WORK in user.text
    await user.say("3")
    assert "第7题" in user.text
    async with app.db.session() as s:
        assert (await s.execute(select(UserNote))).scalars().all() == []  # used up when the check began


async def test_which_level_question_gets_the_levels_and_a_prefilled_check(app, user):
    await user.say("中专毕业，在工厂做了15年设备维护，可以评什么职称")
    assert user.text.startswith("按您说的情况（学历中专、从事技术工作15年），能报哪一级要看好几项条件")
    assert "本次工业互联网评审评四级" in user.text  # the entry on this review's levels
    assert user.button_labels[0] == BUTTON and user.button_data[1].startswith("kb:up:title-level-names:")
    await user.press_label(BUTTON)
    assert "已按您问题里说的情况填好：学历中专、从事技术工作15年" in user.text
    assert "结果里可以看到" not in user.text  # no level was asked about
    assert "第1题：您目前的身份是？" in user.text


async def test_a_sure_specific_answer_stands_with_the_check_offered_below_it(app, user):
    """The matcher is sure the question is about skipping a level: that answer is shown, not the
    baseline of the level asked for, and the self-check is offered under it with the facts told."""
    await user.say("我从来没评过职称，直接报工程师行不行")
    assert "一般要先取得下一级职称" in user.text and "按您说的情况" not in user.text
    assert "您说过的情况（没有职称）已替您填好，只问其余几项。\n\n来源：" in user.text  # the source line stays last
    assert user.button_labels[0] == BUTTON
    await user.say("退休返聘的老工程师可以评正高吗")
    assert user.text.startswith("不能。离退休人员不得参加职称申报评审")


async def test_a_skilled_worker_gets_the_path_from_skills_to_titles_and_the_grade_filled_in(app, user):
    await user.say("我是高级技师，干了五年了，能不能评副高")
    assert user.button_labels[0] == BUTTON
    # the matcher offers a list here; the entry on the path is shown in its place
    assert user.text.startswith("按您说的情况（技能等级高级技师、从事技术工作5年），先看技能人才怎样申报工程技术职称")
    assert "高级技师，满4年 → 高级工程师" in user.text
    await user.press_label(BUTTON)
    assert "已按您问题里说的情况填好：技能等级高级技师、从事技术工作5年" in user.text


async def test_title_and_years_in_title_are_skipped(app, user):
    await user.say("我是技术员三年了能不能报助理")
    assert "申报助理级的基本条件" in user.text
    await user.press_label(BUTTON)
    await answer_basics(user)
    assert "第4题：" + Q_EDUCATION in user.text  # not told: asked
    await user.press_label("大专")
    assert Q_TITLE not in user.text and Q_YEARS_IN_TITLE not in user.text
    assert "第7题" in user.text  # title (5) and its years (6) were told


async def test_a_prefilled_answer_below_an_earlier_one_is_asked_and_the_check_ends_with_a_verdict(app, user):
    """The question told 8 years of work; the check then learns 10 years in the title, which the
    years of work must cover: the prefilled 8 is asked again, not taken into a profile that cannot
    be evaluated."""
    await user.say("我大专毕业干了8年能报中级吗")
    await user.press_label(BUTTON)
    assert "最多" in user.text and "{max_steps}" not in user.text  # the intro names the real number
    await answer_basics(user)
    await user.press_label("助理工程师")
    assert Q_YEARS_IN_TITLE in user.text
    await user.say("10")
    assert Q_YEARS_OF_WORK in user.text  # 8 is below 10: asked, with its floor
    await user.say("8")
    assert Q_YEARS_OF_WORK in user.text
    assert "请输入10到50" in user.text and "请输入0到50" not in user.text  # the refusal and the hint name one range
    await user.say("12")
    for _ in range(12):  # the rest of the check, first button each time, up to the verdict
        if "根据您的回答" in user.text or "系统出了点问题" in user.text:
            break
        await user.press(user.button_data[0])
    assert "根据您的回答" in user.text and "系统出了点问题" not in user.text


async def test_a_second_press_of_the_prefilled_button_goes_on_with_the_same_check(app, user):
    await user.say("我本科毕业8年能报中级吗")
    data = user.button_data[0]
    await user.press(data)
    await answer_basics(user)
    assert "第5题：" + Q_TITLE in user.text
    await user.press(data)  # a double tap, or the old message's button later
    assert "已过期" not in user.text and "第5题：" + Q_TITLE in user.text


async def test_old_or_forged_button_starts_the_check_from_scratch(app, user, clock):
    await user.say("大专干了10年能评高工不")
    data = user.button_data[0]
    clock.advance(hours=25)
    await user.press(data)
    assert "已过期" in user.text and "第1题" in user.text and "已按您问题里说的情况填好" not in user.text
    await user.say("退出")
    await user.say("大专干了10年能评高工不")
    await user.press("elg:pre:forged00")
    assert "已过期" in user.text and "已按您问题里说的情况填好" not in user.text


async def test_prefill_note_is_listed_and_forgotten(app, user):
    await user.say("我本科毕业8年能报中级吗")
    await user.say("/privacy")
    assert "暂存24小时" in user.text
    await user.say("/forget")
    await user.press("forget:yes")
    async with app.db.session() as s:
        assert (await s.execute(select(UserNote))).scalars().all() == []


@pytest.mark.parametrize(("question", "subject"), [("我会计中级5年了能评高级吗", "会计"), ("护士本科5年能报中级吗", "护士"),
                                                 ("我在北京，本科毕业6年能评中级吗", "北京")])
async def test_a_personal_case_of_another_series_or_place_is_told_so_not_given_these_rules(app, user, question, subject):
    """Made-up questions: the facts are there, but about another title series or province, whose
    rules are not this review's; the reply says the question lies outside it, with no self-check."""
    await user.say(question)
    assert f"「{subject}」" in user.text and "按您说的情况" not in user.text
    assert BUTTON not in user.button_labels


async def test_other_questions_get_no_self_check_button(app, user):
    await user.say("评审费多少钱")
    assert BUTTON not in user.button_labels


def test_ask_command_says_what_the_chat_says():
    import json

    from tests.integration.test_knowledge_cli import run_bot

    proc = run_bot("ask", "--json", "我本科毕业8年能报中级吗")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["answered"] and data["entry_id"] == "elig-intermediate"
    assert data["answer"].startswith("按您说的情况（学历本科（学士）、从事技术工作8年）")
    assert data["sources"][0]["confidence"] == "medium"


@functools.lru_cache(maxsize=1)
def _real_content():  # noqa: ANN202
    kb = load_knowledge(PROJECT_ROOT)
    return kb, personal_cases_of(PROJECT_ROOT, kb)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("我本科大专毕业干了工作年半八十二两3.5能报评中级高工助理技术员满已是吗？ 😀a师没有什么哪注册电气消防")), max_size=40))
def test_extractor_never_throws_and_stays_in_range(question):
    kb, detector = _real_content()
    case = detector.detect(question)
    if case is not None:
        assert case.answers and case.entry_id in kb.by_id
        for name, value in case.answers.items():
            if name.startswith("years_"):
                assert 0 <= value <= 50
