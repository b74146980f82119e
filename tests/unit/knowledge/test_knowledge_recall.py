"""Recall for how people type: homophone typos (pinyin), every form of the level names, Chinese
numerals, dialect particles, long questions wrapping one ask in context; and odd input to the
answerer (what ``ask`` and every channel print) stays a clear reply."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.knowledge.answering import standalone_answerer
from bot.knowledge.normalize import Normalizer
from bot.knowledge.runtime import load_runtime
from bot.knowledge.typos import HomophoneFixer, readings
from bot.paths import PROJECT_ROOT

NOW = dt.datetime(2024, 7, 1, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def real():
    return load_runtime(PROJECT_ROOT).matcher


@pytest.fixture(scope="module")
def answerer():
    return standalone_answerer(PROJECT_ROOT)


# ---- homophone typos --------------------------------------------------------------------------


def test_pinyin_table_is_available():
    assert readings()["稍"] & readings()["少"], "多稍钱 needs 稍 and 少 to share a reading"


def test_isolated_homophone_is_corrected_to_known_vocabulary():
    fixer = HomophoneFixer(["评审费多少钱", "网上申报截止时间"], protected={"的"})
    assert fixer.correct("评审费多稍钱") == "评审费多少钱"
    assert fixer.correct("节止时间") == "截止时间"
    # ordinary words the vocabulary lacks are words, not typos
    assert fixer.correct("辞职在家") == "辞职在家"
    assert fixer.correct("德国籍") == "德国籍"
    # a correction must make a whole word of the dictionary: 省工 is only part of 省工业, which the
    # vocabulary holds across a word boundary (山东省工业…), so 升 is a real character here
    fixer = HomophoneFixer(["山东省工业互联网", "助理工程师"], protected={"的"})
    assert fixer.correct("助理工程师升工程师") == "助理工程师升工程师"


def test_a_misheard_word_is_corrected_when_neither_character_is_isolated():
    texts = ["退休人员还能申报吗", "退休返聘", "退休以后", "申报职称", "职称评审", "评审职称"]
    fixer = HomophoneFixer(texts, protected={"的", "了"})
    # 推 and 修 each sit beside a neighbour, so only the pair reads as the word 退休
    assert fixer.correct("已经推修了还能报职成吗") == "已经退休了还能报职称吗"
    # a window that is a dictionary word (互连), or whose character makes a word with the neighbour
    # outside it (修车: 修 belongs there), is left alone
    assert fixer.correct("互连") == "互连"
    assert fixer.correct("推修车") == "推修车"
    # a word the knowledge base uses once or twice is no target: it may be two words' edges there
    assert HomophoneFixer(["退休返聘"], protected={"了"}).correct("已经推修了") == "已经推修了"


@pytest.mark.parametrize(
    ("typed", "entry_id"),
    [
        ("评审费多稍钱", "fee-amounts"),
        ("网上申报节止时间", "online-deadline"),
        ("平审费多少", "fee-amounts"),
        # speech input gets both characters of a word wrong (推修 for 退休, 职成 for 职称)
        ("我去年已经推修了现在返聘还能报职成吗", "scope-excluded-retirees"),
    ],
)
def test_homophone_typos_are_answered(real, typed, entry_id):
    result = real.match(typed)
    assert result.outcome == "answer" and result.entry_id == entry_id, result


def test_correct_questions_are_left_alone(real):
    norm = real.normalizer
    for question in (
        "我父亲已经退休还能评职称吗",
        "辞职在家做自由职业还能报职称吗",
        "评审表一式几份",
        # two words' edges that read like a word of the knowledge base (级不/几步, 员指/原职, 不走/步骤)
        "没得初级职称 可以直接上中级不",
        "中级技术员指什么职称",
        "可以本人直接把评审表拿到401室吗 不走单位",
        "事业单位不评职称是否可以举报",
    ):
        prepared = norm.prepare(question)
        assert real.typos.correct(prepared) == prepared


# ---- level names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "level"),
    [
        ("正高", "senior"),
        ("正高级工程师", "senior"),
        ("教授级高工", "senior"),
        ("教授级高级工程师", "senior"),
        ("副高", "deputy_senior"),
        ("高工", "deputy_senior"),
        ("高级工程师", "deputy_senior"),
        ("中级", "intermediate"),
        ("工程师", "intermediate"),
        ("初级", "assistant"),
        ("助理", "assistant"),
        ("助工", "assistant"),
        ("初级工程师", "assistant"),
    ],
)
def test_every_form_of_a_level_name_names_that_level(real, form, level):
    norm = real.normalizer.normalize(f"评{form}需要什么条件")
    assert [m.level for m in real.levels.find(norm)] == [level]


@pytest.mark.parametrize(
    ("question", "entry_id"),
    [("教授级高级工程师需要什么条件", "elig-senior"), ("申报助理需要什么条件", "elig-assistant")],
)
def test_level_variants_reach_the_level_entry(real, question, entry_id):
    result = real.match(question)
    assert result.best is not None and result.best.entry_id == entry_id, result


# ---- numerals, dialect, context ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("spoken", "written"),
    [("干了八年", "干了8年"), ("三百六十元", "360元"), ("两个人", "2个人"), ("一百零五天", "105天"), ("二十五岁", "25岁")],
)
def test_chinese_numerals_before_a_counter_become_digits(spoken, written):
    assert Normalizer().prepare(spoken) == written


@pytest.mark.parametrize("text", ["一下", "统一", "一建", "二级建造师", "十几年", "三四十岁"])
def test_numerals_that_are_words_or_ranges_stay(text):
    assert Normalizer().prepare(text) == text


@pytest.mark.parametrize("held", ["评上", "拿到"])
def test_getting_a_title_said_in_other_words_reads_as_holding_it(real, held):
    said, written = real.match(f"{held}中级后多久能报高级"), real.match("取得中级后多久能报高级")
    assert said.normalized == written.normalized
    assert said.outcome == "answer" and said.entry_id == "elig-deputy-senior"


def test_a_numeral_question_matches_its_digit_form(real):
    spoken, written = real.match("本科毕业满五年能报中级吗"), real.match("本科毕业满5年能报中级吗")
    assert spoken.normalized == written.normalized
    assert spoken.best is not None and spoken.best.entry_id == "elig-intermediate"


@pytest.mark.parametrize(
    ("dialect", "plain"),
    [("评审费咋个交", "评审费怎么交"), ("俺想报高工撒子条件", "我想报高工什么条件"), ("咱们公司啥子时候截止嘛", "我们单位什么时候截止")],
)
def test_dialect_particles_normalise_like_plain_speech(real, dialect, plain):
    assert real.normalizer.normalize(dialect) == real.normalizer.normalize(plain)


def test_long_context_weighs_unknown_words_less(real):
    short = real.score("纸质评审表统一送还是各自送")
    wrapped = real.score("我是公司人事，领导让我问下，我们这边报了三个人，纸质评审表统一送还是各自送")
    assert short.candidates and wrapped.candidates
    assert wrapped.candidates[0].entry_id == short.candidates[0].entry_id


# ---- odd input to the answerer ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["评" * 10_000, "？？！！。。，，", "😀🎉🙏" * 20, "评审费how much钱？ＯＫ?", "   ", "\u202e评审费\u200b"],
    ids=["10k", "punctuation", "emoji", "mixed-scripts", "blank", "bidi"],
)
def test_odd_questions_get_a_clear_reply(answerer, text):
    reply = answerer.respond(text, NOW)
    assert reply.outcome in {"answer", "suggest", "fallback"}
    assert reply.text.strip() and "Traceback" not in reply.text
    if reply.outcome == "fallback":
        assert "电话" in reply.text  # the office's contacts, not silence


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.sampled_from("评审费多少钱截止时间高工助理八年😀？! abc한글ひらがな"), max_size=60))
def test_any_mix_of_scripts_gets_a_reply(answerer, text):
    reply = answerer.respond(text, NOW)
    assert reply.text.strip()
    if reply.guided:
        assert reply.text.startswith("关于「")


@pytest.mark.parametrize("question", ["职称怎么办理", "如何办理职称"])
def test_how_to_do_it_keeps_its_verb(real, question):
    # 怎么办 (what to do) must not take the first three characters of 怎么办理 (how to apply)
    assert "怎么办理" in real.normalizer.normalize(question)
    result = real.match(question)
    assert result.outcome == "answer" and result.entry_id == "proc-overview", result
