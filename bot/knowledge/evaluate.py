"""Measure the matcher on dev sets (``python -m bot kb eval``) and calibrate its thresholds.

A dev file holds ``questions: [{q: "...", expect: entry-id or null, also: optional list of entry ids,
source: optional}]``; ``null`` marks a question the knowledge base must not answer (out of scope or a
near-topic trap). ``also`` names other entries whose answer gives the asker what ``expect``'s gives
(labelled without running the bot: see the real sets' headers); an answer, button or rank of any of
them counts as right, and one line of the report counts direct answers by ``expect`` alone. The figures
lead with what the asker sees, because that is what a person feels (a list is one more round trip;
on a phone it reads like "I don't know"):

* in scope — direct right (answered with the expected entry, with or without a header), direct
  wrong, suggested with the expected entry among the buttons, suggested without it, fallback;
* out of scope — answered (bad), suggested, fallback;

overall, per topic of the expected entry and per question source (the ``source`` field — a web
page counts by its site — else the file name). Secondary lines: top-1 / top-3 (the expected entry ranked first / among the first
three), guided answers (direct answers under a header, with runner-ups as buttons), wrong answers
whose runner-up buttons hold the right entry, fallbacks whose related topics hold it (and
out-of-scope questions shown related topics), and fallback precision / recall.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.content.loader import ContentError, load_model
from bot.knowledge.matcher import SUGGESTIONS, Candidate, Decision, Matcher, Scored
from bot.knowledge.schema import MatcherConfig, Thresholds

if TYPE_CHECKING:
    from bot.knowledge.personal import PersonalCases

OUT_OF_SCOPE = "out_of_scope"
#: the topic of in-scope questions whose expected entry does not exist
UNKNOWN_ENTRY = "unknown_entry"
#: what an in-scope asker sees, in the order the report prints them
IN_SCOPE_KINDS = ("direct_right", "direct_wrong", "suggested_right", "suggested_wrong", "fallback")
#: what an out-of-scope asker sees
OUT_OF_SCOPE_KINDS = ("answered", "suggested", "fallback")
MIN_MARGIN = 0.02
MIN_ANSWER = 0.5
#: a guided answer below this confidence explains too little of the question to be a guess worth
#: showing, whatever its lead
MIN_GUIDED = 0.2
#: the calibration keeps this much headroom below the floors the tests hold the dev set to
MAX_WRONG = 0.02
MAX_OOS_ANSWERED = 0.05
#: second-topic shares the calibration tries (1.0: never)
SECOND_TOPICS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 1.0)


class DevQuestion(BaseModel):
    model_config = ConfigDict(extra="ignore")
    q: str
    expect: str | None = None
    #: other entries that answer the question as fully as ``expect`` (see the module docstring)
    also: list[str] = Field(default_factory=list)
    source: str | None = None

    @model_validator(mode="after")
    def _also_needs_an_expected_entry(self) -> DevQuestion:
        if self.also and self.expect is None:
            raise ValueError("`also` needs an `expect`: an out-of-scope question has no entry that answers it")
        if self.expect in self.also:
            raise ValueError(f"`also` repeats the expected entry {self.expect}")
        return self


class DevFile(BaseModel):
    model_config = ConfigDict(extra="ignore")
    questions: list[DevQuestion] = Field(default_factory=list)


@dataclass
class Case:
    question: str
    expect: str | None
    source: str
    scored: Scored
    #: the entry a personal-case question is shown when the matcher does not answer it (see
    #: ``bot.knowledge.personal.personal_reply``), None for other questions
    personal: str | None = None
    #: other entries whose answer serves the asker as well as ``expect``'s
    also: frozenset[str] = frozenset()

    @property
    def candidates(self) -> list[Candidate]:
        return self.scored.candidates

    def accepts(self, entry_id: str | None) -> bool:
        """Whether showing ``entry_id``'s answer gives an in-scope asker what they asked for."""
        return entry_id is not None and self.expect is not None and (entry_id == self.expect or entry_id in self.also)

    def accepts_any(self, entry_ids: tuple[str, ...] | list[str]) -> bool:
        return any(self.accepts(entry_id) for entry_id in entry_ids)


@dataclass
class Report:
    figures: dict[str, float]
    per_topic: dict[str, dict[str, float]]
    per_source: dict[str, dict[str, float]] = field(default_factory=dict)
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
    """(source, question) pairs — the question's ``source`` field, else its file name; raises
    ContentError for a missing or malformed file."""
    pairs: list[tuple[str, DevQuestion]] = []
    for path in dev_files(paths):
        parsed = load_model(path, DevFile)
        pairs.extend((_source(q.source) or path.name, q) for q in parsed.questions)
    if not pairs:
        raise ContentError([])
    return pairs


def _source(source: str | None) -> str | None:
    """A source for grouping: a web page counts by its site (one line per page would be noise)."""
    if source and source.startswith(("http://", "https://")):
        return urlparse(source).netloc or source
    return source


def expected_id(matcher: Matcher, expect: str | None) -> str | None:
    """The entry that answers a question labelled ``expect`` now: the label of an entry since merged
    into another names the one that took it over (``replaces``), so question sets need no rewrite."""
    entry = matcher.entry(expect) if expect is not None else None
    return entry.id if entry is not None else expect


def case_of(matcher: Matcher, source: str, item: DevQuestion, scored: Scored) -> Case:
    """A dev question scored, its labels read as the entries that answer it now (``expected_id``)."""
    expect = expected_id(matcher, item.expect)
    also = frozenset(entry_id for other in item.also if (entry_id := expected_id(matcher, other)) != expect)
    return Case(item.q, expect, source, scored, also=also)


def score_cases(matcher: Matcher, pairs: list[tuple[str, DevQuestion]]) -> list[Case]:
    return [case_of(matcher, source, item, matcher.score(item.q)) for source, item in pairs]


def labels_as_of(matcher: Matcher, cases: list[Case], merged_since: dict[str, str] | None = None) -> int:
    """Read today's labels against an earlier commit's entries (``kb eval --as-of``). An entry merged
    since into one a question accepts (``merged_since``: old id → the id that replaced it) answered
    it then as that entry does now. A label naming an entry written after the commit is dropped; a
    question left with no entry of the commit is out of scope, as null was its label then. Changes
    ``cases`` in place; returns how many became out of scope. (At the work tree's own entries a
    label naming no entry is a mistake, which ``evaluate`` reports as ``unknown_expect``.)"""
    merged_since = merged_since or {}
    changed = 0
    for case in cases:
        if case.expect is None:
            continue
        labels = [case.expect, *sorted(case.also)]
        labels += sorted(old for old, new in merged_since.items() if new in labels)
        held = [label for label in dict.fromkeys(labels) if label in matcher.kb.by_id]
        case.expect, case.also = (held[0], frozenset(held[1:])) if held else (None, frozenset())
        changed += not held
    return changed


def with_personal_routes(cases: list[Case], detector: PersonalCases | None) -> list[Case]:
    """Mark the personal-case questions with the entry the chat shows them when the matcher does
    not answer (a question about another series or place never is one: its fallback says so)."""
    if detector is None:
        return cases
    for case in cases:
        found = None if case.scored.unexplained_foreign else detector.detect(case.question)
        case.personal = found.entry_id if found is not None else None
    return cases


def seen(case: Case, decision: Decision) -> str:
    """What the asker of ``case`` sees under ``decision`` (one of the ``*_KINDS``): a personal-case
    question the matcher does not answer is shown its level's baseline entry (``Case.personal``)."""
    shown = case.scored.shown(decision)
    got = shown[0].entry_id if shown else None
    if case.personal is not None and decision.outcome != "answer":
        if case.expect is None:
            return "answered"
        return "direct_right" if case.accepts(case.personal) else "direct_wrong"
    if case.expect is None:
        return {"answer": "answered", "suggest": "suggested"}.get(decision.outcome, "fallback")
    if decision.outcome == "answer":
        return "direct_right" if case.accepts(got) else "direct_wrong"
    if decision.outcome == "suggest":
        return "suggested_right" if case.accepts_any(decision.offered) else "suggested_wrong"
    return "fallback"


def tally(matcher: Matcher, cases: list[Case], config: MatcherConfig | None = None) -> tuple[Counter, int, int]:
    """Counts of each kind (in scope and out of scope share ``fallback``, so out-of-scope kinds are
    prefixed ``oos_``), and the numbers of in-scope and out-of-scope cases. Cheap: calibration
    calls it for every point of its grid."""
    counts: Counter = Counter()
    in_scope = 0
    for case in cases:
        kind = seen(case, matcher.decide(case.scored, config))
        if case.expect is None:
            counts["oos_" + kind] += 1
        else:
            in_scope += 1
            counts[kind] += 1
    return counts, in_scope, len(cases) - in_scope


def _shares(counts: Counter, n_in: int, n_out: int) -> dict[str, float]:
    shares = {kind: counts[kind] / max(n_in, 1) for kind in IN_SCOPE_KINDS}
    shares |= {f"out_of_scope_{kind}": counts["oos_" + kind] / max(n_out, 1) for kind in OUT_OF_SCOPE_KINDS}
    return shares


def evaluate(matcher: Matcher, cases: list[Case], config: MatcherConfig | None = None) -> Report:
    kb = matcher.kb
    report = Report({}, {})
    overall: Counter = Counter()
    groups: dict[str, dict[str, Counter]] = {"topic": defaultdict(Counter), "source": defaultdict(Counter)}
    top1 = top3 = guided = rescued = related_right = oos_related = unanswered_first = first_label = 0
    for case in cases:
        decision = matcher.decide(case.scored, config)
        kind = seen(case, decision)
        ranked = [c.entry_id for c in case.scored.shown(decision)]
        got = ranked[0] if ranked else None
        if case.personal is not None and decision.outcome != "answer":
            got = case.personal  # what the chat shows the asker
        for label in (case.expect, *sorted(case.also)):
            if label is not None and label not in kb.by_id:
                report.unknown_expect.append({"q": case.question, "expect": label, "file": case.source})
        if case.expect is None:
            topic = OUT_OF_SCOPE
        else:
            topic = kb.by_id[case.expect].topic if case.expect in kb.by_id else UNKNOWN_ENTRY
        key = kind if case.expect is not None else "oos_" + kind
        for counter in (overall, groups["topic"][topic], groups["source"][case.source]):
            counter[key] += 1
            counter["n_in" if case.expect is not None else "n_out"] += 1
        if kind in ("direct_wrong", "answered"):
            report.wrong_confident.append(_row(case, got, decision))
        related = decision.outcome == "fallback" and bool(decision.offered)
        if case.expect is None:
            oos_related += related
            continue
        related_right += related and case.accepts_any(decision.offered)
        top1 += case.accepts(got)
        unanswered_first += case.accepts(got) and kind != "direct_right"
        top3 += case.accepts_any(ranked[:3])
        if not case.accepts_any(ranked[:3]):
            report.top3_misses.append(_row(case, got, decision))
        guided += kind == "direct_right" and decision.guided
        rescued += kind == "direct_wrong" and case.accepts_any(decision.offered)
        first_label += kind == "direct_right" and got == case.expect
    n_in, n_out = overall["n_in"], overall["n_out"]
    report.figures = {"questions": len(cases), "in_scope": n_in, "out_of_scope": n_out}
    report.figures |= _shares(overall, n_in, n_out)
    report.figures |= {
        # answered with the first label's entry: the figure before ``also`` lists were labelled
        "direct_right_first_label": first_label / max(n_in, 1),
        "top1": top1 / max(n_in, 1),
        "top3": top3 / max(n_in, 1),
        "guided": guided / max(n_in, 1),
        "wrong_with_right_button": rescued / max(n_in, 1),
        # ranked first but shown as a list or a fallback: what a better decision could still answer
        "first_right_not_answered": unanswered_first / max(n_in, 1),
        # a fallback that offers related topics: in scope with the right one among them; out of
        # scope shown any (the text says nothing fits, but the list is noise to them)
        "fallback_right_related": related_right / max(n_in, 1),
        "out_of_scope_related": oos_related / max(n_out, 1),
        "fallback_precision": (
            overall["oos_fallback"] / (overall["fallback"] + overall["oos_fallback"])
            if overall["fallback"] + overall["oos_fallback"]
            else 1.0
        ),
    }
    report.per_topic = {name: _group(c) for name, c in sorted(groups["topic"].items())}
    report.per_source = {name: _group(c) for name, c in sorted(groups["source"].items())}
    return report


def _group(counts: Counter) -> dict[str, float]:
    n_in, n_out = counts["n_in"], counts["n_out"]
    out: dict[str, float] = {"n": n_in + n_out, "in_scope": n_in, "out_of_scope": n_out}
    if n_in:
        out |= {kind: counts[kind] / n_in for kind in IN_SCOPE_KINDS}
    if n_out:
        out |= {f"out_of_scope_{kind}": counts["oos_" + kind] / n_out for kind in OUT_OF_SCOPE_KINDS}
    return out


def _row(case: Case, got: str | None, decision: Decision) -> dict:
    best = case.candidates[0] if case.candidates else None
    return {
        "q": case.question,
        "expect": case.expect,
        "also": sorted(case.also),
        "got": got,
        "outcome": decision.outcome + (" (guided)" if decision.guided else ""),
        "confidence": best.confidence if best else 0.0,
        "top3": [c.entry_id for c in case.candidates[:3]],
        "file": case.source,
    }


def _config(base: MatcherConfig, thresholds: Thresholds) -> MatcherConfig:
    return base.model_copy(update={"thresholds": thresholds})


@dataclass
class _Features:
    """Per case, what ``Matcher.decide`` looks at, as arrays: calibration replays the decision for
    a whole grid of thresholds at once (``test_knowledge_policy`` checks it agrees with ``decide``)."""

    exact: np.ndarray
    foreign_ok: np.ndarray
    confidence: np.ndarray
    margin: np.ndarray
    lead: np.ndarray
    content: np.ndarray
    in_scope: np.ndarray
    top1_right: np.ndarray
    top3_right: np.ndarray

    @classmethod
    def of(cls, matcher: Matcher, cases: list[Case], t: Thresholds) -> _Features:
        rows = []
        for case in cases:
            d = matcher.decide(case.scored, focus=False)
            best = case.candidates[0] if case.candidates else None
            ranked = [c.entry_id for c in case.candidates]
            rows.append(
                (
                    bool(best) and (case.scored.exact or best.fuzzy * 100 >= t.exact_ratio),
                    bool(best) and best.explains_foreign,
                    best.confidence if best else -1.0,
                    d.margin,
                    # a second topic makes the guided tier ignore the lead
                    1.0 if case.scored.second_topic >= t.second_topic else d.lead,
                    case.scored.content_chars,
                    case.expect is not None,
                    bool(ranked) and case.accepts(ranked[0]),
                    case.accepts_any(ranked[:SUGGESTIONS]),
                )
            )
        columns = list(zip(*rows, strict=True)) if rows else [()] * 9
        return cls(*(np.array(c) for c in columns))

    def sure(self, t: Thresholds) -> np.ndarray:
        """Answered by the sure tier (or as a near-verbatim phrasing), per case."""
        return self.exact | (
            self.foreign_ok & (self.confidence >= t.answer) & (self.margin >= t.margin) & (self.content >= t.min_content_chars)
        )

    def guided_counts(self, mask: np.ndarray, guided: np.ndarray, lead: np.ndarray) -> np.ndarray:
        """For each (guided, lead) pair of a grid (both sorted), how many cases of ``mask`` the
        guided tier would answer (confidence ≥ guided and lead ≥ lead): a 2-D histogram summed from
        the top, so the whole grid costs what one case list does."""
        rows = np.searchsorted(guided, self.confidence, side="right")  # how many grid values ≤ it
        cols = np.searchsorted(lead, self.lead, side="right")
        eligible = mask & self.foreign_ok
        hist = np.zeros((guided.size + 1, lead.size + 1), dtype=np.int64)
        np.add.at(hist, (rows[eligible], cols[eligible]), 1)
        above = hist[::-1, ::-1].cumsum(axis=0).cumsum(axis=1)[::-1, ::-1]
        return above[1:, 1:]


def calibrate(
    matcher: Matcher,
    cases: list[Case],
    max_wrong: float = MAX_WRONG,
    max_oos_answered: float = MAX_OOS_ANSWERED,
    groups: list[int] | None = None,
    limits: dict[int, tuple[float, float]] | None = None,
    suggest: float | None = None,
) -> tuple[Thresholds, Report]:
    """Grid-search the thresholds: the sure tier (answer, margin), the guided tier (guided, lead)
    and the second-topic share jointly, keeping direct wrong answers (share of the in-scope
    questions) and answered out-of-scope questions within the limits and answering as many
    questions right as possible, among equals the stricter setting; then the suggestion threshold,
    trading in-scope help against out-of-scope fallbacks.

    ``groups`` (one number per case, e.g. its file) makes the limits hold in every group, not only
    over all cases: a small set of real phrasings must not pay for a large written dev set (pooled,
    the dev set's many easy questions let the tuning half go to 6 % wrong, and the held-out half
    to twice that). ``limits`` gives a group its own (max wrong, max out-of-scope answered): the
    sets scored as of the commit that added them, which stand for questions nobody has written
    phrasings for, allow more wrong answers than the fitted sets and are the ones that bind.
    ``suggest`` keeps the suggestion threshold at that value instead of searching it.

    The search counts what the matcher decides; a personal-case question it does not answer is shown
    its level's baseline all the same (``Case.personal``), which the report counts and the search
    does not (a few questions in a thousand)."""
    base = matcher.config
    best_key, best = None, base.thresholds
    group_ids = np.array(groups if groups is not None else [0] * len(cases))
    for second in SECOND_TOPICS:
        t = base.thresholds.model_copy(update={"second_topic": second})
        found = _search(_Features.of(matcher, cases, t), t, max_wrong, max_oos_answered, group_ids, limits)
        if found is not None and (best_key is None or found[0] > best_key):
            best_key, best = found
    final = best.model_copy(update={"suggest": suggest}) if suggest is not None else _with_suggest(matcher, cases, best)
    return final, evaluate(matcher, cases, _config(base, final))


def _with_suggest(matcher: Matcher, cases: list[Case], best: Thresholds) -> Thresholds:
    """``best`` with the suggestion threshold that helps the most askers: in-scope ones who get a
    list holding the right entry, out-of-scope ones who get the fallback."""
    best_key, final = None, best
    for suggest in [i / 100 for i in range(0, int(best.answer * 100) + 1)]:
        thresholds = best.model_copy(update={"suggest": suggest})
        counts, _, _ = tally(matcher, cases, _config(matcher.config, thresholds))
        key = (counts["suggested_right"] + counts["oos_fallback"], suggest)
        if best_key is None or key > best_key:
            best_key, final = key, thresholds
    return final


def _search(
    f: _Features,
    base: Thresholds,
    max_wrong: float,
    max_oos_answered: float,
    group_ids: np.ndarray | None = None,
    limits: dict[int, tuple[float, float]] | None = None,
) -> tuple[tuple, Thresholds] | None:
    """The best (answer, margin, guided, lead) for one second-topic share, with its sort key; the
    limits hold in each group of ``group_ids`` (all cases one group when None), a group's own
    ``limits`` where it has them."""
    if group_ids is None:
        group_ids = np.zeros(f.in_scope.shape, dtype=np.int64)
    limits = limits or {}
    groups = (
        [(group_ids == g, *limits.get(int(g), (max_wrong, max_oos_answered))) for g in np.unique(group_ids)]
        if group_ids.size
        else []
    )
    right = f.in_scope & f.top1_right
    wrong = f.in_scope & ~f.top1_right
    oos = ~f.in_scope
    # below half of the question explained, no margin makes a sure answer safe on questions the
    # dev set does not contain; a tie is never answered, whatever the dev set says; below a fifth
    # explained, a guess is not worth showing
    guided = np.array([g / 100 for g in range(int(MIN_GUIDED * 100), 101)])
    leads = np.array([lead / 100 for lead in range(int(MIN_MARGIN * 100), 61)])
    # one column per (guided, lead) pair, and a last one with the guided tier off
    g_col = np.append(np.repeat(guided, leads.size), 1.0)
    l_col = np.append(np.tile(leads, guided.size), 1.0)
    best_key, best = None, None
    for answer in [i / 100 for i in range(int(MIN_ANSWER * 100), 100)]:
        for margin in [i / 100 for i in range(int(MIN_MARGIN * 100), 31)]:
            t = base.model_copy(update={"answer": answer, "margin": margin})
            sure = f.sure(t)

            def answered(kind: np.ndarray, sure: np.ndarray = sure) -> np.ndarray:
                """Per grid column, how many cases of ``kind`` the sure or else the guided tier answers."""
                return np.append(f.guided_counts(~sure & kind, guided, leads).ravel(), 0) + int((sure & kind).sum())

            n_right, n_wrong, n_oos = (answered(kind) for kind in (right, wrong, oos))
            ok = np.ones(n_right.shape, dtype=bool)
            for member, group_wrong, group_oos in groups:
                g_in, g_out = int((member & f.in_scope).sum()), int((member & oos).sum())
                # one question is the least a limit can allow (2 % of 48 would allow none)
                ok &= answered(wrong & member) <= max(group_wrong * g_in, 1) + 1e-9
                ok &= answered(oos & member) <= max(group_oos * g_out, 1) + 1e-9
            if not ok.any():
                continue
            allowed = np.flatnonzero(ok)
            # the most right answers, then the fewest wrong, then the strictest guided tier
            keys = (l_col[allowed], g_col[allowed], -n_oos[allowed], -n_wrong[allowed], n_right[allowed])
            c = int(allowed[np.lexsort(keys)[-1]])
            # among equals: the stricter guided tier, then a second topic offered wherever it costs
            # nothing, then the stricter sure tier
            key = (int(n_right[c]), -int(n_wrong[c]), -int(n_oos[c]), g_col[c], l_col[c], -base.second_topic, answer, margin)
            if best_key is None or key > best_key:
                best_key = key
                best = t.model_copy(update={"guided": float(g_col[c]), "lead": float(l_col[c])})
    return (best_key, best) if best is not None else None
