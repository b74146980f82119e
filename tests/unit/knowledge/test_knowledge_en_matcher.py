"""The English matcher: normalisation (synonyms in English, pinyin and Chinese; typos; stems), the
three outcomes on fixed questions, title levels, foreign words, and never raising."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.knowledge.en_runtime import load_english_runtime
from bot.knowledge.en_schema import EnglishSynonymGroup, EnglishSynonymsFile
from bot.knowledge.en_text import EnglishNormalizer
from bot.paths import PROJECT_ROOT


@pytest.fixture(scope="module")
def runtime():
    return load_english_runtime(PROJECT_ROOT)


@pytest.fixture(scope="module")
def matcher(runtime):
    return runtime.matcher


def small_normalizer() -> EnglishNormalizer:
    synonyms = EnglishSynonymsFile(
        synonyms=[
            EnglishSynonymGroup(canonical="senior engineer", variants=["高工", "gaogong", "deputy senior"]),
            EnglishSynonymGroup(canonical="full senior engineer", variants=["正高", "zhenggao", "professor level senior engineer"]),
            EnglishSynonymGroup(canonical="fee", variants=["评审费", "cost"]),
        ],
        stopwords=["the", "how", "is"],
    )
    return EnglishNormalizer(synonyms, ["What are the requirements for applying?", "payment of the review fee"])


def test_synonyms_in_english_pinyin_and_chinese_become_one_token():
    norm = small_normalizer()
    for text in ("gaogong", "高工", "Deputy  Senior", "senior engineer"):
        assert norm.tokens(norm.normalize(text)) == ["senior_engineer"], text
    # a canonical form of several words is one token, so a bare "engineer" stays apart
    assert norm.tokens(norm.normalize("engineer")) == ["engin"]


def test_the_longest_synonym_wins():
    norm = small_normalizer()
    assert norm.normalize("professor level senior engineer") == "full_senior_engineer"
    assert norm.normalize("正高 or 高工") == "full_senior_engineer or senior_engineer"


def test_an_ascii_synonym_fires_only_on_word_boundaries():
    norm = small_normalizer()
    assert "fee" not in norm.normalize("costume").split()
    assert norm.normalize("the cost?") == "the fee"


def test_stems_and_typos():
    norm = small_normalizer()
    assert norm.tokens(norm.normalize("applied")) == norm.tokens(norm.normalize("applying"))
    assert norm.tokens(norm.normalize("requirements")) == norm.tokens(norm.normalize("required"))
    # an unknown word is corrected to a known word with the same first letter
    assert norm.normalize("requirments") == "requirements"
    assert norm.normalize("paymnet") == "payment"
    # short words and words with another first letter are left alone (over is not cover)
    assert norm.normalize("over") == "over"
    assert norm.normalize("equirements") == "equirements"


def test_stop_words_stay_but_are_marked():
    norm = small_normalizer()
    tokens = norm.tokens(norm.normalize("how is the fee"))
    assert tokens == ["how", "is", "the", "fee"]
    assert norm.content_tokens(tokens) == ["fee"]


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("How much is the review fee?", "fee-amounts"),
        ("how much is the 评审费", "fee-amounts"),
        ("zhicheng pingshen fee", "fee-amounts"),
        ("poge conditions", "policy-exceptional"),
        ("requirments for gaogong", "elig-deputy-senior"),
        ("zhenggao requirements", "elig-senior"),
        ("phone number of the office", "contact-phone"),
        ("when is the online deadline", "online-deadline"),
        ("can a foreigner apply", "scope-hk-macao-taiwan-foreign"),
    ],
)
def test_clear_questions_are_answered_directly(matcher, question, entry):
    result = matcher.match(question)
    assert result.outcome == "answer", (question, result.candidates[:3])
    assert result.entry_id == entry


def test_a_level_named_in_the_question_picks_the_entry_written_for_it(matcher):
    for question, entry in (
        ("requirements for assistant engineer", "elig-assistant"),
        ("requirements for intermediate engineer", "elig-intermediate"),
        ("requirements for senior engineer", "elig-deputy-senior"),
        ("requirements for full senior engineer", "elig-senior"),
    ):
        best = matcher.score(question).candidates[0]
        assert best.entry_id == entry, question
        assert best.level_fit == "match"


def _level_normalizer() -> EnglishNormalizer:
    from bot.knowledge.schema import HeldLevelWords

    synonyms = EnglishSynonymsFile(
        synonyms=[
            EnglishSynonymGroup(canonical="intermediate engineer", variants=["intermediate", "intermediate title"]),
            EnglishSynonymGroup(canonical="senior engineer", variants=["gaogong"]),
            EnglishSynonymGroup(canonical="assistant engineer", variants=["junior title"]),
        ],
        levels={"intermediate": "intermediate engineer", "deputy_senior": "senior engineer", "assistant": "assistant engineer"},
        held=HeldLevelWords(before=["after", "getting", "with", "from", "have"], after=["holder"], steps=["to", "until"]),
    )
    return EnglishNormalizer(synonyms)


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("after getting intermediate how long until senior engineer", {"deputy_senior"}),
        ("can I apply for senior engineer with an intermediate title", {"deputy_senior"}),
        ("I have the intermediate title, how many years before gaogong", {"deputy_senior"}),
        # "from" marks assistant only: the words before a mention stop at the previous one
        ("from junior title to intermediate how many years", {"intermediate"}),
        ("intermediate holder applying for gaogong", {"deputy_senior"}),
        # no mark: both are asked about
        ("is senior engineer higher than intermediate engineer", {"deputy_senior", "intermediate"}),
        # every level looks held: none is dropped
        ("from intermediate after gaogong", {"deputy_senior", "intermediate"}),
        ("after getting intermediate what next", {"intermediate"}),
    ],
)
def test_a_level_the_asker_holds_is_not_the_one_asked_about(question, asked):
    norm = _level_normalizer()
    assert norm.asked_levels(norm.tokens(norm.normalize(question))) == asked


def test_a_held_level_question_gets_the_entry_of_the_level_asked_about(matcher):
    for question in (
        "after getting intermediate how long until senior engineer",
        "how many years after the intermediate title can I go for senior title",
    ):
        candidates = matcher.score(question).candidates
        assert candidates[0].entry_id == "elig-deputy-senior", question
        # the held level's own entry never outranks it, and no entry for it counts as a match
        assert all(c.level_fit != "match" or c.entry_id != "elig-intermediate" for c in candidates)


def test_two_close_entries_give_suggestions_not_a_guess(matcher):
    result = matcher.match("continuing education hours")
    assert result.outcome == "suggest"
    assert {"policy-ce-hours", "policy-ce-shortfall"} <= set(result.offered)


@pytest.mark.parametrize("question", ["what is the weather in qingdao", "how do I renew my visa", "tell me a joke", "hello"])
def test_questions_about_something_else_are_not_answered(matcher, question):
    assert matcher.match(question).outcome != "answer"


def test_a_foreign_word_the_entry_never_mentions_blocks_a_direct_answer(matcher):
    scored = matcher.score("accountant title fee")
    # the stem of accountant is account (proc-register's word): the check reads whole words
    assert scored.candidates and not any(c.explains_foreign for c in scored.candidates)
    assert matcher.decide(scored).outcome != "answer"


def test_an_entry_phrasing_is_answered_exactly(matcher, runtime):
    entry = runtime.kb.by_id["qq-group"]
    result = matcher.match(entry.alternatives[0].upper() + "??")
    assert result.outcome == "answer" and result.exact and result.entry_id == "qq-group"


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400))
def test_match_never_raises(matcher, text):
    result = matcher.match(text)
    assert result.outcome in {"answer", "suggest", "fallback"}


@pytest.mark.parametrize("text", ["", "   ", "???!!!", "😀😀", "1234 5678", "x" * 10_000, "评审费" * 500])
def test_odd_input_is_safe(matcher, text):
    assert matcher.match(text).outcome in {"answer", "suggest", "fallback"}


def test_the_english_runtime_is_built_once_per_file_state(runtime):
    assert load_english_runtime(Path(PROJECT_ROOT)) is runtime


@pytest.mark.parametrize("question", ["ok", "OK!", "thanks", "what is it", "hello there"])
def test_a_message_of_stop_words_only_matches_nothing(matcher, question):
    """"ok" shares a word with one phrasing ("…, still ok?") but asks nothing: no entry is offered,
    as the Chinese matcher offers none for 你是谁 or 有人吗."""
    assert matcher.score(question).candidates == []
