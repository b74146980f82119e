"""Leave-out scoring: a tuning question is scored as if no phrasing had been written from it."""

from __future__ import annotations

import pytest

from bot.knowledge.evaluate import DevQuestion
from bot.knowledge.leave_out import near_phrasings, score_left_out, without
from bot.knowledge.runtime import load_runtime
from bot.paths import PROJECT_ROOT


@pytest.fixture(scope="module")
def matcher():
    return load_runtime(PROJECT_ROOT).matcher


def _an_alternative(matcher) -> tuple[int, int, str]:
    """An entry's alternative that is answered as a near-verbatim phrasing with the full base."""
    for e, entry in enumerate(matcher.kb.entries):
        for p, phrasing in enumerate(entry.questions[1:], start=1):
            if matcher.score(phrasing).exact:
                return e, p, phrasing
    raise AssertionError("no alternative is matched exactly")


def test_a_phrasing_finds_itself_and_an_unrelated_question_nothing(matcher):
    e, p, phrasing = _an_alternative(matcher)
    assert (e, p) in near_phrasings(matcher, phrasing)
    assert near_phrasings(matcher, "今天青岛下雨吗，带不带伞") == frozenset()


def test_without_drops_the_phrasings_and_keeps_every_entry_findable(matcher):
    kb = matcher.kb
    e, p, phrasing = _an_alternative(matcher)
    other = len(kb.entries) - 1 if e != len(kb.entries) - 1 else 0
    first = kb.entries[other]
    every_phrasing_of_other = frozenset((other, i) for i in range(len(first.questions)))
    smaller = without(kb, frozenset({(e, p)}) | every_phrasing_of_other)
    assert phrasing not in smaller.entries[e].questions
    assert len(smaller.entries[e].questions) == len(kb.entries[e].questions) - 1
    # an entry that would lose all its phrasings keeps its standard question
    assert smaller.entries[other].questions == [first.question]
    # the original is untouched
    assert phrasing in kb.entries[e].questions and smaller.entries[e].answer == kb.entries[e].answer


def test_a_verbatim_phrasing_is_no_longer_an_exact_match_when_left_out(matcher):
    _, _, phrasing = _an_alternative(matcher)
    pairs = [("a.yaml", DevQuestion(q=phrasing, expect=None)), ("a.yaml", DevQuestion(q="今天青岛下雨吗，带不带伞"))]
    cases, stats = score_left_out(matcher, pairs)
    assert [c.question for c in cases] == [phrasing, "今天青岛下雨吗，带不带伞"]
    assert cases[0].scored.exact is False and matcher.score(phrasing).exact is True
    assert stats["questions_leaving_out"] == 1 and stats["phrasings_left_out"] >= 1
