"""Numbers as people type them in Chinese chats: "6", "６", "6年", "六年", "十二", "两年", "3年半".

Shared by the dialog engine (typed answers to "how many years") and anything else that reads a
count out of free text. Pure functions, no framework, no texts: callers decide what to say.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100}
_CHINESE = "".join(_DIGITS) + "".join(_UNITS)

#: an amount of years: optional lead word, a number (digits, a decimal, or Chinese numerals; a few
#: digits at most, so no typed run of digits becomes a number too big for a float), an optional unit
#: (months are turned into years), an optional "and a half" / "and more", and a closing 了. An age
#: (30岁) is no number of years of work and is asked again.
_YEARS = re.compile(
    rf"^(?:已经|已|满|约|大约|大概|差不多)?\s*"
    rf"(?P<number>\d{{1,4}}(?:\.\d{{1,3}})?|[{_CHINESE}]{{1,6}})\s*"
    rf"(?:(?P<unit>个年头|周年|整年|年|个月|个)\s*(?P<extra>半|多|左右)?)?\s*了?$"
)
#: months in a year, for an answer given in months (18个月)
_MONTHS_PER_YEAR = 12
#: English number words up to fifty, the self-check's largest answer
_EN_UNITS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_EN_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}
EN_NUMBERS = {word: n for n, word in enumerate(_EN_UNITS)} | _EN_TENS | {
    f"{tens}{sep}{unit}": value + n for tens, value in _EN_TENS.items() if value < 50
    for n, unit in enumerate(_EN_UNITS) if 0 < n < 10 for sep in ("-", " ")
}
#: the same in English: "5", "5 years", "3.5 yrs", "three", "two and a half years", "18 months";
#: an age ("30 years old") is asked again
_EN_YEARS = re.compile(
    r"^(?:(?P<lead>about|around|over|more than)\s*)?(?P<number>\d{1,4}(?:\.\d{1,3})?|(?:twenty|thirty|forty) [a-z]+|[a-z]+(?:-[a-z]+)?)\s*"
    r"(?P<half>and a half\s*)?(?P<unit>years?|yrs?|months?)?(?P<half_after>\s+and a half)?$"
)


@dataclass(frozen=True)
class ParsedYears:
    """Whole years, and whether a fraction was dropped on the way (3年半, 2.5, 三年多 → 3 / 2 / 3)."""

    years: int
    rounded: bool = False


def chinese_to_int(text: str) -> int | None:
    """A Chinese numeral below 1000 ("十二" 12, "二十" 20, "一百零五" 105, "三" 3), or None."""
    if not text or any(ch not in _DIGITS and ch not in _UNITS for ch in text):
        return None
    if all(ch in _DIGITS for ch in text):  # one digit; "二五" could mean 25 or 2–5, so it is refused
        return _DIGITS[text] if len(text) == 1 else None
    total, digit, last_unit = 0, None, 1000
    for ch in text:
        if ch in _DIGITS:
            if digit is not None and _DIGITS[ch] != 0:
                return None  # two digits in a row inside a composed numeral
            digit = _DIGITS[ch] if _DIGITS[ch] != 0 else None
            continue
        unit = _UNITS[ch]
        if unit >= last_unit:
            return None  # "十百", "十十"
        total += (1 if digit is None else digit) * unit
        digit, last_unit = None, unit
    return total + (digit or 0)


def parse_number(text: str) -> int | None:
    """A whole number written in digits (full- or half-width) or Chinese numerals, or None."""
    typed = unicodedata.normalize("NFKC", text).strip()
    if typed.isdigit():
        return int(typed)
    return chinese_to_int(typed)


def parse_years(text: str) -> ParsedYears | None:
    """A number of years as typed; None when the text is not one (the caller re-asks)."""
    typed = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    if typed == "半年":
        return ParsedYears(0, rounded=True)
    match = _YEARS.match(typed)
    if match is None:
        return _english_years(unicodedata.normalize("NFKC", text).strip().lower())
    number = match.group("number")
    rounded = match.group("extra") in ("半", "多")
    if number[0].isdigit():
        value = float(number)
    else:
        parsed = chinese_to_int(number)
        if parsed is None:
            return None
        value = float(parsed)
    if match.group("unit") == "个月":
        value /= _MONTHS_PER_YEAR
    whole = int(value)
    return ParsedYears(whole, rounded or value != whole)


def _english_years(typed: str) -> ParsedYears | None:
    match = _EN_YEARS.match(" ".join(typed.split())) if len(typed) <= 40 else None
    if match is None:
        return None
    number = match.group("number")
    value = float(number) if number[0].isdigit() else EN_NUMBERS.get(number)
    if value is None:
        return None
    if match.group("half") or match.group("half_after"):
        value += 0.5
    if (match.group("unit") or "").startswith("month"):
        value /= _MONTHS_PER_YEAR
    whole = int(value)
    return ParsedYears(whole, value != whole or match.group("lead") in ("over", "more than"))
