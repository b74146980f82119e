"""Turn the dialog's answers into the evaluator's profile.

Most answers are named like profile fields; ``scope`` (one question for "in Qingdao, elsewhere in
Shandong or outside" and "industrial internet work") and ``ce_status`` (a self-report instead of
per-year hours) are mapped here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.eligibility.evaluation import CeSelfReport
from bot.eligibility.profile import Profile

_DIRECT = (
    "person_type", "origin", "education", "current_title", "years_in_title", "years_of_work",
    "skill_level", "frontline_post", "years_in_skill", "appraisals_passed_3y", "qualification_level",
    "years_in_qualification", "zjtx_enterprise", "zjtx_recommended",
)

#: profile fields set from other answers (field → the answers it comes from), for the coverage check
DERIVED: dict[str, tuple[str, ...]] = {
    "works_in_shandong": ("scope",),
    "industrial_internet_work": ("scope",),
    "works_in_qingdao": ("scope",),
    "ce_hours": ("ce_status",),
}


def profile_from_answers(answers: dict[str, Any]) -> tuple[Profile, CeSelfReport]:
    """The profile (defaults for what was not asked) and the continuing-education self-report."""
    data = {k: answers[k] for k in _DIRECT if k in answers}
    scope = answers.get("scope", "ok")
    data["works_in_shandong"] = scope != "outside"
    data["industrial_internet_work"] = scope != "not_ii"
    # "ok" is the answer of a check begun before the question told Qingdao apart
    data["works_in_qingdao"] = {"qingdao": True, "shandong_other": False}.get(scope)
    ce = answers.get("ce_status")
    report: CeSelfReport = ce if ce in ("met", "short") else None
    return Profile.model_validate(data), report


# ---- answers known before the check starts (a personal-case question told them) -------------------
#: the ``user_notes`` kind holding them; the 资格自测 button under such an answer carries only a token
PREFILL_NOTE = "eligibility_prefill"
PREFILL_TTL_HOURS = 24
PREFILL_PAYLOAD = "pre"
#: the order in which facts are listed back to the user
FACT_ORDER = ("education", "current_title", "years_in_title", "skill_level", "years_in_skill", "years_of_work")


#: the self-check's main-menu key (``menu:<key>`` starts it from a button anywhere)
SELF_CHECK_MENU_KEY = "eligibility"


def prefill_button_data(token: str) -> str:
    """``elg:pre:<token>`` — the eligibility feature's prefix, an action and an id, nothing else."""
    return f"elg:{PREFILL_PAYLOAD}:{token}"


def whole_years(answers: dict[str, Any]) -> dict[str, Any]:
    """Years as the check asks them, in whole years completed (3年半 → 3)."""
    return {k: (int(v) if k.startswith("years_") and isinstance(v, int | float) and not isinstance(v, bool) else v)
            for k, v in answers.items()}


def describe_facts(t: Callable[..., str], answers: dict[str, Any]) -> str:
    """"学历本科（学士）、从事技术工作8年": the facts in the user's terms."""
    parts = []
    for name in FACT_ORDER:
        if name not in answers:
            continue
        value = answers[name]
        if name == "current_title" and value == "none":
            parts.append(t("eligibility.prefill.fact.no_title"))
            continue
        if name == "education":
            value = t(f"eligibility.opt.education.{value}")
        elif name == "current_title":
            value = t(f"eligibility.names.title.{value}")
        elif name == "skill_level":
            value = t(f"eligibility.opt.skill_level.{value}")
        elif isinstance(value, float):
            value = f"{value:g}"
        parts.append(t(f"eligibility.prefill.fact.{name}", value=value))
    return t("eligibility.prefill.separator").join(parts)
