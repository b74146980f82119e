"""A question that counts applicants per level (我们单位3个人报中级) gets, under the fees per person,
what they pay together, at the fees of the cycle in force; any other question gets the fees alone.

The questions are made up for this test; none comes from the question sets."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.knowledge.answering import Answerer, standalone_answerer
from bot.knowledge.en_runtime import EnglishAnswerer, standalone_english_answerer
from bot.knowledge.headcounts import ENGLISH, headcounts
from bot.paths import PROJECT_ROOT
from bot.reference.cycles import CycleCalendar

NOW = dt.datetime(2024, 7, 1, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def zh() -> Answerer:
    return standalone_answerer(PROJECT_ROOT)


@pytest.fixture(scope="module")
def en() -> EnglishAnswerer:
    return standalone_english_answerer(PROJECT_ROOT)


def _counts(answerer: Answerer, question: str, patterns=None) -> dict[str, int]:  # noqa: ANN001
    matcher = answerer.matcher
    normalized = matcher.score(question).normalized
    return headcounts(normalized, matcher.level_mentions(normalized), patterns or answerer.headcount_patterns)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("我们单位3个人报中级，评审费一共多少钱", {"intermediate": 3}),
        ("两个人报副高一个报中级总共交多少评审费", {"deputy_senior": 2, "intermediate": 1}),
        ("单位有三个中级两个副高，评审费总共多少", {"intermediate": 3, "deputy_senior": 2}),
        ("中级5人、高级2人，一共要交多少钱", {"intermediate": 5, "deputy_senior": 2}),
        ("报助工的有十二个人，费用合计多少", {"assistant": 12}),
        ("3个人都想报中级，评审费多少", {"intermediate": 3}),
        # the count that stands next to the level, not the size of the firm
        ("我们公司有100人，报中级的2个人，一共多少钱", {"intermediate": 2}),
    ],
)
def test_the_people_counted_per_level_are_read(zh: Answerer, question: str, expected: dict[str, int]) -> None:
    assert _counts(zh, question) == expected


@pytest.mark.parametrize(
    "question",
    ["中级评审费多少", "取得中级5年报高级要交多少钱", "1个人报中级多少钱", "评审费一共多少钱", "中级3年了报副高多少钱"],
)
def test_a_question_that_counts_no_group_gets_no_total(zh: Answerer, question: str) -> None:
    assert _counts(zh, question) == {}


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("two colleagues for senior engineer and one for assistant engineer: total review fee", {"deputy_senior": 2, "assistant": 1}),
        ("total fee for 3 intermediate engineer applicants", {"intermediate": 3}),
        ("intermediate engineer 4 people, what is the fee in all", {"intermediate": 4}),
    ],
)
def test_english_counts_are_read(en: EnglishAnswerer, question: str, expected: dict[str, int]) -> None:
    assert _counts(en, question, ENGLISH) == expected


def _fees() -> dict[str, int]:
    cycle = CycleCalendar.load(PROJECT_ROOT).in_force(NOW.year)
    assert cycle is not None
    return cycle.fees.yuan


@pytest.mark.parametrize(
    ("lang", "question", "people", "total_text", "source_line"),
    [
        ("zh", "两个人报副高一个报中级总共交多少评审费", {"deputy_senior": 2, "intermediate": 1}, "合计{total}元", "来源："),
        (
            "en",
            "two colleagues for senior engineer and one for assistant engineer: total review fee",
            {"deputy_senior": 2, "assistant": 1},
            "{total} yuan in all",
            "Source: ",
        ),
    ],
)
def test_the_fee_answer_adds_up_the_group_from_the_cycle_fees(
    request: pytest.FixtureRequest, lang: str, question: str, people: dict[str, int], total_text: str, source_line: str
) -> None:
    answerer = request.getfixturevalue(lang)
    fees = _fees()
    reply = answerer.respond(question, NOW)
    assert reply.entry_id == "fee-amounts"
    expected = total_text.format(total=sum(fees[level] * n for level, n in people.items()))
    assert expected in reply.text
    # the total sits above the source line, which stays last
    assert reply.text.index(expected) < reply.text.index(source_line)
    assert lang == "zh" or "合计" not in reply.text


def test_the_fee_answer_without_a_group_has_no_total(zh: Answerer) -> None:
    reply = zh.respond("评审费多少钱", NOW)
    assert reply.entry_id == "fee-amounts"
    assert "合计" not in reply.text
