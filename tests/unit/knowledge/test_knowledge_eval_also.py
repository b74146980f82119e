"""A question two entries answer alike: ``also`` in a dev file names the second, and ``kb eval``
counts its answer, button or rank as right; one line still counts direct answers by ``expect`` alone.
Read against an earlier commit (``--as-of``), an entry merged since answers as the one that took it
over."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.loader import ContentError
from bot.knowledge.as_of import merged_since
from bot.knowledge.evaluate import Case, evaluate, labels_as_of, load_dev, score_cases, seen
from bot.knowledge.matcher import Candidate, Decision, Scored
from bot.knowledge.runtime import load_runtime
from bot.paths import PROJECT_ROOT


@pytest.fixture(scope="module")
def matcher():
    return load_runtime(PROJECT_ROOT).matcher


def _case(expect: str | None, also: frozenset[str] = frozenset()) -> Case:
    scored = Scored("q", [Candidate("first", 0.4, 0.8, 0.4, 0.4, 1.0), Candidate("second", 0.3, 0.6, 0.3, 0.3, 0.8)], False, 6)
    return Case("q", expect, "file", scored, also=also)


def test_an_entry_the_label_also_accepts_is_right_in_every_outcome() -> None:
    assert seen(_case("other"), Decision("answer")) == "direct_wrong"
    assert seen(_case("other", frozenset({"first"})), Decision("answer")) == "direct_right"
    assert seen(_case("other", frozenset({"second"})), Decision("answer")) == "direct_wrong"
    assert seen(_case("other"), Decision("suggest", offered=("first", "second"))) == "suggested_wrong"
    assert seen(_case("other", frozenset({"second"})), Decision("suggest", offered=("first", "second"))) == "suggested_right"
    # an out-of-scope question accepts nothing
    assert not _case(None).accepts("first")


def test_the_report_counts_also_as_right_and_the_first_label_apart(matcher, tmp_path: Path) -> None:
    dev = tmp_path / "dev.yaml"
    first = matcher.score("评审费多少钱").candidates[0].entry_id
    other = next(e.id for e in matcher.kb.entries if e.id != first)
    dev.write_text(
        "questions:\n"
        f"  - {{q: 评审费多少钱, expect: {other}}}\n"
        f"  - {{q: 评审费多少钱, expect: {other}, also: [{first}]}}\n",
        encoding="utf-8",
    )
    figures = evaluate(matcher, score_cases(matcher, load_dev([dev]))).figures
    assert figures["direct_right"] == 0.5 and figures["direct_wrong"] == 0.5
    assert figures["direct_right_first_label"] == 0.0
    assert figures["top1"] == 0.5


def test_an_unknown_also_id_is_reported(matcher, tmp_path: Path) -> None:
    dev = tmp_path / "dev.yaml"
    dev.write_text("questions:\n  - {q: 评审费多少钱, expect: fee-amounts, also: [no-such-entry]}\n", encoding="utf-8")
    report = evaluate(matcher, score_cases(matcher, load_dev([dev])))
    assert [r["expect"] for r in report.unknown_expect] == ["no-such-entry"]


@pytest.mark.parametrize(
    "item",
    [
        "{q: 会计中级多少钱, expect: null, also: [fee-amounts]}",  # out of scope accepts no entry
        "{q: 评审费多少钱, expect: fee-amounts, also: [fee-amounts]}",
    ],
)
def test_a_malformed_also_is_refused(tmp_path: Path, item: str) -> None:
    dev = tmp_path / "dev.yaml"
    dev.write_text(f"questions:\n  - {item}\n", encoding="utf-8")
    with pytest.raises(ContentError):
        load_dev([dev])


def test_as_of_an_entry_merged_since_answers_as_the_one_that_took_it_over(matcher) -> None:
    scored = matcher.score("评审费多少钱")
    cases = [
        # the label names an entry written later, into which an entry of the commit was merged
        Case("q", "entry-written-later", "t", scored),
        # the label's entry existed, and another entry of the commit was merged into it since
        Case("q", "fee-amounts", "t", scored),
        Case("q", "entry-written-later", "t", scored, also=frozenset({"fee-how-to-pay"})),
        Case("q", "gone-too", "t", scored),
    ]
    merged = {"fee-invoice": "entry-written-later", "fee-refund": "fee-amounts"}
    assert labels_as_of(matcher, cases, merged) == 1
    assert (cases[0].expect, cases[0].also) == ("fee-invoice", frozenset())
    assert (cases[1].expect, cases[1].also) == ("fee-amounts", frozenset({"fee-refund"}))
    assert (cases[2].expect, cases[2].also) == ("fee-how-to-pay", frozenset({"fee-invoice"}))
    assert cases[3].expect is None


def test_merged_since_reads_the_work_trees_replaces() -> None:
    merged = merged_since()
    assert merged["policy-qualification-mapping"] == "policy-qualification-equivalence"
    assert merged["scope-levels"] == "title-level-names"
