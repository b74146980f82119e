"""``kb eval`` counts what the chat shows: a personal-case question the matcher does not answer is
shown its level's baseline entry with the self-check, so it is a direct answer, right or wrong."""

from __future__ import annotations

from pathlib import Path

from bot.knowledge.cli import _load_cases
from bot.knowledge.evaluate import Case, seen
from bot.knowledge.matcher import Candidate, Decision, Scored


def _case(expect: str | None, personal: str | None) -> Case:
    scored = Scored("q", [Candidate("top-entry", 0.4, 0.8, 0.4, 0.4, 1.0)], False, 6)
    return Case("q", expect, "file", scored, personal)


def test_a_personal_case_the_matcher_does_not_answer_is_a_direct_answer_of_its_baseline():
    for outcome in ("suggest", "fallback"):
        decision = Decision(outcome)
        assert seen(_case("elig-intermediate", "elig-intermediate"), decision) == "direct_right"
        assert seen(_case("policy-skilled-ladder", "elig-intermediate"), decision) == "direct_wrong"
        assert seen(_case(None, "elig-intermediate"), decision) == "answered"
        assert seen(_case("top-entry", None), decision) == ("suggested_wrong" if outcome == "suggest" else "fallback")
    # the matcher's own answer stands
    assert seen(_case("top-entry", "elig-intermediate"), Decision("answer")) == "direct_right"


def test_eval_marks_personal_cases_but_not_those_of_another_series(tmp_path: Path):
    dev = tmp_path / "dev.yaml"
    dev.write_text(
        "questions:\n"
        "  - {q: 我本科毕业8年能报中级吗, expect: elig-intermediate}\n"
        "  - {q: 我会计中级5年了能评高级吗, expect: null}\n"
        "  - {q: 评审费多少钱, expect: fee-amounts}\n",
        encoding="utf-8",
    )
    _matcher, cases, _lang = _load_cases([dev], "zh")
    assert [c.personal for c in cases] == ["elig-intermediate", None, None]
