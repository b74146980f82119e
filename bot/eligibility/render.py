"""Lay a verdict out as chat text (plain text in the reader's language, through ``t``; adapters
escape it for their medium)."""

from __future__ import annotations

from collections.abc import Callable

from bot.eligibility.evaluation import Verdict
from bot.reference.levels import LEVELS

TextFn = Callable[..., str]
V = "eligibility.verdict"


def _names(t: TextFn, level: str, path: str) -> dict[str, str]:
    return {
        "level": t(f"eligibility.names.title.{level}"),
        "grade": t(f"eligibility.names.grade.{level}"),
        "path": t(f"eligibility.names.path.{path}"),
    }


def summary_lines(verdict: Verdict, t: TextFn) -> list[str]:
    """Headline, open and blocked paths, and per-level facts (fee, assessment, committee)."""
    if verdict.excluded is not None:
        ex = verdict.excluded
        return [t(f"{V}.{ex.kind}", reason=ex.reason, advice=ex.advice, sources=t("eligibility.separator.clauses").join(ex.sources))]
    lines: list[str] = []
    firm = [p for p in verdict.levels if not p.conditional]
    best = sorted({p.level for p in firm}, key=LEVELS.index)
    if best:
        headline = "headline_estimate" if all(p.estimate for p in firm) else "headline_yes"
        lines.append(t(f"{V}.{headline}", levels=t("eligibility.separator.list").join(t(f"eligibility.names.title.{lv}") for lv in best)))
    elif verdict.levels:
        lines.append(t(f"{V}.headline_conditional"))
    elif _top_only(verdict, t):
        lines.append(t(f"{V}.top_only"))
    else:
        lines.append(t(f"{V}.headline_no"))
    if verdict.levels:
        lines.append("")
        lines.append(t(f"{V}.open_header"))
        shown_before: tuple | None = None
        for item in verdict.levels:
            key = "conditional_item" if item.conditional else "estimate_item" if item.estimate else "open_item"
            lines.append(t(f"{V}.{key}", **_names(t, item.level, item.path)))
            # two levels one path opens alike (专精特新 for 副高 and 正高): on a phone the second
            # copy of the same reasons is a screen of repetition
            grounds = (item.path, tuple(item.reasons), tuple(item.sources))
            if grounds == shown_before:
                lines.append(t(f"{V}.same_grounds_line"))
                continue
            shown_before = grounds
            for reason in item.reasons:
                lines.append(t(f"{V}.reason_line", text=reason))
            if item.sources:
                lines.append(t(f"{V}.source_line", text=t("eligibility.separator.clauses").join(item.sources)))
    if verdict.blocked:
        lines.append("")
        lines.append(t(f"{V}.blocked_header"))
        for item in verdict.blocked:
            names = _names(t, item.level, item.path)
            lines.append(t(f"{V}.blocked_item", level=names["level"], path=names["path"], missing=" ".join(item.missing)))
    if verdict.fee:
        lines.append("")
        lines.append(t(f"{V}.facts_header"))
        for level, fee in verdict.fee.items():
            lines.append(t(f"{V}.fee_line", level=t(f"eligibility.names.title.{level}"), fee=fee,
                           assessment=verdict.assessment.get(level, ""), committee=verdict.committees.get(level, "")))
    return lines


def _top_only(verdict: Verdict, t: TextFn) -> bool:
    """The holder of the highest title, with nothing open or blocked: the headline says so."""
    return not verdict.levels and not verdict.blocked and t("eligibility.warn.top") in verdict.warnings


def detail_lines(verdict: Verdict, t: TextFn) -> list[str]:
    """Materials, warnings, other paths, the cycle's dates and the footer."""
    lines: list[str] = []
    if verdict.materials:
        lines.append(t(f"{V}.materials_header"))
        lines.extend(t(f"{V}.materials_item", text=m) for m in verdict.materials)
        lines.append("")
    # the headline already says there is no higher level: its warning would repeat it word for word
    warnings = [w for w in verdict.warnings if not (_top_only(verdict, t) and w == t("eligibility.warn.top"))]
    if warnings:
        lines.append(t(f"{V}.warnings_header"))
        lines.extend(t(f"{V}.warning_item", text=w) for w in warnings)
        lines.append("")
    if verdict.pointers and verdict.excluded is None:
        lines.append(t(f"{V}.pointers_header"))
        lines.extend(t(f"{V}.warning_item", text=p) for p in verdict.pointers)
        lines.append("")
    if verdict.cycle.lines:
        lines.append(t(f"{V}.cycle_header"))
        lines.extend(t(f"{V}.warning_item", text=c) for c in verdict.cycle.lines)
        lines.append("")
    lines.append(t(f"{V}.footer"))
    return lines


def render_text(verdict: Verdict, t: TextFn) -> str:
    """The whole verdict as one text (used by the CLI without --json)."""
    return "\n".join(summary_lines(verdict, t)) + "\n\n" + "\n".join(detail_lines(verdict, t))
