"""How many applicants a question counts per title level (我们单位3个人报中级, 中级5人、高级2人;
3 people for intermediate), so that the answer on the fees can add up what they pay together.

An HR contact asks for a total; the fee entry gives the amount per person. The count is read from
the normalised question (Chinese numerals are digits by then) next to each level the question
names. People write it in one of two orders, and a question keeps to one: the count before the
level (3个人报中级, 有3个中级2个高工; two colleagues for senior) or after it (中级5人, 报助工的有12个人;
intermediate 5 people). Whichever comes first in the question (a count or a level) is tried first
for every level, so 2个人报高工1个报中级 gives 高工 2 and 中级 1, not 高工 1; the other order only
where the first finds nothing. A count stands right next to its level's words (有100人，报中级
counts no one for 中级), no count or level is used twice, and a question that counts fewer than two
people gets no total.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.numbers import EN_NUMBERS
from bot.knowledge.levels import LevelMention

#: the largest head count read (a bigger number is a year, an amount or a typo, not staff)
MAX_PEOPLE = 200


@dataclass(frozen=True)
class CountPatterns:
    """One language's ways of writing a head count; group 1 of each is the number."""

    #: a count ending right before a level (searched in a short window before it)
    before: re.Pattern[str]
    #: a count right after a level (matched from the end of the mention)
    after: re.Pattern[str]
    #: any count of people: whichever comes first, a count or a level, sets the order to try
    any_count: re.Pattern[str]
    #: how far before a level its count may start (3个人都想报: seven characters)
    window: int
    #: number words, for a language whose normalisation keeps them (two colleagues)
    numbers: dict[str, int]


_ZH_PEOPLE = r"(?:个人|个|人|位|名)"
CHINESE = CountPatterns(
    before=re.compile(r"(\d{1,3})" + _ZH_PEOPLE + r"(?:都|要|想|准备|打算|一起){0,2}(?:报|评|申报|申请|参评|报名)?$"),
    after=re.compile(r"\s*(?:职称|工程师)?的?(?:有|共|是)?(\d{1,3})" + _ZH_PEOPLE),
    any_count=re.compile(r"\d{1,3}" + _ZH_PEOPLE),
    window=8,
    numbers={},
)

_EN_NUMBER = r"(\d{1,3}|" + "|".join(re.escape(w) for w in sorted(EN_NUMBERS, key=len, reverse=True)) + r")"
_EN_PEOPLE = r"(?:people|persons|applicants|candidates|colleagues|employees|staff|engineers|of us|of them)"
ENGLISH = CountPatterns(
    before=re.compile(
        r"\b" + _EN_NUMBER + r"\s+(?:" + _EN_PEOPLE + r"\s+)?(?:(?:are|will|want|plan|going|to|apply|applying)\s+)*"
        r"(?:for\s+|at\s+)?$"
    ),
    after=re.compile(r"\s*(?:applicants\s+|candidates\s+)?" + _EN_NUMBER + r"\s+" + _EN_PEOPLE + r"\b"),
    any_count=re.compile(r"\b" + _EN_NUMBER + r"\s+(?:" + _EN_PEOPLE + r"\b|\S+\s+" + _EN_PEOPLE + r"\b|for\b)"),
    window=48,
    numbers=EN_NUMBERS,
)


def headcounts(normalized: str, mentions: Sequence[LevelMention], patterns: CountPatterns = CHINESE) -> dict[str, int]:
    """Level id → the number of people the question counts for it (only the levels it counts)."""
    if not mentions:
        return {}
    first_count = patterns.any_count.search(normalized)
    if first_count is None:
        return {}
    counts_first = first_count.start() < mentions[0].start
    found: dict[str, int] = {}
    used: set[int] = set()
    previous_end = 0
    for i, mention in enumerate(mentions):
        following = mentions[i + 1].start if i + 1 < len(mentions) else len(normalized)
        window_start = max(previous_end, mention.start - patterns.window)
        before = patterns.before.search(normalized, window_start, mention.start)
        after = patterns.after.match(normalized, mention.end, following)
        # the question's own order first; the other where it finds nothing (有100人，报中级的2个人)
        for match in (before, after) if counts_first else (after, before):
            if match is None or match.start(1) in used or mention.level in found:
                continue
            number = match.group(1)
            people = int(number) if number.isdigit() else patterns.numbers.get(number, 0)
            if 0 < people <= MAX_PEOPLE:
                found[mention.level] = people
                used.add(match.start(1))
        previous_end = mention.end
    return found if sum(found.values()) >= 2 else {}
