"""Entries merged into another (``replaces``): the old id leads to the entry that took it over."""

from __future__ import annotations

import copy

import pytest

from bot.knowledge.curation import add_phrasing
from bot.knowledge.evaluate import DevQuestion, evaluate, score_cases
from bot.knowledge.loader import check_knowledge, load_knowledge
from bot.knowledge.matcher import Matcher
from bot.knowledge.runtime import load_runtime
from bot.paths import PROJECT_ROOT
from tests.support.kb_fixtures import ENTRIES, write_knowledge


def merged(**fields: object) -> dict:
    """The fixture with ``fields`` set on its first entry (fee-amounts)."""
    data = copy.deepcopy(ENTRIES)
    data["entries"][0].update(fields)
    return data


def reasons(root) -> list[str]:  # noqa: ANN001
    return [str(p) for p in check_knowledge(root)]


def test_a_replaced_id_leads_to_the_entry_that_took_it_over(tmp_path) -> None:
    root = write_knowledge(tmp_path, merged(replaces=["fee-levels"]))
    assert reasons(root) == []
    kb = load_knowledge(root)
    assert kb.by_id["fee-levels"] is kb.by_id["fee-amounts"]
    assert "fee-levels" not in {entry.id for entry in kb.entries}
    assert Matcher(kb).entry("fee-levels").id == "fee-amounts"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"replaces": ["fee-payment"]}, "fee-amounts: replaces 'fee-payment', which is still an entry"),
        ({"replaces": ["Fee Levels"]}, "replaces: 'Fee Levels' is not an entry id"),
        ({"replaces": ["fee-levels", "fee-levels"]}, "replaces repeat"),
    ],
)
def test_check_refuses_a_bad_replacement(tmp_path, fields, reason) -> None:
    found = reasons(write_knowledge(tmp_path, merged(**fields)))
    assert any(reason in r and r.startswith("knowledge/entries/fixture.yaml:") for r in found), found


def test_two_entries_cannot_take_over_the_same_id(tmp_path) -> None:
    data = merged(replaces=["fee-levels"])
    data["entries"][1]["replaces"] = ["fee-levels"]
    found = reasons(write_knowledge(tmp_path, data))
    assert any("replaces 'fee-levels', which is replaced by fee-amounts already" in r for r in found), found


def test_a_question_labelled_with_a_replaced_id_counts_for_its_successor(tmp_path) -> None:
    kb = load_knowledge(write_knowledge(tmp_path, merged(replaces=["fee-levels"])))
    matcher = Matcher(kb)
    cases = score_cases(matcher, [("set", DevQuestion(q="评审费多少钱", expect="fee-levels"))])
    assert cases[0].expect == "fee-amounts"
    figures = evaluate(matcher, cases).figures
    assert figures["direct_right"] == 1.0 and figures["top1"] == 1.0


def test_a_phrasing_learnt_for_a_replaced_id_is_written_to_its_successor(tmp_path) -> None:
    root = write_knowledge(tmp_path, merged(replaces=["fee-levels"]))
    add_phrasing(root, "fee-levels", "评审一个人收多少")
    kb = load_knowledge(root)
    assert "评审一个人收多少" in kb.by_id["fee-amounts"].alternatives


@pytest.fixture(scope="module")
def real():
    return load_runtime(PROJECT_ROOT)


@pytest.mark.parametrize(
    ("old", "now"),
    [("scope-levels", "title-level-names"), ("policy-qualification-mapping", "policy-qualification-equivalence")],
)
def test_the_merged_real_entries_answer_for_the_old_ids(real, old, now) -> None:
    assert real.kb.by_id[old].id == now
    assert old in real.kb.by_id[now].replaces
