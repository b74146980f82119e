"""Load ``knowledge/en/`` and check it against the Chinese knowledge base.

Files: ``entries/*.yaml`` (English versions keyed by Chinese entry id), ``synonyms.yaml``,
``documents.yaml`` (English labels and caveats of the source documents) and ``matcher.yaml`` (the
English thresholds and weights, same schema as the Chinese file). ``python -m bot check`` fails
when a Chinese entry has no English version, an English file names an unknown id, a document has
no English label (or no English caveat or "missing" where the Chinese one has one), a worded
section label (全文) has no English, a level names no level or synonym, or an English answer states
a number that neither the Chinese answer nor the entry's sources contain — a cheap guard against a
wrong figure; an English date (30 August 2024, Aug 30) counts its month as a number.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.content.loader import (
    ContentError,
    ContentProblem,
    line_of,
    load_model,
    read_yaml,
    validate_file,
)
from bot.knowledge.en_schema import (
    EnglishEntriesFile,
    EnglishEntry,
    EnglishSynonymsFile,
)
from bot.knowledge.loader import KNOWLEDGE_DIR, KnowledgeBase, collect
from bot.knowledge.schema import Entry, MatcherConfig
from bot.reference.documents import (
    NUMBERED_SECTION,
    EnglishDocumentsFile,
    arabic_section,
    in_english,
    is_worded_section,
    load_english_documents,
)

EN_DIR = f"{KNOWLEDGE_DIR}/en"
_NUMBER = re.compile(r"\d+")
_MONTHS = {
    name: index
    for index, names in enumerate(
        (
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
            ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"),
            ("november", "nov"), ("december", "dec"),
        ),
        1,
    )
    for name in names
}
#: a month name next to a day number (30 August, August 30): only then is "may" or "mar" a month
_DATE = re.compile(
    r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(" + "|".join(_MONTHS) + r")\b|\b(" + "|".join(_MONTHS) + r")\.?\s+(\d{1,2})\b",
    re.IGNORECASE,
)


@dataclass
class EnglishContent:
    """The English files, validated, and the Chinese knowledge base they belong to."""

    zh: KnowledgeBase
    entries: dict[str, EnglishEntry]
    synonyms: EnglishSynonymsFile
    documents: EnglishDocumentsFile
    config: MatcherConfig

    def knowledge_base(self) -> KnowledgeBase:
        """The Chinese knowledge base with English texts: what the English matcher indexes and the
        English answerer reads (sources, topics, cycles and levels stay those of the Chinese entry)."""
        entries = [self._english(entry) for entry in self.zh.entries if entry.id in self.entries]
        documents = in_english(self.zh.documents, self.documents)
        return KnowledgeBase(
            entries=entries,
            documents=documents,
            sections=self.zh.sections,
            synonyms=self.zh.synonyms,
            config=self.config,
            origin=self.zh.origin,
            levels=self.zh.levels,
        )

    def _english(self, entry: Entry) -> Entry:
        en = self.entries[entry.id]
        words = self.documents.sections
        sources = [s.model_copy(update={"section": words.get(s.section, s.section)}) for s in entry.sources]
        update = {"question": en.question, "alternatives": en.alternatives, "answer": en.answer, "sources": sources}
        return entry.model_copy(update=update)


def english_entry_files(root: Path) -> list[Path]:
    return sorted((root / EN_DIR / "entries").glob("*.yaml"))


def numbers_of(text: str) -> set[int]:
    """The numbers a text states: digit runs (0532-85161632 → 532, 85161632) and the months of
    English dates (30 August 2024 → 30, 8, 2024). Leading zeros do not count."""
    text = unicodedata.normalize("NFKC", text)
    found = {int(n) for n in _NUMBER.findall(text)}
    for match in _DATE.finditer(text):
        month = match.group(2) or match.group(3)
        found.add(_MONTHS[month.lower()])
    return found


#: a document number (人社部发〔2019〕16号): its year and serial are a name, not a figure
_DOCUMENT_NUMBER = re.compile(r"[〔［\[(（]\s*\d{4}\s*[〕］\])）]\s*\d+\s*号")


def document_numbers(text: str) -> set[str]:
    """The document numbers a text cites, spaces and bracket forms unified (〔2019〕16号)."""
    found = set()
    for match in _DOCUMENT_NUMBER.finditer(unicodedata.normalize("NFKC", text)):
        year, serial = re.findall(r"\d+", match.group(0))
        found.add(f"〔{year}〕{serial}号")
    return found


def figures_of(text: str) -> set[int]:
    """The numbers a text states as figures: those of ``numbers_of`` outside document numbers, so
    that citing 〔2019〕16号 does not license "16 days" in a translation."""
    return numbers_of(_DOCUMENT_NUMBER.sub(" ", unicodedata.normalize("NFKC", text)))


#: a section named in brackets in a Chinese answer: （三(二)2）, （四）
_BRACKETED_SECTION = re.compile(rf"[（(]((?:{NUMBERED_SECTION.pattern}))[）)]")


def allowed_numbers(zh: KnowledgeBase, entry: Entry) -> set[int]:
    """Figures an English answer may state: those of the Chinese question and answer, the sections
    it cites and the cited documents' titles and dates (document numbers are checked apart, by
    ``allowed_documents``)."""
    texts = [entry.question, entry.answer]
    # a section the English text names in Arabic numbers (三(五)1 → 3(5).1): one it cites, or one
    # the Chinese answer names in brackets
    sections = [source.section for source in entry.sources]
    sections += [m.group(1) for m in _BRACKETED_SECTION.finditer(entry.answer)]
    texts += [arabic_section(section) for section in sections]
    for source in entry.sources:
        texts.append(source.section)
        doc = zh.documents.get(source.document)
        if doc is not None:
            texts += [getattr(doc, "title", ""), str(getattr(doc, "date", "") or "")]
    return set().union(*(figures_of(t) for t in texts))


def allowed_documents(zh: KnowledgeBase, entry: Entry) -> set[str]:
    """Document numbers an English answer may cite: those the Chinese answer cites and those of the
    documents the entry's sources name."""
    found = document_numbers(entry.answer)
    for source in entry.sources:
        doc = zh.documents.get(source.document)
        if doc is not None:
            found |= document_numbers(getattr(doc, "number", None) or "")
    return found


_UNREAD = object()


def _fast_yaml(path: Path) -> tuple[object, None]:
    """The file parsed by libyaml when it is there (several times faster than the pure-Python
    parser the line-aware loader uses); ``_UNREAD`` when it is missing or the file does not parse,
    so the line-aware loader reports the problem with its line."""
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is None:
        return _UNREAD, None
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=loader), None  # noqa: S506 - safe loader
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return _UNREAD, None


def _fast_or_lined(path: Path, root: Path | None) -> tuple[object, object]:
    """The file by libyaml without a node tree; by the line-aware loader when libyaml cannot read it."""
    data, node = _fast_yaml(path)
    return read_yaml(path, root) if data is _UNREAD else (data, node)


class _Lines:
    """Line numbers for problem reports, from the YAML node tree composed only when a report needs one."""

    def __init__(self, path: Path, root: Path, node: object) -> None:
        self.path, self.root, self.node = path, root, node

    def of(self, loc: tuple) -> int | None:
        if self.node is None:
            self.node = read_yaml(self.path, self.root)[1]
        return line_of(self.node, loc)


def _load_entries(root: Path, zh: KnowledgeBase, problems: list[ContentProblem], fast: bool) -> dict[str, EnglishEntry]:
    """``fast``: parse with libyaml (the runtime, on content ``check`` has passed); otherwise with the
    line-aware loader, which also refuses a key given twice in one mapping."""
    entries: dict[str, EnglishEntry] = {}
    for path in english_entry_files(root):
        name = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        loaded = validate_file(path, EnglishEntriesFile, name, problems, root, _fast_or_lined if fast else read_yaml)
        if loaded is None:
            continue
        parsed, node = loaded
        lines = _Lines(path, root, node)
        for i, entry in enumerate(parsed.entries):
            where = ("entries", i, "id")
            zh_entry = zh.by_id.get(entry.id)
            if zh_entry is None:
                problems.append(ContentProblem(name, lines.of(where), f"{entry.id}: no Chinese entry has this id"))
                continue
            if zh_entry.id != entry.id:
                reason = f"{entry.id}: merged into {zh_entry.id}; give the English version there"
                problems.append(ContentProblem(name, lines.of(where), reason))
                continue
            if entry.id in entries:
                problems.append(ContentProblem(name, lines.of(where), f"{entry.id}: English version given twice"))
                continue
            entries[entry.id] = entry
            extra = [str(n) for n in sorted(figures_of(entry.answer) - allowed_numbers(zh, zh_entry))]
            extra += sorted(document_numbers(entry.answer) - allowed_documents(zh, zh_entry))
            if extra:
                answer_line = lines.of(("entries", i, "answer"))
                shown = ", ".join(extra)
                reason = f"{entry.id}: the English answer states {shown}, which neither the Chinese answer nor its sources contain"
                problems.append(ContentProblem(name, answer_line, reason))
    return entries


def collect_english(
    root: Path, zh: KnowledgeBase | None = None, fast: bool = False
) -> tuple[EnglishContent | None, list[ContentProblem]]:
    """Everything under ``knowledge/en/`` checked against the Chinese knowledge base (``fast``: see
    ``_load_entries``)."""
    problems: list[ContentProblem] = []
    if zh is None:
        zh, _ = collect(root)
        if zh is None:
            return None, [ContentProblem(EN_DIR, None, "not checked: the Chinese knowledge base does not load")]
    base = root / EN_DIR
    if not english_entry_files(root):
        problems.append(ContentProblem(f"{EN_DIR}/entries", None, "no English entry files (*.yaml) found"))
    entries = _load_entries(root, zh, problems, fast)
    for entry in zh.entries:
        if entry.id not in entries:
            problems.append(ContentProblem(f"{EN_DIR}/entries", None, f"{entry.id}: no English version ({zh.origin.get(entry.id, '')})"))
    parts = {}
    readers = {
        "synonyms": lambda: load_model(base / "synonyms.yaml", EnglishSynonymsFile, root),
        "documents": lambda: load_english_documents(root),
        "config": lambda: load_model(base / "matcher.yaml", MatcherConfig, root),
    }
    for key, read in readers.items():
        try:
            parts[key] = read()
        except ContentError as exc:
            problems.extend(exc.problems)
    if "documents" in parts:
        _check_documents(parts["documents"], zh, problems)
    if "synonyms" in parts:
        _check_levels(parts["synonyms"], zh, problems)
    if problems or len(parts) < 3:
        return None, problems
    return EnglishContent(zh, entries, parts["synonyms"], parts["documents"], parts["config"]), problems


def _check_documents(documents: EnglishDocumentsFile, zh: KnowledgeBase, problems: list[ContentProblem]) -> None:
    name = f"{EN_DIR}/documents.yaml"
    worded = {s.section for e in zh.entries for s in e.sources if is_worded_section(s.section)}
    for section in sorted(worded - set(documents.sections)):
        problems.append(ContentProblem(name, None, f"section {section!r} is cited but has no English under `sections`"))
    given = {d.id: d for d in documents.documents}
    for doc_id in sorted(set(given) - set(zh.documents)):
        problems.append(ContentProblem(name, None, f"{doc_id}: not a document of knowledge/documents.yaml"))
    for doc_id, doc in zh.documents.items():
        english = given.get(doc_id)
        if english is None:
            problems.append(ContentProblem(name, None, f"{doc_id}: no English label"))
        else:
            for field in ("caveat", "missing"):
                if getattr(doc, field, None) and not getattr(english, field):
                    problems.append(ContentProblem(name, None, f"{doc_id}: the Chinese document has a {field}; give its English"))


def _check_levels(synonyms: EnglishSynonymsFile, zh: KnowledgeBase, problems: list[ContentProblem]) -> None:
    """Each level names a level of knowledge/levels.yaml by the canonical form of a synonym group."""
    name = f"{EN_DIR}/synonyms.yaml"
    known = {level.id for level in zh.levels.levels}
    canonicals = {" ".join(g.canonical.lower().split()) for g in synonyms.synonyms}
    for level, phrase in synonyms.levels.items():
        if level not in known:
            problems.append(ContentProblem(name, None, f"levels: {level!r} is not a level of knowledge/levels.yaml"))
        if " ".join(phrase.lower().split()) not in canonicals:
            problems.append(ContentProblem(name, None, f"levels: {phrase!r} ({level}) is not the canonical form of a synonym group"))


def load_english(root: Path) -> EnglishContent:
    """The English content for the runtime (parsed the fast way); raises ``ContentError``."""
    content, problems = collect_english(root, fast=True)
    if content is None:
        raise ContentError(problems)
    return content


def check_english_knowledge(root: Path) -> list[ContentProblem]:
    """The ``python -m bot check`` checker for ``knowledge/en/``."""
    _content, problems = collect_english(root)
    return problems
