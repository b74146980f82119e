"""Ask types: what a question asks for (fee, date, place…), what an entry answers, and how the
ranking uses the fit."""

from __future__ import annotations

import copy
import shutil

import pytest

from bot.knowledge.asks import AskDetector, answers_other, ask_fit
from bot.knowledge.loader import check_knowledge, load_knowledge
from bot.knowledge.matcher import Matcher
from bot.knowledge.normalize import Normalizer
from bot.knowledge.schema import AsksFile
from bot.paths import PROJECT_ROOT
from tests.support.kb_fixtures import ENTRIES, write_knowledge

ASKS_YAML = PROJECT_ROOT / "knowledge" / "asks.yaml"


@pytest.fixture(scope="module")
def real_kb():
    return load_knowledge(PROJECT_ROOT)


@pytest.fixture(scope="module")
def detector(real_kb) -> AskDetector:
    return AskDetector(real_kb.asks, Normalizer(real_kb.synonyms))


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("评审费多稍钱", {"fee"}),  # through the synonyms: 多少钱 and 评审费 are one form
        ("纸质材料截至到几号", {"date", "materials"}),
        ("评审表交到哪", {"place"}),
        ("人社局的联系方式", {"contact"}),
        ("大专能不能报", {"eligibility"}),
        ("网上申报步骤", {"procedure"}),
        ("工业互联网", set()),
        # 几号 is a date, 几号楼 a place: the synonym pass no longer reads 几号 as 什么时候
        ("报名截至到几号", {"date"}),
        ("市民服务中心几号楼几室", {"place", "date"}),
        ("破格和直通车有什么区别", {"compare"}),
        ("评审表可以快递吗", set()),  # 可以 alone asks nothing about who may apply
        ("截止时间是什么时候", {"date"}),  # 是什么时候 is no definition
        ("造假被发现会怎样", {"consequence"}),  # 会怎样 asks for the outcome, not the procedure
        ("为什么青岛可以评全省的职称", {"reason", "eligibility"}),
    ],
)
def test_ask_types_are_read_from_interrogative_words(detector, question, expected):
    assert set(detector.find(detector._normalizer.normalize(question))) == expected


def test_entries_answer_what_their_question_asks_unless_declared(real_kb, detector):
    by_id = real_kb.by_id
    assert "fee" in detector.of_entry(by_id["fee-amounts"])
    declared = by_id["fee-amounts"].model_copy(update={"asks": ["date"]})
    assert detector.of_entry(declared) == frozenset({"date"})


def test_fit_is_graded_and_neutral_without_ask_types():
    assert ask_fit(frozenset({"fee"}), frozenset({"fee", "procedure"})) == 1.0
    assert ask_fit(frozenset({"fee", "procedure"}), frozenset({"fee"})) == 0.0
    assert ask_fit(frozenset({"fee"}), frozenset({"date"})) == -1.0
    assert ask_fit(frozenset(), frozenset({"date"})) == 0.0
    assert ask_fit(frozenset({"fee"}), frozenset()) == 0.0
    # where no entry compares, the entry that explains both things may still answer a comparison
    compare = frozenset({"compare"})
    assert ask_fit(frozenset({"compare"}), frozenset({"procedure"}), compare) == 0.0
    assert ask_fit(frozenset({"compare"}), frozenset({"procedure"})) == -1.0
    assert ask_fit(frozenset({"compare"}), compare, compare) == 1.0


def test_a_comparison_entry_answers_only_comparisons(real_kb, detector):
    exclusive = detector.exclusive
    assert exclusive == frozenset({"compare"})
    compare = frozenset({"compare"})
    assert answers_other(frozenset(), compare, exclusive)
    assert answers_other(frozenset({"definition"}), compare, exclusive)
    assert not answers_other(frozenset({"compare", "definition"}), compare, exclusive)
    assert not answers_other(frozenset(), frozenset({"fee"}), exclusive)
    matcher = Matcher(real_kb, memory=0)
    # a bare keyword is about the thing, not the comparison that names it in every phrasing
    assert matcher.score("直通车").candidates[0].entry_id == "policy-high-level-talent"
    assert matcher.score("破格").candidates[0].entry_id == "policy-exceptional"
    assert matcher.score("破格和直通车有啥区别").candidates[0].entry_id == "title-exceptional-vs-fast-track"


def test_ask_fit_moves_the_rank_not_the_confidence(real_kb):
    question = "评审费多少钱"
    plain = Matcher(real_kb, config=_with_ask_rank(real_kb, 0.0), memory=0).score(question).candidates
    asked = Matcher(real_kb, config=_with_ask_rank(real_kb, 0.3), memory=0).score(question).candidates
    conf = {c.entry_id: c.confidence for c in plain}
    assert {c.entry_id: c.confidence for c in asked} == conf
    shift = {c.entry_id: c.rank_score for c in asked}
    base = {c.entry_id: c.rank_score for c in plain}
    moved = {e: round(shift[e] - base[e], 6) for e in base}
    assert max(moved.values()) > 0 > min(moved.values())


def _with_ask_rank(kb, value: float):  # noqa: ANN001, ANN202
    return kb.config.model_copy(update={"weights": kb.config.weights.model_copy(update={"ask_rank": value})})


def test_unknown_or_repeated_ask_is_rejected_with_file_and_line(tmp_path):
    data = copy.deepcopy(ENTRIES)
    data["entries"][0]["asks"] = ["fee", "weather"]
    root = write_knowledge(tmp_path, data)
    shutil.copy(ASKS_YAML, root / "knowledge" / "asks.yaml")
    found = [str(p) for p in check_knowledge(root)]
    assert any("ask 'weather' is not a known ask type" in r and r.startswith("knowledge/entries/fixture.yaml:") for r in found)
    data["entries"][0]["asks"] = ["fee", "fee"]
    write_knowledge(tmp_path, data)
    shutil.copy(ASKS_YAML, root / "knowledge" / "asks.yaml")
    assert any("asks repeat" in str(p) for p in check_knowledge(root))


def test_without_asks_yaml_no_entry_may_declare_one(tmp_path):
    data = copy.deepcopy(ENTRIES)
    data["entries"][0]["asks"] = ["fee"]
    root = write_knowledge(tmp_path, data)
    assert any("asks.yaml is missing" in str(p) for p in check_knowledge(root))
    assert AskDetector(AsksFile(), Normalizer()).find("评审费") == frozenset()
