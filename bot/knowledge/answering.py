"""Turn a match into what the user reads: the answer with its source line, suggestions, or the
fallback with the office's contacts. No database and no chat framework here, so ``python -m bot ask``
starts fast and the chat feature and the command line say exactly the same thing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.clock import LOCAL_TZ
from bot.content.texts import local_date
from bot.knowledge.headcounts import CHINESE, CountPatterns, headcounts
from bot.knowledge.matcher import SUGGESTIONS, MatchResult, Outcome
from bot.knowledge.runtime import Runtime, load_runtime
from bot.knowledge.schema import Entry
from bot.reference.cycles import CycleCalendar

TextFn = Callable[..., str]
#: a header quotes at most this many characters of the entry's question
HEADER_QUESTION_CHARS = 24
#: an out-of-scope fallback names at most this many of the foreign words it found
FOREIGN_SHOWN = 2
_TRAILING = "？?。！!，,；;：: "


def named_subjects(foreign: tuple[str, ...], normalized: str) -> list[str]:
    """The foreign words to name in a reply, in the order the question has them, without one that is
    part of another (卫生 inside 卫生系列)."""
    kept = [w for w in foreign if not any(w != other and w in other for other in foreign)]
    compact = normalized.replace(" ", "")
    return sorted(kept, key=lambda w: (compact.find(w) if w in compact else len(compact), w))


@dataclass(frozen=True)
class Suggestion:
    id: str
    question: str


@dataclass(frozen=True)
class Reply:
    """One answer to one question, in the shape of the ``ask --json`` output."""

    outcome: Outcome
    text: str
    entry_id: str | None = None
    score: float = 0.0
    sources: list[dict[str, str]] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    normalized: str = ""
    top_entry_id: str | None = None
    #: a direct answer at middle confidence: the text starts with a header naming the entry's
    #: question and ``suggestions`` holds the runner-ups ("不是这个？")
    guided: bool = False
    #: the other places, title series or exams the question names (see ``Scored.foreign``)
    foreign: tuple[str, ...] = ()
    #: a fallback on a personal circumstance the notices do not rule on: the chat offers the
    #: eligibility self-check beside it
    offers_self_check: bool = False
    #: main-menu actions the answered entry offers (``Entry.offers``), shown as buttons under it
    offers: tuple[str, ...] = ()

    @property
    def answered(self) -> bool:
        return self.outcome == "answer"

    def as_json(self) -> dict[str, Any]:
        return {
            "answered": self.answered,
            "outcome": self.outcome,
            "answer": self.text,
            "entry_id": self.entry_id,
            "score": round(self.score, 4),
            "sources": self.sources,
            "suggestions": [{"id": s.id, "question": s.question} for s in self.suggestions],
            "guided": self.guided,
        }


class Answerer:
    """Formats matches; ``t(key, **values)`` supplies the texts (office contacts included)."""

    #: the language dates are written in (``bot.content.texts.local_date``)
    date_language = "zh"
    #: how the language writes a number of applicants (``bot.knowledge.headcounts``)
    headcount_patterns: CountPatterns = CHINESE

    def __init__(self, runtime: Runtime, t: TextFn, cycles: CycleCalendar) -> None:
        self.runtime = runtime
        self.t = t
        self.cycles = cycles
        #: source lines by entry id: built from static data, so once per entry, not per answer
        self._source_lines: dict[str, str] = {}

    @property
    def matcher(self):  # noqa: ANN201
        return self.runtime.matcher

    def entry(self, entry_id: str) -> Entry | None:
        return self.runtime.kb.by_id.get(entry_id)

    # ---- pieces -----------------------------------------------------------------------------
    def source_refs(self, entry: Entry) -> list[dict[str, str]]:
        kb = self.runtime.kb
        return [
            {
                "document": s.document,
                "document_short": kb.document_short(s.document),
                "section": s.section,
                "confidence": s.confidence,
            }
            for s in entry.sources
        ]

    def source_line(self, entry: Entry) -> str:
        """Each source named from the document data, with its caveat and a confidence below high."""
        line = self._source_lines.get(entry.id)
        if line is None:
            from bot.reference.documents import Citer

            citer = Citer(self.runtime.kb.documents, self.t, arabic=self.date_language == "en")
            items = citer.items((s.document, s.section, s.confidence) for s in entry.sources)
            line = self._source_lines[entry.id] = self.t("knowledge.source_line", sources=citer.join(items))
        return line

    def cycle_note(self, entry: Entry, now: dt.datetime) -> str | None:
        today = now.astimezone(LOCAL_TZ).date()
        status = self.cycles.status(entry.cycle, today)
        if status is None or not status.ended:
            return None
        if status.newer is not None:
            return self.t("knowledge.cycle_superseded", year=status.year, newer=status.newer)
        if status.deadline is not None:
            deadline = local_date(status.deadline, self.date_language)
            return self.t("knowledge.cycle_ended", year=status.year, deadline=deadline)
        return self.t("knowledge.cycle_past", year=status.year)

    def fee_total(self, entry: Entry, normalized: str, now: dt.datetime) -> str | None:
        """What the applicants the question counts per level pay together (3个人报中级), at the fees
        of the cycle in force; None when the entry gives no fees or the question counts no one."""
        if not entry.adds_fee_total or not normalized:
            return None
        cycle = self.cycles.in_force(now.astimezone(LOCAL_TZ).year)
        counts = headcounts(normalized, self.matcher.level_mentions(normalized), self.headcount_patterns)
        if cycle is None or not counts or any(level not in cycle.fees.yuan for level in counts):
            return None
        labels = self.level_labels()
        parts = [
            self.t("knowledge.fee_total_part", level=labels.get(level, level), people=people, fee=cycle.fees.yuan[level])
            for level, people in counts.items()
        ]
        total = sum(cycle.fees.yuan[level] * people for level, people in counts.items())
        return self.t(
            "knowledge.fee_total", year=cycle.year, total=total, parts=self.t("knowledge.fee_total_separator").join(parts)
        )

    def level_labels(self) -> dict[str, str]:
        """Title level id → its name in the answer's language."""
        return {level.id: level.label for level in self.runtime.kb.levels.levels}

    def entry_text(self, entry: Entry, now: dt.datetime, normalized: str = "") -> str:
        """The answer as sent: an optional cycle note, the answer (and the fee total the question
        asks for), and the source line last."""
        pieces = (self.cycle_note(entry, now), entry.answer.strip(), self.fee_total(entry, normalized, now), self.source_line(entry))
        return "\n\n".join(p for p in pieces if p)

    # ---- replies ----------------------------------------------------------------------------
    def answer_entry(self, entry: Entry, now: dt.datetime, score: float = 1.0, normalized: str = "") -> Reply:
        return Reply(
            outcome="answer",
            text=self.entry_text(entry, now, normalized),
            entry_id=entry.id,
            score=score,
            sources=self.source_refs(entry),
            normalized=normalized,
            top_entry_id=entry.id,
            offers=tuple(entry.offers),
        )

    def header(self, entry: Entry) -> str:
        """The first line of a guided answer: the entry's question, without its question mark and
        cut at a word-agnostic length (the header names the topic, it need not be complete)."""
        question = entry.question.strip().rstrip(_TRAILING)
        if len(question) > HEADER_QUESTION_CHARS:
            question = question[: HEADER_QUESTION_CHARS - 1] + "…"
        return self.t("knowledge.answer_header", question=question)

    def _offered(self, ids: tuple[str, ...]) -> list[Suggestion]:
        entries = [self.entry(i) for i in ids]
        return [Suggestion(e.id, e.question) for e in entries if e is not None]

    def _numbered(self, suggestions: list[Suggestion]) -> list[str]:
        return [f"{i}. {s.question}" for i, s in enumerate(suggestions, 1)]

    def respond(self, question: str, now: dt.datetime) -> Reply:
        result: MatchResult = self.matcher.match(question)
        return replace(self._reply(result, now), foreign=result.foreign)

    def _reply(self, result: MatchResult, now: dt.datetime) -> Reply:
        best = result.best
        score = best.confidence if best else 0.0
        top = best.entry_id if best else None
        if result.outcome == "answer" and best is not None:
            entry = self.entry(best.entry_id)
            if entry is not None and not result.guided:
                return self.answer_entry(entry, now, score=score, normalized=result.normalized)
            if entry is not None:
                runner_ups = self._offered(result.offered)
                text = f"{self.header(entry)}\n{self.entry_text(entry, now, result.normalized)}"
                if runner_ups:
                    text += "\n\n" + "\n".join([self.t("knowledge.runner_ups"), *self._numbered(runner_ups)])
                return Reply(
                    "answer",
                    text,
                    entry.id,
                    score,
                    self.source_refs(entry),
                    runner_ups,
                    result.normalized,
                    top,
                    guided=True,
                    offers=tuple(entry.offers),
                )
        if result.outcome == "suggest":
            suggestions = self._offered(result.offered or tuple(c.entry_id for c in result.candidates[:SUGGESTIONS]))
            lines = [self.t("knowledge.suggest"), *self._numbered(suggestions), self.t("knowledge.suggest_footer")]
            return Reply("suggest", "\n".join(lines), None, score, [], suggestions, result.normalized, top)
        if result.foreign:
            # the question names another place, series or exam: say it lies outside this review
            # rather than that the notices do not cover it; a personal circumstance beside whether
            # one may apply is this review's question on a case the notices do not rule on
            subject = self.t("knowledge.subject_separator").join(
                named_subjects(result.foreign, result.normalized)[:FOREIGN_SHOWN]
            )
            key = "knowledge.fallback_situation" if result.situation else "knowledge.fallback_other_subject"
            text = self.t(key, subject=subject)
            return Reply(
                "fallback", text, None, score, [], [], result.normalized, top, offers_self_check=result.situation
            )
        related = self._offered(result.offered)
        if related:
            # nothing fits well enough to answer, but the first entries explain part of the
            # question: say so, and offer them (a press answers one and teaches the learning loop)
            lines = [self.t("knowledge.fallback_related"), *self._numbered(related), self.t("knowledge.fallback_related_footer")]
            return Reply("fallback", "\n".join(lines), None, score, [], related, result.normalized, top)
        return Reply("fallback", self.t("knowledge.fallback"), None, score, [], [], result.normalized, top)


def standalone_answerer(root: Path) -> Answerer:
    """An answerer for the command line: content and texts only (no database, no chat core)."""
    from bot.content.office import load_office
    from bot.content.texts import Texts

    office = load_office(root)
    texts = Texts.load([root / "dialogs" / "texts_knowledge.yaml"], root)
    contacts = {"phone": office.phone, "email": office.email, "address": office.address, "qq_group": office.qq_group}

    def t(key: str, **values: Any) -> str:
        return texts.get(key, **(contacts | values))

    return Answerer(load_runtime(root), t, CycleCalendar.load(root))
