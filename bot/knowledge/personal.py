"""Personal-case questions: "我本科毕业8年能报中级吗" tells facts and asks about one level.

Such a question gets a 资格自测 button that starts the self-check with those facts filled in. Its
text is the matcher's answer when it answered (under a line repeating what the question told when
it is about the level asked for, e.g. 中专评工程师; with a closing line on the self-check when it is
more specific, e.g. 跳级 or 退休返聘), else the entry that states the level's baseline.
One that tells facts but asks which level is open (我中专干了15年能评什么职称) gets the entry on this
review's levels under the same kind of line, and the same button: the self-check says which levels and
paths are open.

The extractor is data-driven: the words for education, titles held, "want", "ask", work and the
level → entry map live in ``knowledge/personal_case.yaml``, the level words in
``knowledge/levels.yaml``. It reads the question after NFKC, lower case and traditional →
simplified; Chinese numerals before 年 become digits (八年 → 8, 十二年 → 12, 两年 → 2), and 半 adds
half a year (3年半 → 3.5, 半年 → 0.5). It only ever fills answers of the self-check; the check itself
asks everything else and decides.

English questions ("I have a bachelor's and 6 years, can I apply for intermediate?") are read by the
same extractor with the English vocabulary of ``knowledge/en/personal_case.yaml`` (its level words
included; which level maps to which title and entry stays in the Chinese file): whole words only,
number words before "years" as digits, spaces kept, and years that a word such as "of experience"
follows count as years of work.
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
    from bot.knowledge.loader import KnowledgeBase

FILE = "personal_case.yaml"
EN_FILE = "en/personal_case.yaml"
YEARS_MAX = 50  # the self-check's number questions go to 50
#: words before a number of years that make it "not quite" (快十年, 将近8年)
ALMOST = ("快", "将近", "接近", "不到", "差不多", "近")


class LevelUse(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: value of the self-check's ``current_title`` when the level is held
    title: str
    #: the entry that states the level's baseline, when the level is reviewed here
    entry: str | None = None
    #: an education the baseline entry does not speak to → the entry that does (a 中专 asker wanting
    #: 工程师 reads nothing about themselves in a list that stops at 大专)
    by_education: dict[str, str] = Field(default_factory=dict)


class PersonalCaseFile(BaseModel):
    """``knowledge/personal_case.yaml``."""

    model_config = ConfigDict(extra="forbid")
    ask: list[str] = Field(min_length=1)
    #: a wish to apply (想评, 想报…) asks it too, when a title level ends the question (想评个工程师);
    #: with more after the level (想报副高 流程怎么走) the question asks that instead
    wish: list[str] = Field(default_factory=list)
    want: list[str] = Field(min_length=1)
    held: list[str] = Field(default_factory=list)
    work: list[str] = Field(default_factory=list)
    years_link: list[str] = Field(default_factory=list)
    no_title: list[str] = Field(default_factory=list)
    #: skill grades of the 高技能人才 ladder → the self-check's ``skill_level`` value: a question that
    #: names one is about the path from skills to titles (贯通)
    skills: dict[str, list[str]] = Field(default_factory=dict)
    #: words that hold a skill grade's name but name no grade held (技师学院, 预备技师班)
    not_skills: list[str] = Field(default_factory=list)
    #: the entry shown to such a question when the matcher does not answer it (the Chinese file's;
    #: the English file shares it)
    skill_entry: str | None = None
    #: a level word right after one of these is neither held nor wanted (没有助工可以直接评中级吗:
    #: 助工 is not held, and the question tells nothing about the asker by it)
    negations: list[str] = Field(default_factory=list)
    education: dict[str, list[str]] = Field(default_factory=dict)
    levels: dict[str, LevelUse] = Field(default_factory=dict)
    #: words right after years that make them years of work ("6 years of experience"; English)
    work_after: list[str] = Field(default_factory=list)
    #: level id → the words naming it (English; the Chinese level words are knowledge/levels.yaml's)
    level_words: dict[str, list[str]] = Field(default_factory=dict)
    #: words that look like a level word but name something else (English)
    not_levels: list[str] = Field(default_factory=list)
    #: words that ask which level is open (我中专干了15年能评什么职称): with a fact told and no level
    #: wanted, the question gets ``which_level_entry`` and the prefilled self-check, whose result
    #: says which levels and paths are open
    which_level: list[str] = Field(default_factory=list)
    #: the entry shown under such a question (the levels of this review); the English file shares
    #: the Chinese one's
    which_level_entry: str | None = None


@dataclass(frozen=True)
class Case:
    """What a question told. ``answers`` are named like the self-check's answers."""

    #: level id wanted (knowledge/levels.yaml); None when the question asks which level is open
    level: str | None
    entry_id: str
    answers: dict[str, Any] = field(default_factory=dict)
    #: the self-check's title value of the wanted level (how an English reply names it)
    title: str = ""


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


_EN_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_EN_NUMBER = re.compile(r"\b(" + "|".join(_EN_NUMBER_WORDS) + r")(?=\s*\+?\s*(?:more\s+)?(?:years?|yrs?)\b)")
_EN_HALF = re.compile(r"\b(\d+) and a half (?=years?\b|yrs?\b)")
_EN_YEARS = re.compile(r"(\d+(?:\.\d+)?)\s*\+?\s*(?:years?|yrs?)\b(\s+and\s+a\s+half)?|\bhalf\s+a\s+year\b")


def prepare_english(question: str) -> str:
    """NFKC, lower case, straight apostrophes, single spaces, number words before "years" as digits
    (2 and a half years → 2.5 years)."""
    text = unicodedata.normalize("NFKC", question).lower().replace("\u2019", "'")
    text = " ".join(text.split())
    text = _EN_NUMBER.sub(lambda m: str(_EN_NUMBER_WORDS[m.group(1)]), text)
    return _EN_HALF.sub(lambda m: f"{m.group(1)}.5 ", text)


@dataclass(frozen=True)
class Reading:
    """How questions of one language are read."""

    prepare: Callable[[str], str]
    years: re.Pattern[str]
    #: words match whole words only (English) or anywhere (Chinese has no spaces)
    whole_words: bool
    #: years this many characters or fewer after an education are years of work (本科8年, bachelor's and 6 years)
    near_education: int


CHINESE = Reading(prepare=prepare, years=_YEARS, whole_words=False, near_education=2)
ENGLISH = Reading(prepare=prepare_english, years=_EN_YEARS, whole_words=True, near_education=6)


# ---- the extractor ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Mention:
    kind: str  # level | education | no_title | skill
    value: str
    start: int
    end: int


def _alternation(words: dict[str, str], whole_words: bool = False) -> re.Pattern[str] | None:
    keys = sorted((w for w in words if w), key=len, reverse=True)
    if not keys:
        return None
    pattern = "|".join(re.escape(k) for k in keys)
    return re.compile(rf"(?<![\w'])(?:{pattern})(?![\w'])" if whole_words else pattern)


class PersonalCases:
    """Built once from the vocabulary files; ``detect`` is a few regex passes."""

    def __init__(self, vocab: PersonalCaseFile, level_terms: dict[str, list[str]], not_levels: list[str],
                 entry_ids: set[str], reading: Reading = CHINESE, qualifications: tuple[str, ...] = ()) -> None:
        self.vocab = vocab
        self.reading = reading
        read = reading.prepare
        words: dict[str, str] = {}
        for level_id, terms in level_terms.items():
            for term in terms:
                words.setdefault(read(term), f"level:{level_id}")
        for word in not_levels:
            words[read(word)] = "skip:"
        for value, terms in vocab.education.items():
            for term in terms:
                words.setdefault(read(term), f"education:{value}")
        for term in vocab.no_title:
            words[read(term)] = "no_title:none"
        for value, terms in vocab.skills.items():
            for term in terms:
                words[read(term)] = f"skill:{value}"
        for word in vocab.not_skills:
            words[read(word)] = "skip:"
        # a professional qualification is no title held, even where its name ends in one (注册电气工程师)
        for word in qualifications:
            words[read(word)] = "skip:"
        self._qualifications = sorted({read(w) for w in qualifications} - {""}, key=len, reverse=True)
        self._negations = sorted({read(w) for w in vocab.negations} - {""}, key=len, reverse=True)
        self._words = _alternation(words, reading.whole_words)
        self._kinds = words
        self._ask = _alternation({read(w): "" for w in vocab.ask}, reading.whole_words)
        level_words = sorted({read(t) for terms in level_terms.values() for t in terms} - {""}, key=len, reverse=True)
        wishes = sorted({read(w) for w in vocab.wish} - {""}, key=len, reverse=True)
        self._wish = (
            re.compile(
                "(?:" + "|".join(map(re.escape, wishes)) + ")个?(?:" + "|".join(map(re.escape, level_words))
                + r")(?:职称)?[吗呢啊呀吧了嘛哈\s.!?。！？]*$"
            )
            if wishes and level_words
            else None
        )
        self._want = sorted({read(w) for w in vocab.want} - {""}, key=len, reverse=True)
        self._held = sorted({read(w) for w in vocab.held} - {""}, key=len, reverse=True)
        self._work = sorted({read(w) for w in vocab.work} - {""}, key=len, reverse=True)
        self._work_after = sorted({read(w) for w in vocab.work_after} - {""}, key=len, reverse=True)
        self._link = sorted({read(w) for w in vocab.years_link} - {""}, key=len, reverse=True)
        self.entries = {lvl: use.entry for lvl, use in vocab.levels.items() if use.entry and use.entry in entry_ids}
        self.by_education = {
            (lvl, education): entry
            for lvl, use in vocab.levels.items()
            for education, entry in use.by_education.items()
            if entry in entry_ids
        }
        self._which = _alternation({read(w): "" for w in vocab.which_level}, reading.whole_words)
        self.which_entry = vocab.which_level_entry if vocab.which_level_entry in entry_ids else None
        self.skill_entry = vocab.skill_entry if vocab.skill_entry in entry_ids else None

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

    @staticmethod
    def _skip_spaces(text: str, pos: int) -> int:
        while pos < len(text) and text[pos] == " ":
            pos += 1
        return pos

    def _linked_years(self, text: str, end: int, years: dict[int, float]) -> tuple[int, float] | None:
        """Years that follow position ``end`` (with only link words such as 满/已经/for in between)."""
        pos = self._skip_spaces(text, end)
        for _ in range(3):
            if pos in years:
                return pos, years[pos]
            word = next((w for w in self._link if text.startswith(w, pos)), None)
            if word is None:
                return None
            pos = self._skip_spaces(text, pos + len(word))
        return (pos, years[pos]) if pos in years else None

    def _followed_by(self, text: str, end: int, words: list[str]) -> bool:
        pos = self._skip_spaces(text, end)
        return any(text.startswith(w, pos) for w in words)

    def detect(self, question: str) -> Case | None:
        """The personal case a question describes, or None (then the matcher's answer stands)."""
        text = self.reading.prepare(question)
        asks = self._ask is not None and self._ask.search(text)
        if not text or not (asks or (self._wish is not None and self._wish.search(text))):
            return None
        years: dict[int, float] = {}
        years_end: dict[int, int] = {}
        for m in self.reading.years.finditer(text):
            if m.group(1) is None:
                value = 0.5
            else:
                value = float(m.group(1)) + (0.5 if m.group(2) else 0.0)
                if any(text.endswith(word, 0, m.start()) for word in ALMOST):
                    value -= 0.5  # 快十年: not yet ten, so nine whole years, never ten

            if value <= YEARS_MAX:
                years[m.start()] = value
                years_end[m.start()] = m.end()
        answers: dict[str, Any] = {}
        used_years: set[int] = set()
        wanted: str | None = None
        undecided: list[_Mention] = []
        held: list[tuple[_Mention, float | None]] = []
        for mention in self._mentions(text):
            if mention.kind == "level" and (
                self._ends_with(text, mention.start, self._qualifications)
                or self._ends_with(text, mention.start, self._negations, slack=1)
            ):
                continue
            if mention.kind == "education":
                answers.setdefault("education", mention.value)
                continue
            if mention.kind == "no_title":
                answers.setdefault("current_title", "none")
                continue
            if mention.kind == "skill":
                answers.setdefault("skill_level", mention.value)
                linked = self._linked_years(text, mention.end, years)
                if linked is not None:
                    used_years.add(linked[0])
                    answers.setdefault("years_in_skill", _years(linked[1]))
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
            near = self.reading.near_education
            if (self._ends_with(text, start, self._work, slack=2)
                    or self._followed_by(text, years_end[start], self._work_after)
                    or any(m.kind == "education" and 0 <= start - m.end <= near for m in self._mentions(text))):
                answers.setdefault("years_of_work", _years(value))
        if not answers:
            return None
        # a skill grade told makes it a question about the path from skills to titles
        skill = self.skill_entry if "skill_level" in answers else None
        if wanted is None and self.which_entry is not None and self._which is not None and self._which.search(text):
            return Case(level=None, entry_id=skill or self.which_entry, answers=answers)
        if wanted is None or wanted not in self.entries:
            return None
        entry_id = skill or self.by_education.get((wanted, answers.get("education"))) or self.entries[wanted]
        return Case(level=wanted, entry_id=entry_id, answers=answers, title=self.vocab.levels[wanted].title)


def _years(value: float) -> int | float:
    return int(value) if value == int(value) else value


def personal_case(personal: PersonalCases | None, question: str, reply: Reply) -> Case | None:
    """The personal case ``question`` describes, unless it asks about another place, title series
    or exam that no answer explains (我会计中级5年了能评高级吗): then the reply saying so stands, and
    the rules of this review's levels would mislead."""
    if personal is None or (reply.foreign and not reply.answered):
        return None
    return personal.detect(question)


def personal_reply(answerer: Answerer, case: Case, reply: Reply, now: datetime, t: Callable[..., str],
                   english: bool = False) -> Reply:
    """What a personal-case question gets. When the matcher answered, its answer stands: about the
    level asked for, under a line that repeats what the question told; about something more
    specific (跳级, 退休返聘, a skills grade, 专精特新 recommendation), as it is, with a closing line
    on the self-check. Only when it did not answer does the level's baseline entry (or, for
    "which level", the entry on this review's levels) take its place: replacing a sure, specific
    answer with the baseline misled more often than it helped. ``t`` resolves the knowledge and
    eligibility texts in the reader's language; English names the level as the self-check does
    (Engineer (工程师))."""
    from bot.eligibility.answers import describe_facts, whole_years

    facts = describe_facts(t, whole_years(case.answers))
    matched = answerer.entry(reply.entry_id) if reply.outcome == "answer" and reply.entry_id else None
    if matched is not None and (case.level is None or case.level not in matched.levels):
        footer = t("knowledge.personal.footer", facts=facts)
        source = answerer.source_line(matched)
        if reply.text.endswith(source):  # the source line stays last, where the channels look for it
            return replace(reply, text=f"{reply.text[: -len(source)]}{footer}\n\n{source}")
        return replace(reply, text=f"{reply.text}\n\n{footer}")
    entry = matched or answerer.entry(case.entry_id)
    if entry is None:
        return reply
    answered = answerer.answer_entry(entry, now, score=reply.score, normalized=reply.normalized)
    if matched is None and "skill_level" in case.answers and entry.id == case.entry_id:
        return replace(answered, text=f"{t('knowledge.personal.header_skill', facts=facts)}\n\n{answered.text}")
    if case.level is None:
        return replace(answered, text=f"{t('knowledge.personal.header_which', facts=facts)}\n\n{answered.text}")
    levels = answerer.runtime.kb.levels.levels
    level = next((lvl.label for lvl in levels if lvl.id == case.level), case.level)
    if english and case.title:
        level = t(f"eligibility.names.title.{case.title}")
    header = t("knowledge.personal.header", facts=facts, level=level)
    return replace(answered, text=f"{header}\n\n{answered.text}")


def load_personal_cases(
    root: Path, levels: LevelsFile, entry_ids: set[str], qualifications: tuple[str, ...] = ()
) -> PersonalCases | None:
    """The detector, or None when the content has no ``knowledge/personal_case.yaml``;
    ``qualifications`` are the synonyms' qualification words, whose names hold no title."""
    path = root / "knowledge" / FILE
    if not path.exists():
        return None
    terms = {level.id: list(level.terms) for level in levels.levels}
    vocab = load_model(path, PersonalCaseFile, root)
    return PersonalCases(vocab, terms, list(levels.not_levels), entry_ids, qualifications=qualifications)


def personal_cases_of(root: Path, kb: KnowledgeBase, lang: str = "zh") -> PersonalCases | None:
    """The detector of ``lang`` for the knowledge base ``kb`` loaded from ``root``."""
    chinese = load_personal_cases(root, kb.levels, set(kb.by_id), tuple(kb.synonyms.qualification_words))
    return load_english_personal_cases(root, chinese, set(kb.by_id)) if lang == "en" else chinese


def load_english_personal_cases(root: Path, chinese: PersonalCases | None, entry_ids: set[str]) -> PersonalCases | None:
    """The English detector (None without ``knowledge/en/personal_case.yaml`` or the Chinese one,
    whose level → title and entry map it shares)."""
    path = root / "knowledge" / EN_FILE
    if chinese is None or not path.exists():
        return None
    shared = {
        "levels": chinese.vocab.levels,
        "which_level_entry": chinese.vocab.which_level_entry,
        "skill_entry": chinese.vocab.skill_entry,
    }
    vocab = load_model(path, PersonalCaseFile, root).model_copy(update=shared)
    return PersonalCases(vocab, vocab.level_words, vocab.not_levels, entry_ids, ENGLISH)


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
        for education, entry_id in use.by_education.items():
            if education not in vocab.education:
                problems.append(ContentProblem(name, None, f"by_education of level {level!r}: {education!r} is not an education of this file"))
            if entry_id not in kb.by_id:
                problems.append(ContentProblem(name, None, f"by_education of level {level!r}: entry {entry_id!r} does not exist"))
    for value in vocab.education:
        if value not in options("education"):
            problems.append(ContentProblem(name, None, f"education {value!r} is not an option of education"))
    if vocab.which_level and vocab.which_level_entry not in kb.by_id:
        problems.append(ContentProblem(name, None, f"which_level_entry {vocab.which_level_entry!r} does not exist"))
    for value in vocab.skills:
        if value not in options("skill_level"):
            problems.append(ContentProblem(name, None, f"skill {value!r} is not an option of skill_level"))
    if vocab.skills and vocab.skill_entry not in kb.by_id:
        problems.append(ContentProblem(name, None, f"skill_entry {vocab.skill_entry!r} does not exist"))
    en_path = root / "knowledge" / EN_FILE
    if en_path.exists():
        en_name = f"knowledge/{EN_FILE}"
        english = load_model(en_path, PersonalCaseFile, root)
        if english.levels:
            problems.append(ContentProblem(en_name, None, f"`levels` belongs to knowledge/{FILE}; name the English words under `level_words`"))
        for shared in ("which_level_entry", "skill_entry"):
            if getattr(english, shared) is not None:
                problems.append(ContentProblem(en_name, None, f"`{shared}` belongs to knowledge/{FILE}"))
        for level in english.level_words:
            if level not in vocab.levels:
                problems.append(ContentProblem(en_name, None, f"level_words: {level!r} is not a level of knowledge/{FILE}"))
        for value in english.education:
            if value not in options("education"):
                problems.append(ContentProblem(en_name, None, f"education {value!r} is not an option of education"))
    return problems
