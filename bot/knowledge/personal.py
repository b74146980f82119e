"""Personal-case questions: "我本科毕业8年能报中级吗" tells facts and asks about one level.

Such a question gets the entry that states the level's baseline (or the matcher's own answer when
that entry is about the same level and more specific, e.g. 中专评工程师) under a line that repeats
what the question told, and a 资格自测 button that starts the self-check with those facts filled in.

The extractor is data-driven: the words for education, titles held, "want", "ask", work and the
level → entry map live in ``knowledge/personal_case.yaml``, the level words in
``knowledge/levels.yaml``. It reads the question after NFKC, lower case and traditional →
simplified; Chinese numerals before 年 become digits (八年 → 8, 十二年 → 12, 两年 → 2), and 半 adds
half a year (3年半 → 3.5, 半年 → 0.5). It only ever fills answers of the self-check; the check itself
asks everything else and decides.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from bot.content.loader import ContentError, ContentProblem, load_model
from bot.core.numbers import chinese_to_int
from bot.knowledge.normalize import to_simplified
from bot.knowledge.schema import LevelsFile

if TYPE_CHECKING:
    from bot.knowledge.answering import Answerer, Reply

FILE = "personal_case.yaml"
YEARS_MAX = 50  # the self-check's number questions go to 50


class LevelUse(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: value of the self-check's ``current_title`` when the level is held
    title: str
    #: the entry that states the level's baseline, when the level is reviewed here
    entry: str | None = None


class PersonalCaseFile(BaseModel):
    """``knowledge/personal_case.yaml``."""

    model_config = ConfigDict(extra="forbid")
    ask: list[str] = Field(min_length=1)
    want: list[str] = Field(min_length=1)
    held: list[str] = Field(default_factory=list)
    work: list[str] = Field(default_factory=list)
    years_link: list[str] = Field(default_factory=list)
    no_title: list[str] = Field(default_factory=list)
    education: dict[str, list[str]] = Field(default_factory=dict)
    levels: dict[str, LevelUse] = Field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    """What a question told. ``answers`` are named like the self-check's answers."""

    level: str  # level id wanted (knowledge/levels.yaml)
    entry_id: str
    answers: dict[str, Any] = field(default_factory=dict)


# ---- numbers ---------------------------------------------------------------------------------------
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十]+(?=个?年|个?多年)")
_YEARS = re.compile(r"(\d+(?:\.\d+)?)\s*个?\s*(?:多)?\s*年(半)?|(?<![\d年])半年")


def prepare(question: str) -> str:
    """NFKC, lower case, simplified, Chinese numerals before 年 as digits, no spaces."""
    text = to_simplified(unicodedata.normalize("NFKC", question).lower())
    text = "".join(text.split())

    def digits(match: re.Match[str]) -> str:
        value = chinese_to_int(match.group(0))
        return match.group(0) if value is None else str(value)

    return _CN_NUMBER.sub(digits, text)


# ---- the extractor ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Mention:
    kind: str  # level | education | no_title
    value: str
    start: int
    end: int


def _alternation(words: dict[str, str]) -> re.Pattern[str] | None:
    keys = sorted((w for w in words if w), key=len, reverse=True)
    return re.compile("|".join(re.escape(k) for k in keys)) if keys else None


class PersonalCases:
    """Built once from the two vocabulary files; ``detect`` is a few regex passes."""

    def __init__(self, vocab: PersonalCaseFile, levels: LevelsFile, entry_ids: set[str]) -> None:
        self.vocab = vocab
        words: dict[str, str] = {}
        for level in levels.levels:
            for term in level.terms:
                words.setdefault(prepare(term), f"level:{level.id}")
        for word in levels.not_levels:
            words[prepare(word)] = "skip:"
        for value, terms in vocab.education.items():
            for term in terms:
                words.setdefault(prepare(term), f"education:{value}")
        for term in vocab.no_title:
            words[prepare(term)] = "no_title:none"
        self._words = _alternation(words)
        self._kinds = words
        self._ask = _alternation({prepare(w): "" for w in vocab.ask})
        self._want = sorted({prepare(w) for w in vocab.want} - {""}, key=len, reverse=True)
        self._held = sorted({prepare(w) for w in vocab.held} - {""}, key=len, reverse=True)
        self._work = sorted({prepare(w) for w in vocab.work} - {""}, key=len, reverse=True)
        self._link = sorted({prepare(w) for w in vocab.years_link} - {""}, key=len, reverse=True)
        self.entries = {lvl: use.entry for lvl, use in vocab.levels.items() if use.entry and use.entry in entry_ids}

    # .. pieces
    def _mentions(self, text: str) -> list[_Mention]:
        if self._words is None:
            return []
        out = []
        for m in self._words.finditer(text):
            kind, _, value = self._kinds[m.group(0)].partition(":")
            if kind != "skip":
                out.append(_Mention(kind, value, m.start(), m.end()))
        return out

    @staticmethod
    def _ends_with(text: str, end: int, words: list[str], slack: int = 0) -> bool:
        """One of ``words`` ends at ``end`` (or up to ``slack`` characters before it)."""
        return any(text.endswith(w, 0, end - s) for w in words for s in range(slack + 1) if end - s >= len(w))

    def _linked_years(self, text: str, end: int, years: dict[int, float]) -> tuple[int, float] | None:
        """Years that follow position ``end`` (with only link words such as 满/已经 in between)."""
        pos = end
        for _ in range(3):
            if pos in years:
                return pos, years[pos]
            word = next((w for w in self._link if text.startswith(w, pos)), None)
            if word is None:
                return None
            pos += len(word)
        return (pos, years[pos]) if pos in years else None

    def detect(self, question: str) -> Case | None:
        """The personal case a question describes, or None (then the matcher's answer stands)."""
        text = prepare(question)
        if not text or self._ask is None or not self._ask.search(text):
            return None
        years: dict[int, float] = {}
        for m in _YEARS.finditer(text):
            if m.group(1) is None:
                value = 0.5
            else:
                value = float(m.group(1)) + (0.5 if m.group(2) else 0.0)
            if value <= YEARS_MAX:
                years[m.start()] = value
        answers: dict[str, Any] = {}
        used_years: set[int] = set()
        wanted: str | None = None
        undecided: list[_Mention] = []
        held: list[tuple[_Mention, float | None]] = []
        for mention in self._mentions(text):
            if mention.kind == "education":
                answers.setdefault("education", mention.value)
                continue
            if mention.kind == "no_title":
                answers.setdefault("current_title", "none")
                continue
            linked = self._linked_years(text, mention.end, years)
            if linked is not None:
                used_years.add(linked[0])
                held.append((mention, linked[1]))
            elif self._ends_with(text, mention.start, self._want, slack=1):
                wanted = mention.value
            elif self._ends_with(text, mention.start, self._held, slack=1):
                held.append((mention, None))
            else:
                undecided.append(mention)
        if wanted is None and undecided:
            wanted = undecided.pop().value
        held.extend((m, None) for m in undecided)
        if held:
            mention, title_years = held[-1]
            use = self.vocab.levels.get(mention.value)
            if use is not None and mention.value != wanted:
                answers["current_title"] = use.title
                if title_years is not None:
                    answers["years_in_title"] = _years(title_years)
        for start, value in years.items():
            if start in used_years:
                continue
            if self._ends_with(text, start, self._work, slack=2) or any(
                m.kind == "education" and 0 <= start - m.end <= 2 for m in self._mentions(text)
            ):
                answers.setdefault("years_of_work", _years(value))
        if wanted is None or wanted not in self.entries or not answers:
            return None
        return Case(level=wanted, entry_id=self.entries[wanted], answers=answers)


def _years(value: float) -> int | float:
    return int(value) if value == int(value) else value


def personal_reply(answerer: Answerer, case: Case, reply: Reply, now: datetime, t: Callable[..., str]) -> Reply:
    """The level's baseline entry (or the matcher's answer when it is about the same level) under a
    line that repeats what the question told. ``t`` resolves the knowledge and eligibility texts."""
    from bot.eligibility.answers import describe_facts, whole_years

    entry = answerer.entry(reply.entry_id) if reply.outcome == "answer" and reply.entry_id else None
    if entry is None or case.level not in entry.levels:
        entry = answerer.entry(case.entry_id)
    if entry is None:
        return reply
    levels = answerer.runtime.kb.levels.levels
    level = next((lvl.label for lvl in levels if lvl.id == case.level), case.level)
    header = t("knowledge.personal.header", facts=describe_facts(t, whole_years(case.answers)), level=level)
    answered = answerer.answer_entry(entry, now, score=reply.score, normalized=reply.normalized)
    return replace(answered, text=f"{header}\n\n{answered.text}")


def load_personal_cases(root: Path, levels: LevelsFile, entry_ids: set[str]) -> PersonalCases | None:
    """The detector, or None when the content has no ``knowledge/personal_case.yaml``."""
    path = root / "knowledge" / FILE
    if not path.exists():
        return None
    return PersonalCases(load_model(path, PersonalCaseFile, root), levels, entry_ids)


def check_personal_cases(root: Path) -> list[ContentProblem]:
    """``python -m bot check``: the file loads, its levels, entries and values exist."""
    path = root / "knowledge" / FILE
    if not path.exists():
        return []
    from bot.dialogs.loader import load_dialog
    from bot.dialogs.schema import ButtonsInput
    from bot.knowledge.loader import collect

    name = f"knowledge/{FILE}"
    vocab = load_model(path, PersonalCaseFile, root)
    kb, _problems = collect(root)
    problems: list[ContentProblem] = []
    if kb is None:
        return problems  # the knowledge checker reports why
    level_ids = {lvl.id for lvl in kb.levels.levels}
    try:
        dialog = load_dialog(root, "eligibility")
    except ContentError:
        return problems  # the dialogs checker reports why

    def options(state: str) -> set[Any]:
        spec = dialog.states[state].input if state in dialog.states else None
        return {o.value for o in spec.options} if isinstance(spec, ButtonsInput) else set()

    for level, use in vocab.levels.items():
        if level not in level_ids:
            problems.append(ContentProblem(name, None, f"level {level!r} is not in knowledge/levels.yaml"))
        if use.title not in options("current_title"):
            problems.append(ContentProblem(name, None, f"title {use.title!r} is not an option of current_title"))
        if use.entry is not None and use.entry not in kb.by_id:
            problems.append(ContentProblem(name, None, f"entry {use.entry!r} of level {level!r} does not exist"))
    for value in vocab.education:
        if value not in options("education"):
            problems.append(ContentProblem(name, None, f"education {value!r} is not an option of education"))
    return problems
