"""Text normalisation applied to entries and queries alike, and the tokens BM25 is fed.

Applicants type full-width letters, traditional characters, politeness formulas, colloquial words
(啥时候, 多少钱) and typos. Everything goes through the same pipeline so that both sides meet:
NFKC → lower case → traditional→simplified (OpenCC ``t2s``) → Chinese numerals before a counter to
digits (八年 → 8年, 三百六十元 → 360元) → punctuation to spaces → one longest-match pass that maps
synonyms to their canonical form and drops fillers.

A mapping never erases what the question is about: when a text names one concept in two different
forms (专业测评是笔试吗, 测评是笔试还是面试), the contrast is the question, so only one form becomes
the canonical word — the canonical word itself where it is written, else the first variant — and
the other forms stay as written. Mapped blindly, 专业测评是笔试吗 would read 专业测评是专业测评.

Tokens are character unigrams and bigrams (bm25s's own tokenizer would turn a whole Chinese clause
into one token), ASCII words kept whole, plus whole domain words (专精特新, 继续教育…) so long terms
count as one strong token as well.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from bot.knowledge.schema import SynonymsFile
from bot.knowledge.typos import two_char_words

# Anything that is not a letter, digit or CJK character separates words.
_SEPARATORS = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_UNITS = re.compile(r"[0-9a-z]+|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# A pinyin reading in brackets after a character (評(píng)個(gè)), as some mirror sites print their text:
# the reading repeats the character, and its letters would only read as unknown words.
_PINYIN_READING = re.compile(
    r"(?<=[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])\("
    r"[a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ][a-zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜńňǹḿ]*\)"
)
_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_POWERS = {"十": 10, "百": 100, "千": 1000}
# A numeral only where it counts something (八年, 两个, 三百六十元): elsewhere the same characters are
# words (一下, 统一, 一建, 十分), and a level or a class (二级, 三类) is a name, not a quantity.
_NUMERAL = re.compile(
    "([零〇一二两三四五六七八九十百千]+)(?=年|个|岁|月|天|周|日|篇|项|次|份|名|人|小时|学时|课时|分|万|元|块|家|本|门|张|页|套)"
)


def _numeral_value(numeral: str) -> int | None:
    """The value of a Chinese numeral below ten thousand (十二 → 12, 三百六十 → 360, 二零二四 → 2024);
    None when the characters are not one well-formed number."""
    if all(ch in _DIGITS for ch in numeral):
        return int("".join(str(_DIGITS[ch]) for ch in numeral)) if len(numeral) > 1 else _DIGITS[numeral]
    total, digit = 0, None
    for ch in numeral:
        if ch in _DIGITS:
            if digit:  # two digits in a row (三四十) are a range, not one number
                return None
            digit = _DIGITS[ch]
        elif ch in _POWERS:
            total += (1 if digit is None else digit) * _POWERS[ch]
            digit = None
    return total + (digit or 0)


def _digits(match: re.Match[str]) -> str:
    value = _numeral_value(match.group(1))
    return match.group(1) if value is None else str(value)


@lru_cache(maxsize=1)
def _t2s():  # noqa: ANN202 - opencc has no type stubs
    """OpenCC is loaded once per process (its dictionaries take a few milliseconds to read)."""
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    try:
        return _t2s().convert(text)
    except Exception:  # noqa: BLE001 - a conversion failure must not stop an answer
        return text


class Normalizer:
    """Applies the pipeline above; built once from ``knowledge/synonyms.yaml``."""

    def __init__(self, synonyms: SynonymsFile | None = None) -> None:
        synonyms = synonyms or SynonymsFile()
        mapping: dict[str, str] = {}
        for group in synonyms.synonyms:
            canonical = self._prepare(group.canonical)
            # The canonical form maps to itself so that longest-match prefers it over a shorter
            # variant hidden inside it (评审费用 must not become 评审评审费).
            mapping.setdefault(canonical, canonical)
            for variant in group.variants:
                key = self._prepare(variant)
                if key and key != canonical:
                    mapping[key] = canonical
        for filler in synonyms.fillers:
            key = self._prepare(filler)
            if key and key not in mapping:
                mapping[key] = " "
        for word in synonyms.domain_words:
            # a domain word that holds a variant (电子证书 holds 电子证) stays whole: the
            # longest match must not turn it into 证书书
            key = self._prepare(word)
            if key and key not in mapping and any(variant in key for variant in mapping if variant.strip()):
                mapping[key] = key
        self.mapping = mapping
        keys = sorted((k for k in mapping if k.strip()), key=len, reverse=True)
        # Python's regex alternation is leftmost-first: with longer keys first, each position takes
        # its longest key, which is exactly one longest-match pass.
        self._pattern = re.compile("|".join(re.escape(k) for k in keys)) if keys else None
        self.stopwords = frozenset(self._prepare(s) for s in synonyms.stopwords if self._prepare(s))
        self.domain_words = sorted(
            {self.normalize(w).replace(" ", "") for w in synonyms.domain_words} - {""}, key=len, reverse=True
        )
        self.exam_words = tuple(sorted(self._compacted(synonyms.exam_words)))
        self.title_words = tuple(sorted(self._compacted(synonyms.title_words)))
        #: the qualification words as typed (prepared, no synonyms), longest first: what is taken out
        #: of a question before looking for a title beside them (监理工程师 holds 工程师)
        self.qualification_surfaces = tuple(
            sorted({self._prepare(w).replace(" ", "") for w in synonyms.qualification_words} - {""}, key=len, reverse=True)
        )
        self.qualification_words = self._compacted(synonyms.qualification_words)
        self.place_words = self._compacted(synonyms.place_words)
        self.home_words = tuple(sorted(self._compacted(synonyms.home_words)))
        self.elsewhere_word = synonyms.elsewhere_word
        self.level_excused_words = self._compacted(synonyms.level_excused_words)
        #: subject → its words (see ``subjects`` in synonyms.yaml)
        self.subject_words = {subject: tuple(sorted(self._compacted(words))) for subject, words in synonyms.subjects.items()}
        self.situation_words = self._compacted(synonyms.situation_words)
        self.review_words = tuple(sorted(self._compacted(synonyms.review_words)))
        self.foreign_words = sorted(
            self._compacted(synonyms.foreign_words) | self.situation_words | self.qualification_words | self.place_words
        )
        self._domain_pattern = (
            re.compile("|".join(re.escape(w) for w in self.domain_words if len(w) >= 3))
            if any(len(w) >= 3 for w in self.domain_words)
            else None
        )

    def _compacted(self, words: list[str]) -> frozenset[str]:
        """``words`` as questions are compared with them: normalised, without spaces, none empty."""
        return frozenset({self.compact(self.normalize(w)) for w in words} - {""})

    @staticmethod
    def _prepare(text: str) -> str:
        """NFKC, lower case, simplified, punctuation collapsed to single spaces."""
        text = _PINYIN_READING.sub("", unicodedata.normalize("NFKC", text).lower())
        text = _NUMERAL.sub(_digits, to_simplified(text))
        return _SEPARATORS.sub(" ", text).strip()

    def prepare(self, text: str) -> str:
        """The first steps of ``normalize`` (no synonyms): what typo correction works on."""
        return self._prepare(text)

    def normalize(self, text: str) -> str:
        """The canonical form of ``text``: words separated by single spaces."""
        text = self._prepare(text)
        if self._pattern is not None and text:
            text = self._substitute(text)
        return " ".join(text.split())

    def _substitute(self, text: str) -> str:
        """One longest-match pass; a concept named in two forms keeps one mapped (see the module
        docstring): the surface that owns each canonical word is the canonical itself when written,
        else the first variant met."""
        matches = self._matches(text)
        owner: dict[str, str] = {}
        for m in matches:
            surface, canonical = m.group(0), self.mapping[m.group(0)]
            if canonical.strip() and (surface == canonical or canonical not in owner):
                if owner.get(canonical) != canonical:
                    owner[canonical] = surface
        out: list[str] = []
        end = 0
        for m in matches:
            surface, canonical = m.group(0), self.mapping[m.group(0)]
            keep = canonical.strip() and owner.get(canonical, surface) != surface
            out.append(text[end : m.start()])
            out.append(surface if keep else canonical)
            end = m.end()
        out.append(text[end:])
        return "".join(out)

    def _matches(self, text: str) -> list[re.Match[str]]:
        """The longest-match pass, left to right; a variant found across word edges is passed over
        and the scan goes on from its second character (直接报评委会: not 报评, then 评委会)."""
        assert self._pattern is not None
        found: list[re.Match[str]] = []
        pos = 0
        while (match := self._pattern.search(text, pos)) is not None:
            if self._cuts_words(text, match):
                pos = match.start() + 1
                continue
            found.append(match)
            pos = match.end()
        return found

    def _cuts_words(self, text: str, match: re.Match[str]) -> bool:
        """Whether a two-character variant was found across word edges, not as a word of the text:
        助工 in 协助|工作, 高工 in 提高|工资, 中工 in 其中|工作. Such a variant stays as typed. It is
        read so when both of its edges cut through a two-character word of Chinese, as foreign
        words are (see ``named_foreign``); one cut edge is not enough, as 才能报 (才能|能报), 付高职
        (付高|高职) and 报评委会 (报评|评委) show."""
        surface = match.group(0)
        canonical = self.mapping[surface]
        if len(surface) != 2 or surface == canonical or not canonical.strip():
            return False
        words = two_char_words()
        start, end = match.span()
        before = start > 0 and text[start - 1 : start + 1] in words
        after = end < len(text) and text[end - 1 : end + 1] in words
        return before and after

    def tokens(self, normalized: str) -> list[str]:
        """Unigrams, bigrams (never across a space) and whole domain words of a normalised text."""
        out: list[str] = []
        for segment in normalized.split(" "):
            units = _UNITS.findall(segment)
            out.extend(units)
            out.extend(a + b for a, b in zip(units, units[1:], strict=False))
            if self._domain_pattern is not None:
                out.extend("#" + m for m in self._domain_pattern.findall(segment))
        return out

    def compact(self, normalized: str) -> str:
        """The normalised text without spaces, for fuzzy comparison."""
        return normalized.replace(" ", "")

    def is_stopword(self, token: str) -> bool:
        if token in self.stopwords:
            return True
        # a bigram made only of stop characters (的是, 了吗) is no more meaningful than its parts
        return len(token) == 2 and token[0] in self.stopwords and token[1] in self.stopwords
