"""Turn the dialog's answers into the evaluator's profile.

Most answers are named like profile fields; ``scope`` (one question for "in Shandong" and "industrial
internet work") and ``ce_status`` (a self-report instead of per-year hours) are mapped here.
"""

from __future__ import annotations

from typing import Any

from bot.rules.eligibility import CeSelfReport
from bot.rules.profile import Profile

_DIRECT = (
    "person_type", "origin", "education", "current_title", "years_in_title", "years_of_work",
    "skill_level", "frontline_post", "years_in_skill", "appraisals_passed_3y", "qualification_level",
    "years_in_qualification", "zjtx_enterprise", "zjtx_recommended",
)

#: profile fields set from other answers (field → the answers it comes from), for the coverage check
DERIVED: dict[str, tuple[str, ...]] = {
    "works_in_shandong": ("scope",),
    "industrial_internet_work": ("scope",),
    "ce_hours": ("ce_status",),
}


def profile_from_answers(answers: dict[str, Any]) -> tuple[Profile, CeSelfReport]:
    """The profile (defaults for what was not asked) and the continuing-education self-report."""
    data = {k: answers[k] for k in _DIRECT if k in answers}
    scope = answers.get("scope", "ok")
    data["works_in_shandong"] = scope != "outside"
    data["industrial_internet_work"] = scope != "not_ii"
    ce = answers.get("ce_status")
    report: CeSelfReport = ce if ce in ("met", "short") else None
    return Profile.model_validate(data), report
