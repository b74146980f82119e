"""Measure the matcher on dev sets (``python -m bot kb eval``) and calibrate its thresholds.

A dev file holds ``questions: [{q: "...", expect: entry-id or null}]``; ``null`` marks a question
the knowledge base must not answer (out of scope or a near-topic trap). Figures:

* top-1 / top-3 — in-scope questions whose expected entry is ranked first / among the first three;
* answered correctly — in-scope questions answered directly with the expected entry;
* wrong confident — questions answered directly with a wrong entry (an out-of-scope question that
  is answered counts too), as a share of all questions;
* out-of-scope answered — share of the null questions answered directly;
* fallback precision / recall — of the questions that fell back, the share that were out of scope;
  of the out-of-scope questions, the share that fell back;
* per topic — top-1 and answered-correctly by the expected entry's topic.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from bot.content.loader import ContentError, load_model
from bot.knowledge.matcher import Candidate, Matcher, Scored
from bot.knowledge.schema import MatcherConfig, Thresholds

OUT_OF_SCOPE = "out_of_scope"
MIN_MARGIN = 0.02
MIN_ANSWER = 0.5


class DevQuestion(BaseModel):
    model_config = ConfigDict(extra="ignore")
    q: str
    expect: str | None = None


class DevFile(BaseModel):
    model_config = ConfigDict(extra="ignore")
    questions: list[DevQuestion] = Field(default_factory=list)


@dataclass
class Case:
    question: str
    expect: str | None
    source: str
    scored: Scored

    @property
    def candidates(self) -> list[Candidate]:
        return self.scored.candidates


@dataclass
class Report:
    figures: dict[str, float]
    per_topic: dict[str, dict[str, float]]
    wrong_confident: list[dict] = field(default_factory=list)
    top3_misses: list[dict] = field(default_factory=list)
    unknown_expect: list[dict] = field(default_factory=list)


def dev_files(paths: list[Path]) -> list[Path]:
    """Files named directly, and every ``*.yaml`` inside named directories."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(path.glob("*.yaml")))
        else:
            out.append(path)
    return out


def load_dev(paths: list[Path]) -> list[tuple[str, DevQuestion]]:
    """(file name, question) pairs; raises ContentError for a missing or malformed file."""
    pairs: list[tuple[str, DevQuestion]] = []
    for path in dev_files(paths):
        parsed = load_model(path, DevFile)
        pairs.extend((path.name, q) for q in parsed.questions)
    if not pairs:
        raise ContentError([])
    return pairs


def score_cases(matcher: Matcher, pairs: list[tuple[str, DevQuestion]]) -> list[Case]:
    cases = []
    for source, item in pairs:
        cases.append(Case(item.q, item.expect, source, matcher.score(item.q)))
    return cases


def evaluate(matcher: Matcher, cases: list[Case], config: MatcherConfig | None = None) -> Report:
    kb = matcher.kb
    n = len(cases)
    in_scope = [c for c in cases if c.expect is not None]
    oos = [c for c in cases if c.expect is None]
    top1 = top3 = answered_ok = wrong = oos_answered = fallbacks = oos_fallback = suggested = 0
    topic_stats: dict[str, dict[str, int]] = defaultdict(lambda: {"n": 0, "top1": 0, "answered": 0})
    report = Report({}, {})
    for case in cases:
        outcome, _margin = matcher.decide(case.scored, config)
        ranked = [c.entry_id for c in case.candidates]
        got = ranked[0] if ranked else None
        topic = kb.by_id[case.expect].topic if case.expect in kb.by_id else OUT_OF_SCOPE
        if case.expect is not None and case.expect not in kb.by_id:
            report.unknown_expect.append({"q": case.question, "expect": case.expect, "file": case.source})
        stats = topic_stats[topic]
        stats["n"] += 1
        suggested += outcome == "suggest"
        if outcome == "fallback":
            fallbacks += 1
            oos_fallback += case.expect is None
        if case.expect is None:
            if outcome == "answer":
                oos_answered += 1
                wrong += 1
                report.wrong_confident.append(_row(case, got, outcome))
            else:
                stats["top1"] += 1
                stats["answered"] += 1
            continue
        if got == case.expect:
            top1 += 1
            stats["top1"] += 1
        if case.expect in ranked[:3]:
            top3 += 1
        else:
            report.top3_misses.append(_row(case, got, outcome))
        if outcome == "answer":
            if got == case.expect:
                answered_ok += 1
                stats["answered"] += 1
            else:
                wrong += 1
                report.wrong_confident.append(_row(case, got, outcome))
    ni, no = max(len(in_scope), 1), max(len(oos), 1)
    report.figures = {
        "questions": n,
        "in_scope": len(in_scope),
        "out_of_scope": len(oos),
        "top1": top1 / ni,
        "top3": top3 / ni,
        "answered_correctly": answered_ok / ni,
        "suggested": suggested / max(n, 1),
        "wrong_confident": wrong / max(n, 1),
        "out_of_scope_answered": oos_answered / no,
        "fallback_precision": oos_fallback / fallbacks if fallbacks else 1.0,
        "fallback_recall": oos_fallback / no,
    }
    report.per_topic = {
        topic: {"n": s["n"], "top1": s["top1"] / s["n"], "answered": s["answered"] / s["n"]}
        for topic, s in sorted(topic_stats.items())
    }
    return report


def _row(case: Case, got: str | None, outcome: str) -> dict:
    best = case.candidates[0] if case.candidates else None
    return {
        "q": case.question,
        "expect": case.expect,
        "got": got,
        "outcome": outcome,
        "confidence": best.confidence if best else 0.0,
        "top3": [c.entry_id for c in case.candidates[:3]],
        "file": case.source,
    }


def calibrate(
    matcher: Matcher,
    cases: list[Case],
    max_wrong: float = 0.01,
    max_oos_answered: float = 0.03,
) -> tuple[Thresholds, Report]:
    """Grid-search the thresholds: keep wrong confident answers and answered out-of-scope questions
    under the limits (with headroom below the test's), then answer as many questions correctly as
    possible; the suggestion threshold then trades in-scope help against out-of-scope fallbacks."""
    base = matcher.config
    best_key = None
    best_answer = base.thresholds
    # below half of the question explained, no margin makes a direct answer safe on questions the
    # dev set does not contain
    steps = [i / 100 for i in range(int(MIN_ANSWER * 100), 100)]
    # a tie is never answered, whatever the dev set says: two entries that fit equally well mean
    # the question is ambiguous
    margins = [i / 100 for i in range(int(MIN_MARGIN * 100), 31)]
    for answer in steps:
        for margin in margins:
            thresholds = base.thresholds.model_copy(update={"answer": answer, "margin": margin, "suggest": 0.0})
            config = base.model_copy(update={"thresholds": thresholds})
            f = evaluate(matcher, cases, config).figures
            if f["wrong_confident"] > max_wrong or f["out_of_scope_answered"] > max_oos_answered:
                continue
            # most correct answers; among equals the stricter setting (further from the edge)
            key = (round(f["answered_correctly"], 6), -round(f["wrong_confident"], 6), answer, margin)
            if best_key is None or key > best_key:
                best_key, best_answer = key, thresholds
    best_suggest_key = None
    chosen = best_answer
    for suggest in [i / 100 for i in range(0, int(best_answer.answer * 100) + 1)]:
        thresholds = best_answer.model_copy(update={"suggest": suggest})
        config = base.model_copy(update={"thresholds": thresholds})
        helped = oos_fallback = 0
        for case in cases:
            outcome, _ = matcher.decide(case.scored, config)
            ranked = [c.entry_id for c in case.candidates[:3]]
            if case.expect is None:
                oos_fallback += outcome == "fallback"
            elif outcome != "fallback" and case.expect in ranked:
                helped += 1
        key = (helped + oos_fallback, suggest)
        if best_suggest_key is None or key > best_suggest_key:
            best_suggest_key, chosen = key, thresholds
    final = base.model_copy(update={"thresholds": chosen})
    return chosen, evaluate(matcher, cases, final)
