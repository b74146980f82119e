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
- Latin words only → "en", pinyin included ("zhicheng shenbao" is written by someone who cannot type
  Chinese), unless every word is an acronym ("PE", "HR ID") or a chat interjection that Chinese
  writers use as much as English ones ("ok", "hi", "hello", "thx"): then None.
- No letters at all (numbers, emoji, punctuation), letters only in e-mail addresses, links and codes
  ("xhazjk@163.com", "QD2024001"), or other scripts only → None: keep the language.

``None`` means "not sure": callers keep the user's current language.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

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
    """"zh", "en", or None when the text does not tell (no letters, only acronyms or interjections).

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
    telling = [w for w in words if not _is_acronym(w) and w.lower() not in INTERJECTIONS]
    if not telling:
        return None
    return "en"
