"""The English knowledge runtime and answerer, built only when a question in English arrives.

Chinese askers never pay for it: the English content is loaded, checked and indexed the first time
``load_english_runtime`` is called, then cached per file state like the Chinese runtime (an edited
file is picked up by the next load).
"""

from __future__ import annotations

from pathlib import Path

from bot.knowledge.answering import Answerer
from bot.knowledge.en_loader import load_english
from bot.knowledge.en_matcher import EnglishMatcher
from bot.knowledge.en_text import EnglishNormalizer
from bot.knowledge.headcounts import ENGLISH
from bot.knowledge.runtime import Runtime, cached_runtime
from bot.knowledge.schema import Entry

#: an English header quotes at most this many characters of the entry's question (English words
#: are longer than Chinese characters)
HEADER_QUESTION_CHARS_EN = 60
_TRAILING = "?.!,;: "

_cache: dict[Path, tuple[tuple, Runtime]] = {}


def load_english_runtime(root: Path) -> Runtime:
    """The English view of the knowledge base and its matcher; raises ``ContentError`` when the
    content (Chinese or English) is invalid."""
    return cached_runtime(root, _cache, _build_english)


def _build_english(root: Path) -> Runtime:
    content = load_english(root)
    kb = content.knowledge_base()
    vocabulary = [text for entry in kb.entries for text in (*entry.questions, entry.answer)]
    normalizer = EnglishNormalizer(content.synonyms, vocabulary)
    return Runtime(kb=kb, matcher=EnglishMatcher(kb, normalizer, content.config))


class EnglishAnswerer(Answerer):
    """The Chinese answerer's replies, with English dates and a header long enough for English."""

    date_language = "en"
    headcount_patterns = ENGLISH

    def level_labels(self) -> dict[str, str]:
        return dict(self.runtime.matcher.normalizer.level_names)

    def header(self, entry: Entry) -> str:
        question = entry.question.strip().rstrip(_TRAILING)
        if len(question) > HEADER_QUESTION_CHARS_EN:
            question = question[: HEADER_QUESTION_CHARS_EN - 1].rsplit(" ", 1)[0] + "…"
        return self.t("knowledge.answer_header", question=question)


def standalone_english_answerer(root: Path) -> EnglishAnswerer:
    """The English answerer for the command line: content and texts only (no database, no chat core)."""
    from bot.content.office import load_office
    from bot.content.texts import Texts
    from bot.reference.cycles import CycleCalendar

    office = load_office(root)
    texts = Texts.load([root / "dialogs" / "texts_knowledge.yaml"], root)
    contacts = {"phone": office.phone, "email": office.email, "address": office.address_en or office.address,
                "qq_group": office.qq_group}

    def t(key: str, **values: object) -> str:
        return texts.get(key, "en", **(contacts | values))

    return EnglishAnswerer(load_english_runtime(root), t, CycleCalendar.load(root))
