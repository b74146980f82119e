"""The matcher: three outcomes on a fixed knowledge base, exact path, and never raising."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.knowledge.loader import load_knowledge
from bot.knowledge.matcher import Matcher
from bot.knowledge.runtime import load_runtime
from bot.paths import PROJECT_ROOT
from tests.support.kb_fixtures import write_knowledge


@pytest.fixture(scope="module")
def matcher(tmp_path_factory) -> Matcher:
    return Matcher(load_knowledge(write_knowledge(tmp_path_factory.mktemp("kb"))))


@pytest.fixture(scope="module")
def real() -> Matcher:
    return load_runtime(PROJECT_ROOT).matcher


@pytest.mark.parametrize(
    ("question", "entry_id"),
    [
        ("评审费多少钱", "fee-amounts"),
        ("評審費是多少？", "fee-amounts"),
        ("请问高级职称的评审费多少呀", "fee-amounts"),
        ("网上申报啥时候截至", "online-deadline"),
        ("纸质材料寄到哪里", "paper-address"),
        ("评审费怎么交", "fee-payment"),
    ],
)
def test_clear_questions_are_answered(matcher, question, entry_id):
    result = matcher.match(question)
    assert result.outcome == "answer", result
    assert result.entry_id == entry_id


def test_exact_phrasing_is_answered_even_with_punctuation_and_width(matcher):
    result = matcher.match("　評審費交給誰？？")
    assert result.exact and result.outcome == "answer" and result.entry_id == "fee-payment"


def test_ambiguous_question_gets_suggestions(matcher):
    result = matcher.match("评审费")
    assert result.outcome == "suggest", result
    assert {c.entry_id for c in result.candidates[:3]} >= {"fee-amounts", "fee-payment"}


@pytest.mark.parametrize("question", ["今天天气怎么样", "你是谁", "hello world", "年龄有限制吗", "1234567"])
def test_unrelated_questions_fall_back(matcher, question):
    assert matcher.match(question).outcome == "fallback"


def test_near_topic_question_is_not_answered_confidently(matcher):
    # the fixture has no refund entry: sharing 评审费 must not be enough for a direct answer
    result = matcher.match("评审费没通过能退吗")
    assert result.outcome != "answer", result


def test_candidates_carry_signals(matcher):
    best = matcher.match("评审费多少钱").best
    assert best is not None and 0 <= best.coverage <= 1 and 0 <= best.fuzzy <= 1 and best.bm25 > 0


def test_issue_examples_on_the_real_knowledge_base(real):
    assert real.match("评审费多少钱").entry_id == "fee-amounts"
    for trap in ("今天天气怎么样", "帮我写一首诗"):
        assert real.match(trap).outcome == "fallback", trap


ODD = [
    "",
    " ",
    "\x00",
    "x" * 10_000,
    "评" * 10_000,
    "😀" * 50,
    "\u202e\u200b\ufeff",
    "\ud800",
    "?？！!。",
    "<script>alert(1)</script>",
    "0532-85161632 370202199001011234",
    "ａｂｃ１２３",
]


@pytest.mark.parametrize("text", ODD)
def test_odd_strings_never_raise(matcher, real, text):
    for m in (matcher, real):
        result = m.match(text)
        assert result.outcome in {"answer", "suggest", "fallback"}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=400))
def test_matcher_never_raises_on_any_string(real, text):
    result = real.match(text)
    assert result.outcome in {"answer", "suggest", "fallback"}
    # and the scoring itself (not only the guarded entry point) copes with the string
    real.score(text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=1000, max_size=12_000))
def test_matcher_never_raises_on_long_strings(real, text):
    real.score(text)


def test_results_are_remembered_per_question_and_the_memory_is_bounded(matcher):
    from bot.knowledge.matcher import Matcher

    matcher = Matcher(matcher.kb, memory=5)
    first = matcher.match("评审费多少钱")
    assert matcher.match("评审费多少钱") is first  # answered from memory
    for i in range(20):
        matcher.match(f"问题{i}")
    assert len(matcher._memory) == 5
    assert "评审费多少钱" not in matcher._memory  # the least recently asked went first
    again = matcher.match("评审费多少钱")
    assert again == first and again is not first  # scored afresh, same outcome
    forgetful = Matcher(matcher.kb, memory=0)  # what benchmarks/matcher.py times
    assert forgetful.match("评审费多少钱") == first and forgetful.match("评审费多少钱") is not forgetful.match("评审费多少钱")
