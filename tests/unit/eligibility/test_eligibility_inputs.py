"""Every profile field the rules read is asked or derived on every dialog path that evaluates it."""

from __future__ import annotations

import itertools
from datetime import date

from bot.app import content_checkers
from bot.content.check import run_checks
from bot.eligibility.coverage import check_inputs
from bot.eligibility.evaluation import evaluate
from bot.eligibility.profile import Profile
from bot.eligibility.rulebook import load_rulebook
from bot.paths import PROJECT_ROOT
from bot.reference.cycles import cycle_for, load_cycles
from tests.support.helpers import copy_content

BOOK = load_rulebook(PROJECT_ROOT)


def test_the_shipped_dialog_asks_everything_the_rules_read():
    assert check_inputs(PROJECT_ROOT) == []


def test_a_title_path_without_years_of_work_fails_the_check(tmp_path):
    """The old dialog: years of work asked only without a title."""
    path = copy_content(tmp_path) / "dialogs" / "eligibility.yaml"
    text = path.read_text(encoding="utf-8")
    old = "    next:\n      - goto: years_of_work\n"
    assert text.count(old) == 1
    path.write_text(text.replace(old, "    next:\n      - goto: zjtx_enterprise\n"), encoding="utf-8")
    problems = check_inputs(tmp_path)
    assert len(problems) == 1 and "'years_of_work'" in problems[0].reason
    assert "current_title → years_in_title" in problems[0].reason
    assert run_checks(tmp_path, content_checkers())["eligibility_inputs"] == problems  # `python -m bot check` reports it


def test_an_unknown_input_field_is_reported(tmp_path):
    copy_content(tmp_path)
    rules = tmp_path / "rules" / "eligibility.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("  - {field: ce_hours}", "  - {field: shoe_size}"),
                     encoding="utf-8")
    assert [p.reason for p in check_inputs(tmp_path)] == ["inputs: unknown profile field 'shoe_size'"]


class _Recorder:
    """A profile that remembers which fields the evaluator reads."""

    def __init__(self, profile: Profile, seen: set[str]) -> None:
        object.__setattr__(self, "_p", profile)
        object.__setattr__(self, "_seen", seen)

    def __getattr__(self, name: str):
        if name in Profile.model_fields:
            self._seen.add(name)
        return getattr(self._p, name)


def test_the_evaluator_reads_only_declared_inputs():
    declared = {item.field for item in BOOK.inputs}
    seen: set[str] = set()
    cycles = load_cycles(PROJECT_ROOT)
    day = date(2024, 7, 1)
    for origin, education, title, skill, zjtx, qual in itertools.product(
        ["mainland", "hk_macao_taiwan"], ["doctor", "bachelor", "college"], ["none", "technician", "intermediate"],
        ["none", "technician"], ["none", "champion"], ["none", "intermediate"],
    ):
        profile = Profile(origin=origin, education=education, current_title=title, years_in_title=2, years_of_work=3,
                          skill_level=skill, years_in_skill=3, zjtx_enterprise=zjtx, zjtx_recommended=True,
                          qualification_level=qual, years_in_qualification=2,
                          ce_hours=[{"year": 2023, "total": 20, "professional": 10}])
        evaluate(_Recorder(profile, seen), BOOK, cycle_for(cycles, day), day, lambda key, **_: key)
    assert seen <= declared, seen - declared
    assert {"years_of_work", "frontline_post", "appraisals_passed_3y", "ce_hours"} <= seen
