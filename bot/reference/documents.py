"""The documents every fact rests on (``knowledge/documents.yaml``) and how a source line names them.

One registry serves the knowledge base, the eligibility rules and ``/sources``. Each document says
what kind it is, how sure the bot is of what it takes from it (``confidence``), what of it is known
and what is missing, and — when the bot does not hold its text or it binds only some applicants — a
``caveat`` that every source line citing it repeats. The wording of a source line comes from the
texts (``sources.*``); nothing here is user-facing prose.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.reference.sources import Confidence

CONFIDENCE_RANK: dict[str, int] = {"low": 0, "medium": 1, "high": 2}
TextFn = Callable[..., str]

DOCUMENTS_FILE = "knowledge/documents.yaml"
#: the English labels, caveats and section words of the same documents (same ids)
ENGLISH_DOCUMENTS_FILE = "knowledge/en/documents.yaml"


class Document(BaseModel):
    """A source document (a notice, a policy, a standard, an attachment) that facts cite."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    title: str
    number: str | None = None
    issuer: str
    date: dt.date | None = None
    url: str | None = None
    kind: Literal["notice", "policy", "standard", "attachment"]
    short: str = Field(min_length=2, max_length=40)
    #: how a source line names it (default: ``short``)
    label: str | None = None
    #: how sure the bot is of what it takes from this document
    confidence: Confidence
    #: repeated in every source line that cites it (text not at hand, binds only some applicants…)
    caveat: str | None = None
    #: what of the document the bot knows, and what is missing (shown by /sources)
    known: str = Field(min_length=2)
    missing: str | None = None

    @property
    def name(self) -> str:
        return self.label or self.short


class DocumentsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    documents: list[Document] = Field(min_length=1)


def load_documents(root: Path) -> dict[str, Document]:
    from bot.content.loader import load_model

    return {d.id: d for d in load_model(root / DOCUMENTS_FILE, DocumentsFile, root).documents}


class EnglishDocument(BaseModel):
    """How an English source line names a document of ``knowledge/documents.yaml``: proper names
    stay Chinese, with an English gloss."""

    model_config = ConfigDict(extra="forbid")
    id: str
    label: str = Field(min_length=2)
    #: the English of the document's caveat (required when the Chinese document has one)
    caveat: str | None = None
    #: the English of what the bot knows of the document and what is missing (/sources)
    known: str = Field(min_length=2)
    missing: str | None = None


class EnglishDocumentsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    documents: list[EnglishDocument] = Field(default_factory=list)
    #: section labels that are words rather than the notice's numbering (全文 → full text); numbered
    #: labels such as 三(五)1 point into the Chinese text and stay as they are
    sections: dict[str, str] = Field(default_factory=dict)


#: a section label made of the notice's numbering only (三(五)1, 二4, 四): shown as it is in English
_NUMBERED = re.compile(r"[一二三四五六七八九十0-9()（）]+")


def is_worded_section(section: str) -> bool:
    """A section label made of words (全文, 工程师) needs an English version in a source line; a
    numbered one (三(五)1) points into the Chinese text and stays."""
    return not _NUMBERED.fullmatch(section)


def load_english_documents(root: Path) -> EnglishDocumentsFile:
    """The one reader of ``knowledge/en/documents.yaml`` (the knowledge base checks it against the
    Chinese registry; the eligibility rules cite with it)."""
    from bot.content.loader import load_model

    return load_model(root / ENGLISH_DOCUMENTS_FILE, EnglishDocumentsFile, root)


def in_english(documents: Mapping[str, Document], english: EnglishDocumentsFile) -> dict[str, Document]:
    """The registry with the English label, caveat, known and missing of each document that has
    them (title, number and confidence stay: a 文号 is cited as issued)."""
    given = {d.id: d for d in english.documents}
    result = {}
    for doc_id, doc in documents.items():
        en = given.get(doc_id)
        update = {"label": en.label, "caveat": en.caveat, "known": en.known, "missing": en.missing} if en else {}
        result[doc_id] = doc.model_copy(update=update)
    return result


def lower(a: str | None, b: str | None) -> str:
    """The lower of two confidences (None counts as high)."""
    return min(a or "high", b or "high", key=CONFIDENCE_RANK.__getitem__)


_CHINESE_NUMBER = "一二三四五六七八九十"
#: a numbered section of a notice: part 三, sub-part (五), item 2 (三(五)2, 一2, 五(四), 四)
NUMBERED_SECTION = re.compile(r"([一二三四五六七八九十]+)(?:\(([一二三四五六七八九十]+)\))?(\d+)?")


def _chinese_number(text: str) -> int:
    """一..十 and 十一..十九 (no section of the notices goes higher)."""
    if text.startswith("十"):
        return 10 + (_CHINESE_NUMBER.index(text[1]) + 1 if len(text) > 1 else 0)
    return _CHINESE_NUMBER.index(text[0]) + 1


def arabic_section(section: str) -> str:
    """A numbered section in Arabic numbers for a reader without Chinese: 三(五)2 → 3(5).2, 一2 → 1.2,
    五(四) → 5(4); anything else (全文, 二(一)附件) is returned as it is."""
    m = NUMBERED_SECTION.fullmatch(section)
    if m is None:
        return section
    part, sub, item = m.groups()
    text = str(_chinese_number(part))
    if sub:
        text += f"({_chinese_number(sub)})"
    return f"{text}.{item}" if item else text


class Citer:
    """Source lines from data: a document's label, the section, its caveat and a confidence below high."""

    def __init__(
        self,
        documents: Mapping[str, Document],
        t: TextFn,
        sections: Mapping[str, str] | None = None,
        arabic: bool = False,
    ) -> None:
        self.documents = documents
        self.t = t
        #: worded section labels in the reader's language (全文 → full text); numbered ones stay,
        #: in Arabic numbers when ``arabic`` (an English reader: 三(五)2 → 3(5).2)
        self.sections = sections or {}
        self.arabic = arabic

    def item(self, document: str, section: str | Iterable[str] | None = None, confidence: str | None = None) -> str:
        """One document: its name, the section(s), its caveat and a confidence below high."""
        sections = [section] if isinstance(section, str) else list(section or [])
        sections = [self.sections.get(s, arabic_section(s) if self.arabic else s) for s in sections]
        where = self.t("sources.section", section=self.t("sources.section_separator").join(sections)) if sections else ""
        doc = self.documents.get(document)
        if doc is None:  # `check` rules this out; never fail an answer over it
            return f"{document}{where}"
        notes = [doc.caveat] if doc.caveat else []
        level = lower(doc.confidence, confidence)
        if level != "high":
            notes.append(self.t(f"sources.confidence.{level}"))
        return self.t("sources.item", name=doc.name, section=where, notes="".join(self.t("sources.note", text=n) for n in notes))

    def items(self, refs: Iterable[tuple[str, str | None, str | None]]) -> list[str]:
        """(document, section, confidence) refs, one item per document in order of first mention:
        its sections together, the lowest confidence."""
        grouped: dict[str, tuple[list[str], str | None]] = {}
        for document, section, confidence in refs:
            sections, lowest = grouped.get(document, ([], None))
            if section and section not in sections:
                sections.append(section)
            grouped[document] = (sections, lower(lowest, confidence) if lowest or confidence else None)
        return [self.item(document, sections, confidence) for document, (sections, confidence) in grouped.items()]

    def join(self, items: Iterable[str]) -> str:
        return self.t("sources.separator").join(dict.fromkeys(items))

    def plain(self, document: str, confidence: str | None = None) -> bool:
        """A notice's own text: no caveat, high confidence (a source line need not warn)."""
        doc = self.documents.get(document)
        return doc is not None and not doc.caveat and lower(doc.confidence, confidence) == "high"


def describe(documents: Iterable[Document], t: TextFn) -> str:
    """Every document the bot relies on, with what is known of it and what is missing (/sources and
    the web page's section)."""
    docs = list(documents)
    parts = [t("sources.list_header", count=len(docs))]
    for doc in docs:
        parts.append(t("sources.list_item", name=doc.name, title=doc.title, kind=t(f"sources.kind.{doc.kind}"),
                       number=t("sources.list_number", number=doc.number) if doc.number else "",
                       confidence=t(f"sources.confidence_name.{doc.confidence}"), known=doc.known,
                       missing=doc.missing or t("sources.nothing_missing")))
    parts.append(t("sources.list_footer"))
    return "\n\n".join(parts)
