"""A person's circumstances (``situation_words``: 产假, 辞退, 社保…) beside whether one may apply are
this review's questions on a case the notices do not rule on, not another review's matter; without
that ask they stay foreign like any other matter.

The questions are made up for this test; none comes from the question sets."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.knowledge.answering import Answerer
from bot.knowledge.en_runtime import EnglishAnswerer, load_english_runtime
from bot.knowledge.runtime import load_runtime
from bot.paths import PROJECT_ROOT
from bot.reference.cycles import CycleCalendar

NOW = dt.datetime(2024, 7, 1, 10, 0, tzinfo=dt.UTC)


def _keys(key: str, **values: object) -> str:
    if key == "knowledge.subject_separator":
        return " / "
    return f"{key}|{values.get('subject', '')}"


@pytest.fixture(scope="module")
def zh() -> Answerer:
    return Answerer(load_runtime(PROJECT_ROOT), _keys, CycleCalendar.load(PROJECT_ROOT))


@pytest.fixture(scope="module")
def en() -> EnglishAnswerer:
    return EnglishAnswerer(load_english_runtime(PROJECT_ROOT), _keys, CycleCalendar.load(PROJECT_ROOT))


@pytest.mark.parametrize(
    ("question", "subject"),
    [("休产假期间还能申报吗", "产假"), ("被单位辞退了可以评职称吗", "辞退"), ("停薪留职的人能不能申报", "停薪留职")],
)
def test_a_circumstance_beside_may_i_apply_gets_the_situation_fallback(zh, question, subject):
    reply = zh.respond(question, NOW)
    assert reply.outcome == "fallback" and reply.offers_self_check
    assert reply.text == f"knowledge.fallback_situation|{subject}"


@pytest.mark.parametrize("question", ["员工离职了，评审表退回来给谁", "员工被辞退了，已经交的评审费怎么办"])
def test_a_circumstance_beside_another_question_on_the_review_gets_the_ordinary_fallback(zh, question):
    # no direct answer (no entry speaks of the circumstance), but no "outside this review" either:
    # the related topics may hold what is asked
    reply = zh.respond(question, NOW)
    assert reply.outcome == "fallback" and not reply.offers_self_check and reply.foreign == ()
    assert reply.text.startswith("knowledge.fallback_related") and reply.suggestions


@pytest.mark.parametrize("question", ["加班费怎么算", "产假有几天", "会计职称能申报吗"])
def test_without_the_ask_or_with_another_series_it_stays_another_matter(zh, question):
    reply = zh.respond(question, NOW)
    assert reply.outcome == "fallback" and not reply.offers_self_check
    assert reply.text.startswith("knowledge.fallback_other_subject|")


def test_an_entry_that_explains_the_word_still_answers(zh):
    # the entry on applicants from the whole province says the notice sets no household condition
    reply = zh.respond("户口不在青岛能申报吗", NOW)
    assert reply.outcome == "answer" and reply.entry_id == "scope-province-wide-applicants"
    assert not reply.offers_self_check


def test_english_reads_the_same_way(en):
    reply = en.respond("can I still apply while on maternity leave", NOW)
    assert reply.outcome == "fallback" and reply.offers_self_check
    assert reply.text == "knowledge.fallback_situation|maternity"
    other = en.respond("how is overtime paid", NOW)
    assert not other.offers_self_check and other.text.startswith("knowledge.fallback_other_subject|")


@pytest.mark.parametrize(
    "question", ["I'm a foreigner with a normal work permit, can I apply?", "I am on a work visa, can I apply for the title?"]
)
def test_a_foreigner_s_permit_is_a_circumstance_not_another_review(en, question):
    reply = en.respond(question, NOW)
    assert reply.offers_self_check and reply.text.startswith("knowledge.fallback_situation|")


def test_a_doctor_degree_is_a_doctorate_not_another_profession(en):
    # "doctor" once named physicians among the foreign words, which sent doctorates away
    reply = en.respond("I have a doctor degree, can I apply for engineer directly?", NOW)
    assert reply.foreign == () and not reply.text.startswith("knowledge.fallback_other_subject")
    assert en.matcher.normalizer.normalize("doctor degree") == en.matcher.normalizer.normalize("PhD")


def test_several_subjects_are_joined_by_the_language_separator(en):
    reply = en.respond("visa and tax rules for engineers", NOW)
    assert reply.text == "knowledge.fallback_other_subject|visa / tax"
