"""Homophone typos: 评审费多稍钱 → 多少钱, 节止时间 → 截止时间, 申报系统的网止 → 网址.

Phone keyboards type Chinese by pinyin, so the commonest typo is a character with the same (or a
near) reading as the intended one. A character is taken for such a typo when it is *isolated*: it
forms no known bigram with either neighbour — known to the knowledge base (its entries, synonyms
and level words) or to Chinese at large (a bigram inside a word of jieba's dictionary: 辞职, 外包 and
德国 are words, 多稍 and 稍钱 are not). It is then replaced by the character with a matching reading
that turns a neighbouring bigram into a word the knowledge base uses (多稍 → 多少: a bigram of the
knowledge base that is a whole two-character word of the dictionary, and not made with a stop
character, so 讲的 does not become 件的, nor 升工程师 省工程师 — 省工 is only part of 省工业), preferring the replacement that makes both neighbours known, then the more frequent bigram.
A stop character is never touched.

Speech input and whole-word pinyin typing get both characters of a word wrong at once (推修 for 退休,
职成 for 职称, 申抱 for 申报): neither character is isolated, since each may make a bigram with its
other neighbour. So, before the character pass, a two-character window that the knowledge
base uses rarely (a bigram it uses often is its own wording, 到付) and that is no part of any word of
the dictionary (互连 and 公式 are words, so they stay) is replaced by a correction target as above
that the knowledge base uses as often and whose characters' commonest readings are the window's
characters' commonest readings. A window is left alone when one of its characters makes part of a
word with the neighbour outside it: 不走 in 不走单位 is two words' edges, not 步骤 (so 报名节至 keeps
节至, 名节 being a word). Windows are taken left to right and a replaced one is not overlapped.

Readings come from pypinyin's table of single characters and words from jieba's dictionary; both
files are read directly (importing either package loads far more than this needs), the word list
only when a question has a candidate typo. Tones are ignored and the usual near-homophones of spoken
Mandarin are merged (zh/z, ch/c, sh/s, n/l, -ng/-n), since people who do not distinguish them in
speech also mix them up when typing.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from bot.core.dictionary import dictionary_words, package_file

_MERGED_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"))
#: a bigram the knowledge base uses this often is its own wording, even when it is no dictionary word
_OWN_WORDING = 3


def is_cjk(text: str) -> bool:
    """Every character of ``text`` is a CJK ideograph."""
    return all("\u3400" <= ch <= "\u4dbf" or "\u4e00" <= ch <= "\u9fff" for ch in text)


def _key(reading: str) -> str:
    """A reading without tone, with the near-homophones merged (zhī, zī → zi; líng, nín → lin)."""
    plain = "".join(c for c in unicodedata.normalize("NFD", reading) if not unicodedata.combining(c))
    plain = plain.replace("ü", "v")
    for long, short in _MERGED_INITIALS:
        if plain.startswith(long):
            plain = short + plain[len(long) :]
            break
    if plain.startswith("n"):
        plain = "l" + plain[1:]
    if plain.endswith("ng") and len(plain) > 2:
        plain = plain[:-1]
    return plain


@lru_cache(maxsize=1)
def _pinyin_table() -> dict[str, list[str]]:
    """Character → its readings, commonest first, as pypinyin's table lists them."""
    text = package_file("pypinyin", "pinyin_dict.json")
    try:
        raw = json.loads(text) if text else {}
    except ValueError:
        return {}
    return {chr(int(code)): value.split(",") for code, value in raw.items()}


@lru_cache(maxsize=1)
def readings() -> dict[str, frozenset[str]]:
    """Character → its reading keys (all readings of a polyphone)."""
    return {ch: frozenset(_key(r) for r in values) for ch, values in _pinyin_table().items()}


@lru_cache(maxsize=1)
def main_readings() -> dict[str, str]:
    """Character → the reading key of its commonest reading: the one a speech recogniser or a
    pinyin typist meant when the character stands for another."""
    return {ch: _key(values[0]) for ch, values in _pinyin_table().items()}


@lru_cache(maxsize=1)
def word_bigrams() -> frozenset[str]:
    """Every bigram inside a word of jieba's dictionary."""
    return frozenset(w[i : i + 2] for w in dictionary_words() for i in range(len(w) - 1))


@lru_cache(maxsize=1)
def two_char_words() -> frozenset[str]:
    """The two-character words of jieba's dictionary: what a correction must produce. A bigram that
    is only part of a longer word (省工 of 省工业) is no word on its own, and a knowledge base text
    holds it across a word boundary (山东省|工业), so it would license turning 升工程师 into 省工程师."""
    return frozenset(w for w in dictionary_words() if len(w) == 2)


class HomophoneFixer:
    """Built once per matcher from the texts whose bigrams count as known vocabulary."""

    def __init__(self, texts: Iterable[str], protected: Iterable[str] = ()) -> None:
        """``texts``: prepared (not synonym-mapped) texts; ``protected``: characters never replaced."""
        table = readings()
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(a + b for a, b in zip(text, text[1:], strict=False) if is_cjk(a) and is_cjk(b))
        self._known = counts
        self._protected = frozenset(protected)
        self._table = table
        self._main = main_readings()
        # (position of the kept character, kept character, reading key of the other) → known bigrams
        self._by_reading: dict[tuple[int, str, str], list[str]] = {}
        for bigram in counts:
            first, second = bigram
            for key in table.get(second, ()):
                self._by_reading.setdefault((0, first, key), []).append(bigram)
            for key in table.get(first, ()):
                self._by_reading.setdefault((1, second, key), []).append(bigram)
        # (reading key of the first character, of the second; commonest readings) → correction
        # targets read that way
        self._words_by_reading: dict[tuple[str, str], list[str]] = {}
        for bigram, count in counts.items():
            first_key, second_key = self._main.get(bigram[0]), self._main.get(bigram[1])
            if count >= _OWN_WORDING and first_key and second_key and self._target(bigram):
                self._words_by_reading.setdefault((first_key, second_key), []).append(bigram)

    def _known_pair(self, left: str, right: str) -> bool:
        return left + right in self._known

    def _target(self, bigram: str) -> bool:
        """A bigram a typo may be corrected to: the knowledge base uses it, it is a two-character
        word of the dictionary (not merely part of one), and it has no stop character (讲的 → 件的
        would rest on 的 alone)."""
        return bigram in self._known and not (set(bigram) & self._protected) and bigram in two_char_words()

    def _is_word(self, left: str, right: str) -> bool:
        return bool(left and right) and left + right in word_bigrams()

    def correct(self, text: str) -> str:
        """``text`` (prepared) with misheard words, then isolated characters, replaced by known
        homophones."""
        if not self._table or not self._known:
            return text
        chars = list(self._correct_words(text))
        for i, ch in enumerate(chars):
            if not is_cjk(ch) or ch in self._protected:
                continue
            left = chars[i - 1] if i > 0 and is_cjk(chars[i - 1]) else ""
            right = chars[i + 1] if i + 1 < len(chars) and is_cjk(chars[i + 1]) else ""
            if not (left or right):
                continue
            if (left and self._known_pair(left, ch)) or (right and self._known_pair(ch, right)):
                continue
            best = self._replacement(ch, left, right)
            if best is not None and not self._is_word(left, ch) and not self._is_word(ch, right):
                chars[i] = best
        return "".join(chars)

    def _correct_words(self, text: str) -> str:
        """``text`` with each misheard two-character window replaced by the known word that reads the
        same (the most frequent one when several do)."""
        chars = list(text)
        i = 0
        while i + 1 < len(chars):
            options = self._word_options(chars, i)
            if not options:
                i += 1
                continue
            chars[i : i + 2] = max(sorted(options), key=self._known.__getitem__)
            i += 2
        return "".join(chars)

    def _word_options(self, chars: list[str], i: int) -> set[str]:
        """The known words the window at ``i`` may stand for: none when it is a word or part of one,
        the knowledge base's own wording, or when one of its characters makes part of a word with
        the neighbour outside it (不走 in 不走单位 and 起交 in 一起交 are two words' edges). The
        dictionary is consulted last, only for a window that reads like a known word."""
        first, second = chars[i], chars[i + 1]
        window = first + second
        if not is_cjk(window) or set(window) & self._protected or self._known[window] >= _OWN_WORDING:
            return set()
        options = set(self._words_by_reading.get((self._main.get(first, ""), self._main.get(second, "")), ()))
        if not options or window in word_bigrams():
            return set()
        if self._bound(chars, i, i - 1) or self._bound(chars, i + 1, i + 2):
            return set()
        return options

    @staticmethod
    def _bound(chars: list[str], inner: int, outer: int) -> bool:
        """The window's character at ``inner`` makes part of a dictionary word with its neighbour at
        ``outer``."""
        if not (0 <= outer < len(chars)):
            return False
        return chars[min(inner, outer)] + chars[max(inner, outer)] in word_bigrams()

    def _replacement(self, ch: str, left: str, right: str) -> str | None:
        """The homophone of ``ch`` that makes the most neighbouring bigrams known (then the most
        frequent), or None."""
        options: set[str] = set()
        for key in self._table.get(ch, ()):
            if left:
                options.update(bigram[1] for bigram in self._by_reading.get((0, left, key), ()))
            if right:
                options.update(bigram[0] for bigram in self._by_reading.get((1, right, key), ()))
        best: tuple[int, int] | None = None
        chosen = None
        for option in sorted(options - {ch} - self._protected):
            pairs = ([left + option] if left else []) + ([option + right] if right else [])
            known = [self._known[p] for p in pairs if self._target(p)]
            rank = (len(known), sum(known))
            if known and (best is None or rank > best):
                best, chosen = rank, option
        return chosen
