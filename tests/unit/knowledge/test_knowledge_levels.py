"""Level-aware matching: a question that names a title level gets the entry for that level.

The real knowledge base is used for behaviour (its four eligibility entries differ almost only in
the level), the fixture knowledge base for content validation.
"""

from __future__ import annotations

import copy
import dataclasses
import shutil

import pytest
import yaml

from bot.knowledge.levels import LevelDetector, fit
from bot.knowledge.loader import check_knowledge, load_knowledge
from bot.knowledge.matcher import Candidate, Matcher, lead_with_a_fitting_level
from bot.knowledge.runtime import load_runtime
from bot.knowledge.schema import LevelsFile
from bot.paths import PROJECT_ROOT
from tests.support.kb_fixtures import ENTRIES, write_knowledge

LEVELS_YAML = PROJECT_ROOT / "knowledge" / "levels.yaml"


@pytest.fixture(scope="module")
def real() -> Matcher:
    return load_runtime(PROJECT_ROOT).matcher


@pytest.fixture(scope="module")
def blind(real) -> Matcher:
    """The same knowledge base and index with no level vocabulary: what the matcher did before."""
    return Matcher(dataclasses.replace(real.kb, levels=LevelsFile()))


def named(matcher: Matcher, question: str) -> list[str]:
    norm = matcher.normalizer.normalize(question)
    return [m.level for m in matcher.levels.find(norm)]


# ---- detection ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "levels"),
    [
        ("助工要几年", ["assistant"]),
        ("初级职称怎么评", ["assistant"]),
        ("助理级评审", ["assistant"]),
        ("评工程师要什么学历", ["intermediate"]),
        ("中级职称", ["intermediate"]),
        ("高工要几年", ["deputy_senior"]),
        ("副高级职称", ["deputy_senior"]),
        ("评高级要什么学历", ["deputy_senior"]),  # 高级 alone is read as 副高级
        ("正高级工程师学历要求", ["senior"]),  # not 高级工程师
        ("教授级高工怎么评", ["senior"]),
        ("员级有没有", ["junior"]),
        ("工程师几年能评高工", ["intermediate", "deputy_senior"]),
        # skill grades and other words that merely contain a level word
        ("高级工几年能报助理工程师", ["assistant"]),
        ("高级技师能评吗", []),
        ("数字技术工程师证书", []),
        ("评审费多少钱", []),
    ],
)
def test_levels_named_in_a_question(real, question, levels):
    assert named(real, question) == levels


def test_fit_of_declared_levels():
    assert fit([], {"senior"}) == "neutral"
    assert fit(["senior"], set()) == "neutral"
    assert fit(["senior"], {"senior", "intermediate"}) == "match"
    assert fit(["deputy_senior", "senior"], {"senior"}) == "match"
    assert fit(["intermediate"], {"senior"}) == "conflict"


def test_detector_without_vocabulary_finds_nothing(real):
    detector = LevelDetector(None, real.normalizer)
    assert detector.find(real.normalizer.normalize("中级要什么学历")) == []


# ---- ranking and outcome on the real knowledge base -----------------------------------------

ANSWERED = [
    ("中级职称需要什么学历", "elig-intermediate"),
    ("助理工程师要什么学历", "elig-assistant"),
    ("副高需要什么学历条件", "elig-deputy-senior"),
    ("中级要工作几年", "elig-intermediate"),
]
#: the right entry comes first, but an entry that holds for every level (policy-annex1-standard,
#: policy-skilled-ladder) is too close for a direct answer: the level does not tell them apart
SUGGESTED_FIRST = [
    ("正高级工程师学历要求", "elig-senior"),
    ("评高级工程师需要几年工作经验", "elig-deputy-senior"),
]


@pytest.mark.parametrize(("question", "entry_id"), ANSWERED)
def test_level_questions_are_answered_with_the_named_level(real, question, entry_id):
    result = real.match(question)
    assert result.outcome == "answer", result
    assert result.entry_id == entry_id


@pytest.mark.parametrize(("question", "entry_id"), SUGGESTED_FIRST)
def test_level_questions_suggest_the_named_level_first(real, question, entry_id):
    result = real.match(question)
    assert result.outcome in ("answer", "suggest"), result
    assert result.best is not None and result.best.entry_id == entry_id


@pytest.mark.parametrize(("question", "entry_id"), ANSWERED + SUGGESTED_FIRST)
def test_entries_for_other_levels_are_ranked_below(real, question, entry_id):
    result = real.match(question)
    fits = {c.entry_id: c.level_fit for c in result.candidates}
    assert fits[entry_id] == "match"
    ranked = [c.entry_id for c in result.candidates]
    for other in ("elig-assistant", "elig-intermediate", "elig-deputy-senior", "elig-senior"):
        if other in fits and other != entry_id:
            assert fits[other] == "conflict"
            assert ranked.index(other) > ranked.index(entry_id)


def test_conflicting_entry_loses_the_level_words_and_matching_entry_keeps_them(real, blind):
    question = "中级职称需要什么学历"
    now = {c.entry_id: c for c in real.score(question).candidates}
    before = {c.entry_id: c for c in blind.score(question).candidates}
    # the 正高 entry shares 需要什么学历; without the level words it explains more of the question
    # than it should (it once came first), with them the 中级 entry leads
    assert real.score(question).candidates[0].entry_id == "elig-intermediate"
    assert now["elig-senior"].coverage < before["elig-senior"].coverage
    assert now["elig-intermediate"].coverage >= before["elig-intermediate"].coverage
    # the fuzzy signal is text only and stays as it was
    assert now["elig-senior"].fuzzy == before["elig-senior"].fuzzy


@pytest.mark.parametrize(
    "question",
    ["评审费多少钱", "网上申报啥时候截止", "学历不够能破格吗", "工作年限怎么算", "专精特新企业能举荐几个人", "你是谁"],
)
def test_questions_without_a_level_are_scored_exactly_as_before(real, blind, question):
    now, before = real.score(question), blind.score(question)
    assert now.levels == ()
    assert [(c.entry_id, c.confidence, c.rank_score) for c in now.candidates] == [
        (c.entry_id, c.confidence, c.rank_score) for c in before.candidates
    ]
    assert all(c.level_fit == "neutral" for c in now.candidates)
    assert real.decide(now) == blind.decide(before)


def test_a_question_without_the_special_case_gets_the_general_entry_of_its_level(real):
    # 评高工 and 评高级工程师: the 副高 entry and the 大专评副高 entry both match the level; the asker
    # did not say 大专, so the entry for every education answers, not the special case
    for question in ("评高工", "评高级工程师"):
        result = real.match(question)
        assert result.outcome == "answer" and result.entry_id == "elig-deputy-senior", result
    special = real.match("大专学历评高工")
    assert special.best is not None and special.best.entry_id == "elig-college-deputy-senior"


@pytest.mark.parametrize("question", ["中级会计师需要什么学历", "高级经济师要工作几年", "护士中级职称怎么评"])
def test_a_level_of_another_title_series_is_not_answered(real, question):
    assert real.match(question).outcome != "answer"


def test_a_level_this_review_does_not_have_gets_the_levels_entry(real):
    result = real.match("技术员能评吗")
    assert result.levels == ("junior",)
    assert result.best is not None and result.best.entry_id == "title-level-names"


def test_entries_that_hold_for_every_level_are_not_demoted(real):
    result = real.match("中级评审费多少钱")
    assert result.outcome == "answer" and result.entry_id == "fee-amounts"
    assert result.best.level_fit == "neutral"


def test_entries_for_every_level_explain_a_level_mention_in_part(real):
    """助理工程师的申报流程 asks for the procedure, which holds for the 助工 too: the procedure entry
    explains part of the level words, the entry of the named level still all of them."""
    weights = real.config.weights

    def scored(for_all: float) -> dict:
        config = real.config.model_copy(update={"weights": weights.model_copy(update={"level_for_all": for_all})})
        return {c.entry_id: c for c in Matcher(real.kb, config=config, memory=0).score("助理工程师的申报流程").candidates}

    without, with_part = scored(0.0), scored(0.5)
    assert with_part["proc-overview"].coverage > without["proc-overview"].coverage
    assert with_part["elig-assistant"].coverage == without["elig-assistant"].coverage
    assert with_part["elig-assistant"].level_fit == "match" and with_part["proc-overview"].level_fit == "neutral"


def test_an_entry_about_the_levels_explains_every_level_mention(real):
    """助工是什么级别 asks what the level is: the entry about the levels explains the mention in every
    phrasing, as the 助工 entry's declaration does, without being moved up for it."""
    levels_entry = real.kb.by_id["title-level-names"]
    assert levels_entry.about_levels and not levels_entry.levels
    plain_kb = dataclasses.replace(
        real.kb,
        entries=[e.model_copy(update={"about_levels": False}) if e.id == levels_entry.id else e for e in real.kb.entries],
    )

    def candidate(matcher: Matcher, question: str):  # noqa: ANN202
        return next(c for c in matcher.score(question).candidates if c.entry_id == levels_entry.id)

    plain = Matcher(plain_kb, config=real.config, memory=0)
    for question in ("助工是什么级别", "中工什么意思"):
        about, not_about = candidate(real, question), candidate(plain, question)
        assert about.confidence > not_about.confidence, question
        assert about.level_fit == "neutral"
    assert real.match("助工是什么级别").entry_id == levels_entry.id
    assert real.match("中级工程师申报条件").entry_id == "elig-intermediate"


# ---- content validation ---------------------------------------------------------------------


def with_levels(root, entries: dict | None = None):  # noqa: ANN001, ANN201
    write_knowledge(root, entries)
    shutil.copy(LEVELS_YAML, root / "knowledge" / "levels.yaml")
    return root


def fixture_entries(levels: list[str]) -> dict:
    data = copy.deepcopy(ENTRIES)
    data["entries"][0]["levels"] = levels
    return data


def reasons(root) -> list[str]:  # noqa: ANN001
    return [str(p) for p in check_knowledge(root)]


def test_declared_levels_are_accepted_and_loaded(tmp_path):
    root = with_levels(tmp_path, fixture_entries(["intermediate", "deputy_senior"]))
    assert reasons(root) == []
    kb = load_knowledge(root)
    assert kb.by_id["fee-amounts"].levels == ["intermediate", "deputy_senior"]
    assert {level.id for level in kb.levels.levels} >= {"assistant", "intermediate", "deputy_senior", "senior"}


def test_unknown_level_is_rejected_with_file_and_line(tmp_path):
    root = with_levels(tmp_path, fixture_entries(["intermediate", "middle"]))
    found = reasons(root)
    assert len(found) == 1, found
    assert "fee-amounts: level 'middle' is not a known level" in found[0]
    # the line of the entry's `levels` item in the entries file
    text = (root / "knowledge" / "entries" / "fixture.yaml").read_text(encoding="utf-8").splitlines()
    line = int(found[0].split(":")[1])
    assert found[0].startswith("knowledge/entries/fixture.yaml:") and "middle" in text[line - 1]


def test_an_entry_about_every_level_declares_none(tmp_path):
    data = fixture_entries(["intermediate"])
    data["entries"][0]["about_levels"] = True
    found = reasons(with_levels(tmp_path, data))
    assert any("about_levels: an entry about every level declares no levels" in r for r in found), found


def test_a_level_without_levels_yaml_is_rejected(tmp_path):
    root = write_knowledge(tmp_path, fixture_entries(["senior"]))
    found = reasons(root)
    assert any("level 'senior' is not a known level (none: knowledge/levels.yaml is missing)" in r for r in found)


def test_repeated_level_in_an_entry_is_rejected(tmp_path):
    root = with_levels(tmp_path, fixture_entries(["senior", "senior"]))
    assert any("levels repeat" in r and r.startswith("knowledge/entries/fixture.yaml:") for r in reasons(root))


def test_fixture_without_levels_yaml_stays_valid(tmp_path):
    root = write_knowledge(tmp_path)
    assert reasons(root) == []
    assert load_knowledge(root).levels.levels == []


@pytest.mark.parametrize(
    ("levels_file", "expected"),
    [
        # 助工 normalises to 助理工程师, which is already the assistant's term
        (
            {"levels": [{"id": "assistant", "label": "助理级", "terms": ["助理工程师"]},
                        {"id": "other", "label": "x", "terms": ["助工"]}]},
            "other: term '助工' normalises to '助理工程师', a term of assistant",
        ),
        (
            {"levels": [{"id": "senior", "label": "正高级", "terms": ["正高"]},
                        {"id": "senior", "label": "正高级", "terms": ["教授级"]}]},
            "level id 'senior' repeats",
        ),
        (
            {"levels": [{"id": "senior", "label": "正高级", "terms": ["正高"]}], "not_levels": ["正高级"]},
            "not_levels word '正高级' normalises to '正高级', a term of senior",
        ),
        ({"levels": [{"id": "Senior", "label": "正高级", "terms": ["正高"]}]}, "levels.0.id"),
        ({"levels": [{"id": "senior", "label": "正高级", "terms": []}]}, "levels.0.terms"),
        ({"levels": [], "colour": "red"}, "Extra inputs are not permitted"),
        ({"levels": [], "held": {"before": ["取得", " "]}}, "a held-level word is blank"),
        ({"levels": [], "held": {"around": ["后"]}}, "held.around"),
    ],
)
def test_bad_levels_file_is_reported_with_its_line(tmp_path, levels_file, expected):
    root = write_knowledge(tmp_path)
    (root / "knowledge" / "levels.yaml").write_text(
        yaml.safe_dump(levels_file, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    found = reasons(root)
    assert any(expected in r for r in found), found
    assert all(r.startswith("knowledge/levels.yaml:") for r in found), found


@pytest.mark.parametrize("question", ["评中级工程师需要啥", "升中级工程师要几年", "报中级工程师有什么要求"])
def test_a_level_term_left_whole_by_synonyms_is_still_a_level(real, question):
    # 评中级 is a protected canonical form, so 中级工程师 after it is not mapped to 中级; it must not
    # read as the skill grade 中级工 (a not_levels word) followed by 程师
    result = real.match(question)
    assert result.levels == ("intermediate",), result
    assert result.best is not None and result.best.entry_id == "elig-intermediate", result


# ---- the level the asker starts from ----------------------------------------------------------


def asked(matcher: Matcher, question: str) -> list[str]:
    norm = matcher.normalizer.normalize(question)
    return sorted({m.level for m in matcher.levels.asked(norm, matcher.levels.find(norm))})


@pytest.mark.parametrize(
    ("question", "levels"),
    [
        ("取得中级后多久能报高级", ["deputy_senior"]),  # held: a word before it, 后 after it
        ("中级职称之后多长时间可以评高级", ["deputy_senior"]),
        ("中级升副高需要多长时间", ["deputy_senior"]),  # a step word between the two levels
        ("助工到中级需要几年", ["intermediate"]),
        ("评副高需要中级满5年吗", ["deputy_senior"]),  # held after the asked level
        ("高级工程师5年能评正高吗", ["senior"]),
        # no mark, or every level marked: both stay named
        ("中级和高级的区别", ["deputy_senior", "intermediate"]),
        ("工程师和高级工程师哪个高", ["deputy_senior", "intermediate"]),
        ("中级评审费160块对吗，高级多少", ["deputy_senior", "intermediate"]),
        # one level alone is always asked, whatever surrounds it
        ("取得中级后证书怎么下载", ["intermediate"]),
    ],
)
def test_a_level_the_asker_starts_from_is_not_asked(real, question, levels):
    assert asked(real, question) == levels


@pytest.mark.parametrize(
    ("question", "entry_id"),
    [
        ("取得中级后多久能报高级", "elig-deputy-senior"),
        ("评上工程师后多久能申报高工", "elig-deputy-senior"),
        ("有中级职称多少年可以报高级", "elig-deputy-senior"),
        ("从中级到副高要多少年", "elig-deputy-senior"),
    ],
)
def test_the_entry_of_the_starting_level_does_not_answer(real, unheld, question, entry_id):
    scored = real.score(question)
    assert scored.candidates[0].entry_id == entry_id, scored.candidates[:3]
    # the held mention counts for nothing in the held level's entry, whose text explains it
    ranks = {c.entry_id: c for c in scored.candidates}
    before = {c.entry_id: c for c in unheld.score(question).candidates}
    assert ranks["elig-intermediate"].coverage < before["elig-intermediate"].coverage


@pytest.fixture(scope="module")
def unheld(real) -> Matcher:
    """The real knowledge base with no held-level words: both levels of a question stay named."""
    levels = LevelsFile(levels=real.kb.levels.levels, not_levels=real.kb.levels.not_levels)
    return Matcher(dataclasses.replace(real.kb, levels=levels))


def test_without_held_words_the_starting_levels_entry_answered(unheld):
    # what the held words change: the entry for 中级 answered a question about 高级
    assert asked(unheld, "取得中级后多久能报高级") == ["deputy_senior", "intermediate"]
    assert unheld.score("取得中级后多久能报高级").candidates[0].entry_id == "elig-intermediate"


def _candidate(entry_id: str, rank: float, level_fit: str) -> Candidate:
    return Candidate(entry_id, confidence=rank / 2, rank_score=rank, coverage=0.5, fuzzy=0.5, bm25=1.0, level_fit=level_fit)


def test_an_entry_for_another_level_never_comes_first():
    # 本科毕业多久能评高工 reads almost as 本科毕业多久能评助工: by rank the 助工 entry can lead
    ranked = [
        _candidate("elig-assistant", 0.91, "conflict"),
        _candidate("elig-intermediate", 0.70, "conflict"),
        _candidate("elig-college-deputy-senior", 0.84, "match"),
        _candidate("elig-deputy-senior", 0.79, "match"),
        _candidate("elig-skip-level", 0.57, "neutral"),
    ]
    lead_with_a_fitting_level(ranked)
    # every conflicting entry goes last, in rank order, so none is the answer or a runner-up the
    # decision weighs (a lead, a second topic); the others keep their order
    assert [c.entry_id for c in ranked] == [
        "elig-college-deputy-senior", "elig-deputy-senior", "elig-skip-level", "elig-assistant", "elig-intermediate"
    ]


def test_a_fitting_first_entry_keeps_the_ranked_order():
    ranked = [_candidate("elig-deputy-senior", 0.9, "match"), _candidate("elig-assistant", 0.8, "conflict"),
              _candidate("fee-amounts", 0.7, "neutral")]
    lead_with_a_fitting_level(ranked)
    assert [c.entry_id for c in ranked] == ["elig-deputy-senior", "elig-assistant", "fee-amounts"]


@pytest.mark.parametrize("question", ["本科毕业多久能评高工", "本科毕业多久能评高级工程师", "本科毕业多久能评助工"])
def test_the_first_entry_never_conflicts_with_the_named_level(real, question):
    scored = real.score(question)
    assert scored.candidates[0].level_fit != "conflict", scored.candidates[:3]
