"""Typed numbers as people write them (bot.core.numbers)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.numbers import ParsedYears, chinese_to_int, parse_number, parse_years


@pytest.mark.parametrize(
    ("text", "years", "rounded"),
    [
        ("6", 6, False), ("６", 6, False), ("6年", 6, False), ("六年", 6, False), ("十二", 12, False),
        ("3年半", 3, True), ("2.5", 2, True), ("三年多", 3, True), ("两年", 2, False), ("二十五", 25, False),
        ("满5年", 5, False), ("5 年", 5, False), ("半年", 0, True), ("0", 0, False), ("零", 0, False),
        ("十", 10, False), ("３年半", 3, True), ("十一年", 11, False),
        # as people answer on a phone: a closing 了, months
        ("8年了", 8, False), ("2年半了", 2, True), ("18个月", 1, True), ("十二个月", 1, False), ("6个月", 0, True),
    ],
)
def test_typed_years(text, years, rounded):
    assert parse_years(text) == ParsedYears(years, rounded)


@pytest.mark.parametrize(
    ("text", "years", "rounded"),
    [
        ("5 years", 5, False), ("three", 3, False), ("nine", 9, False), ("1 year", 1, False), ("one year", 1, False),
        ("3.5 yrs", 3, True), ("two and a half years", 2, True), ("18 months", 1, True), ("twenty-five", 25, False),
        ("Twenty five years", 25, False), ("about 6 years", 6, False),
    ],
)
def test_english_years(text, years, rounded):
    """What the English self-check's hint offers ("3", "3 years" or "three") is read."""
    assert parse_years(text) == ParsedYears(years, rounded)


@pytest.mark.parametrize("text", ["30 years old", "fifty one", "no", "yes", "lots", "a few years", "5 people"])
def test_not_english_years(text):
    assert parse_years(text) is None


@pytest.mark.parametrize("text", ["abc", "-1", "", "年", "十十", "二五", "三.五", "3-4年", "好几年", "30岁", "9" * 400, "1" * 20 + "年"])
def test_not_a_number_of_years(text):
    assert parse_years(text) is None


@pytest.mark.parametrize(("text", "value"), [("一百零五", 105), ("九十九", 99), ("二十", 20), ("百", 100)])
def test_chinese_numerals(text, value):
    assert chinese_to_int(text) == value
    assert parse_number(text) == value


@given(st.integers(min_value=0, max_value=999))
def test_digits_round_trip(value):
    assert parse_number(str(value)) == value
    assert parse_years(f"{value}年") == ParsedYears(value)


@given(st.text(max_size=12) | st.text(alphabet="0123456789.年个月了", min_size=10, max_size=600))
def test_never_raises(text):
    result = parse_years(text)
    assert result is None or (result.years >= 0 and isinstance(result.rounded, bool))
