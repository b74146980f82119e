"""Which of the bot's two languages a short message is written in: ``detect_language``.

The bot only has to tell Simplified Chinese from English, in messages of a few words, where
statistical detectors are weakest (one or two words, acronyms, pinyin). Two scripts make it a
question of counting: Chinese is written in Han ideographs, English in Latin letters. So:

- Han ideographs and no English sentence around them → "zh". A Chinese question with an English
  acronym or product name stays Chinese ("我的PE证书怎么办", "HR要交什么").
- An English sentence quoting a Chinese term ("how do I log in to 山东省专业技术人员管理服务平台") is
  English: at least ``QUOTING_FUNCTION_WORDS`` English function words among at least three English
  words, and more English words than runs of ideographs. A Chinese writer's sentence with an acronym
  in it carries no such scaffolding.
- Latin words only → "en" only when they are recognisably English: words of ``ENGLISH_WORDS``
  (``bot.core.english_words``: the bot's own English vocabulary and common chat words), an
  inflected form of one (fees, applying), or a longer word one slip away from one (recieve,
  requirments). Letters that spell no English word do not tell: keyboard runs and junk ("asdfgh",
  "xxxx", "qwe rty"), pinyin ("zhicheng shenbao": the writer may well read Chinese), a lone short
  word ("a", "go"), and a message that is mostly such letters with one English word lost in it.
  Acronyms ("PE", "HR ID") and chat interjections that Chinese writers use as much as English ones
  ("ok", "hi", "hello", "thx") do not tell either.
- No letters at all (numbers, emoji, punctuation), letters only in e-mail addresses, links and codes
  ("xhazjk@163.com", "QD2024001"), or other scripts only → None: keep the language.

``None`` means "not sure": callers keep the user's current language.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from bot.core.english_words import ENGLISH_WORDS

#: Han ideographs (CJK unified, extension A, compatibility)
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
#: a run of Latin letters, with inner apostrophes or hyphens ("don't", "e-mail")
_WORD = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*")
#: e-mail addresses, links and domain names: letters that are no language ("xhazjk@163.com")
_LINK = re.compile(r"\S+@\S+|(?:https?://|www\.)\S+|\S+\.(?:com|cn|net|org|gov|edu)(?:/\S*)?\b", re.IGNORECASE)
#: a token that mixes letters and digits (an application number, "2024a", "QD001") is no word
_CODE = re.compile(r"[A-Za-z]*\d[A-Za-z0-9]*|[A-Za-z]+\d[A-Za-z0-9]*")

#: English words that carry a sentence's grammar: their presence marks English scaffolding around
#: a quoted Chinese term
FUNCTION_WORDS = frozenset("""
a an the i me my we our you your he she it its they them their this that these those
is am are was were be been being do does did doing have has had can could will would shall should
may might must need to of in on at for from with by about into over under after before between
and or but if so not no yes what when where which who whom whose why how how's what's where's
when's i'm i've i'd don't doesn't didn't can't cannot won't isn't aren't there here any some
all much many more most than then also just only still please thanks thank hello hi
""".split())
#: how many function words make a mixed message an English sentence rather than a Chinese one
QUOTING_FUNCTION_WORDS = 2
#: a message whose only English word is shorter than this does not tell ("a", "go", "is")
MIN_LONE_WORD = 3
#: at least one word in this many must be English ("asdf jkl qwer the" is junk, not English)
ENGLISH_SHARE = 3
#: words of this many letters or more are forgiven one slip (recieve, requirments), up to the
#: maximum, and in at most ``TYPO_TRIES`` unlisted words of a message
TYPO_MIN_LENGTH = 5
TYPO_MAX_LENGTH = 20
TYPO_TRIES = 6

#: words Chinese writers use in chat as often as English writers: on their own they say nothing
#: about the language the writer reads
INTERJECTIONS = frozenset("""
ok okay k kk hi hey hello hallo yo yes yeah yep no nope thx thanks thank thankyou ty bye byebye
lol haha hahaha hh hhh hhhh emm emmm em en um umm hmm wow oh ah oops sorry sure cool nice
good great fine test testing help menu start
""".split())


def _is_acronym(word: str) -> bool:
    """An all-capital word of up to six letters ("PE", "HR", "PDF", "QQ") is a name, not language;
    a capitalised function word ("HOW MUCH IS THE FEE") is still English."""
    return word.isupper() and len(word) <= 6 and word.lower() not in FUNCTION_WORDS


@lru_cache(maxsize=1024)
def detect_language(text: str) -> str | None:
    """"zh", "en", or None when the text does not tell (no letters; only acronyms, interjections,
    pinyin or letters that spell no English word).

    Remembered per text (a pure function of it, and the same questions recur, as in the matcher):
    every free-text message asks it. 1,024 texts of at most 1,000 characters stay within a few MB."""
    normalized = unicodedata.normalize("NFKC", text)  # full-width ＡＢＣ and digits become ASCII
    words = _WORD.findall(_CODE.sub(" ", _LINK.sub(" ", normalized)))
    if _HAN.search(normalized):
        function_words = sum(1 for w in words if w.lower() in FUNCTION_WORDS)
        han_runs = len(_HAN_RUN.findall(normalized))
        if function_words >= QUOTING_FUNCTION_WORDS and len(words) >= 3 and len(words) > han_runs:
            return "en"
        return "zh"
    if not words:
        return None
    telling = [w.lower().replace("\u2019", "'") for w in words if not _is_acronym(w) and w.lower() not in INTERJECTIONS]
    known = [w for w in telling if _listed(w)]
    # a slip is looked for in a few of the other words only: it costs about 50 look-ups a letter,
    # and a long message of junk must not cost milliseconds
    unlisted = [w for w in telling if not _listed(w)][:TYPO_TRIES]
    known += [w for w in unlisted if TYPO_MIN_LENGTH <= len(w) <= TYPO_MAX_LENGTH and _one_slip(w)]
    if not known or (len(known) == 1 and len(known[0]) < MIN_LONE_WORD):
        return None
    if len(known) * ENGLISH_SHARE < len(telling):
        return None  # mostly letters that spell nothing: one English word lost in junk
    return "en"


def _listed(word: str) -> bool:
    """Whether a lower-case Latin word is a listed English word, an inflection of one or a
    hyphenated compound of them ("e-mail", "follow-up")."""
    if word in ENGLISH_WORDS or word.replace("'", "") in ENGLISH_WORDS:
        return True
    if "-" in word:
        parts = [p for p in word.split("-") if len(p) > 1]
        return bool(parts) and all(_listed(p) for p in parts)
    return any(stem in ENGLISH_WORDS for stem in _stems(word))


def _stems(word: str) -> list[str]:
    """Candidate base forms of an inflected word (plural, past, -ing, -ly, possessive); only those of
    three letters or more, so "is" or "as" never stand for "i" or "a"."""
    out: list[str] = []
    if word.endswith("'s"):
        out.append(word[:-2])
    if word.endswith("ies") or word.endswith("ied"):
        out.append(word[:-3] + "y")
    if word.endswith("es"):
        out.append(word[:-2])
    if word.endswith("s"):
        out.append(word[:-1])
    if word.endswith("ed"):
        out += [word[:-2], word[:-1], word[:-3]]  # asked, closed, stopped
    if word.endswith("ing"):
        out += [word[:-3], word[:-3] + "e", word[:-4]]  # asking, closing, stopping
    if word.endswith("ly"):
        out.append(word[:-2])
    return [s for s in out if len(s) >= 3]


def _one_slip(word: str) -> bool:
    """Whether a listed word is one slip away: a letter missing, extra or wrong, or two letters
    swapped, after the first letter (typos rarely touch the first one, and keeping it keeps junk
    from landing on a word by chance: "thpan" is "than", "qwe rty" stays junk)."""
    head, rest = word[0], word[1:]
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(rest[:i], rest[i:]) for i in range(len(rest) + 1)]
    for left, right in splits:
        if right and head + left + right[1:] in ENGLISH_WORDS:
            return True
        if len(right) > 1 and head + left + right[1] + right[0] + right[2:] in ENGLISH_WORDS:
            return True
        for c in letters:
            if right and head + left + c + right[1:] in ENGLISH_WORDS:
                return True
            if head + left + c + right in ENGLISH_WORDS:
                return True
    return False
