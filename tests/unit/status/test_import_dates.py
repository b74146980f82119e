"""How an import reads a date cell (``bot.status.tablefile.parse_moment``): the unambiguous forms
staff's spreadsheets write are taken, Excel serials only within 2000–2099, and forms that could be
read two ways are refused with a text that says which form to use."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.clock import LOCAL_TZ
from bot.content.texts import Texts, text_files
from bot.paths import PROJECT_ROOT
from bot.status.calendar import format_status_time, is_day_only
from bot.status.tablefile import EXCEL_EPOCH, DateCellError, parse_moment

TEXTS = Texts.load(text_files(PROJECT_ROOT), PROJECT_ROOT)


@pytest.mark.parametrize(("cell", "expected"), [
    ("2024-07-11", datetime(2024, 7, 11)),
    ("2024.7.11", datetime(2024, 7, 11)),
    ("2024/7/11", datetime(2024, 7, 11)),
    ("2024 / 07 / 11", datetime(2024, 7, 11)),
    ("2024年7月11日", datetime(2024, 7, 11)),
    ("2024年7月11号", datetime(2024, 7, 11)),
    ("２０２４．７．１１", datetime(2024, 7, 11)),  # full-width, as typed with a Chinese input method
    ("20240711", datetime(2024, 7, 11)),
    ("2024/7/11 9:30", datetime(2024, 7, 11, 9, 30)),
    ("2024.7.11 09:30:15", datetime(2024, 7, 11, 9, 30, 15)),
    ("2024-07-11 09:30:00.000", datetime(2024, 7, 11, 9, 30)),
    ("2024年7月11日9时30分", datetime(2024, 7, 11, 9, 30)),
    ("2024年7月11日 14点", datetime(2024, 7, 11, 14, 0)),
    ("45484", datetime(2024, 7, 11)),
    ("45484.5", datetime(2024, 7, 11, 12, 0)),
    (45484, datetime(2024, 7, 11)),  # an .xlsx number cell without a date format
    (45484.75, datetime(2024, 7, 11, 18, 0)),
    (date(2024, 7, 11), datetime(2024, 7, 11)),
    (datetime(2024, 7, 11, 8, 5), datetime(2024, 7, 11, 8, 5)),
])
def test_unambiguous_forms_are_read(cell, expected):
    assert parse_moment(cell) == expected


def test_an_iso_time_with_an_offset_keeps_it():
    moment = parse_moment("2024-07-11T01:30:00Z")
    assert moment == datetime(2024, 7, 11, 1, 30, tzinfo=UTC)
    assert parse_moment("2024-07-11T09:30+08:00").astimezone(LOCAL_TZ).hour == 9


def test_serials_count_as_excel_does():
    """Excel's 1900 system: serial 36526 is 2000-01-01, 45292 is 2024-01-01 (openpyxl agrees)."""
    from openpyxl.utils.datetime import from_excel

    for serial in (36526, 45292, 45484, 45484.25, 73050):
        assert parse_moment(str(serial)) == from_excel(serial)
    assert EXCEL_EPOCH + timedelta(days=45292) == datetime(2024, 1, 1)


@pytest.mark.parametrize("cell", ["", "   ", None])
def test_an_empty_cell_is_no_time(cell):
    assert parse_moment(cell) is None


@pytest.mark.parametrize(("cell", "key"), [
    ("7/11/2024", "time_ambiguous"),      # 11 July or 7 November
    ("11/07/2024", "time_ambiguous"),
    ("11.7.2024", "time_ambiguous"),
    ("11-07-24", "time_ambiguous"),
    ("24/7/11", "time_ambiguous"),        # a two-digit year first or last
    ("24年7月11日", "time_ambiguous"),
    ("7月11日", "time_no_year"),           # no year: its own reason
    ("7/11", "time_no_year"),
    ("12345", "time_serial_range"),       # 1933
    ("99999", "time_serial_range"),       # 2173
    ("2024", "time_serial_range"),        # a year alone is no day
    (100000, "time_serial_range"),
    ("2024-02-30", "time_invalid_date"),
    ("20241345", "time_invalid_date"),
    ("2024-07-11 25:00", "time_invalid_time"),
    ("明天", "time_unreadable"),
    ("2024-07-11 下午3点", "time_unreadable"),
    ("2024-7/11", "time_unreadable"),     # separators that do not match
    (True, "time_unreadable"),
])
def test_ambiguous_and_broken_forms_are_refused_naming_the_form_to_use(cell, key):
    with pytest.raises(DateCellError) as caught:
        parse_moment(cell)
    problem = caught.value
    assert problem.key == key
    zh = TEXTS.get(f"status.import_errors.{key}", **problem.values)
    en = TEXTS.get(f"status.import_errors.{key}", "en", **problem.values)
    assert "{" not in zh and "{" not in en
    assert str(problem.values["value"]) in zh and str(problem.values["value"]) in en
    if key != "time_invalid_date":  # the others say how to write it
        assert "2024-07-11" in zh and "2024-07-11" in en


def test_the_serial_refusal_names_the_range():
    with pytest.raises(DateCellError) as caught:
        parse_moment("12345")
    text = TEXTS.get("status.import_errors.time_serial_range", **caught.value.values)
    assert "36526" in text and "73050" in text and "2000-01-01" in text and "2099-12-31" in text


def test_a_status_time_without_a_time_of_day_shows_the_day_alone():
    midnight = datetime(2024, 7, 11, tzinfo=LOCAL_TZ)
    assert is_day_only(midnight) and format_status_time(midnight) == "2024-07-11"
    assert format_status_time(midnight, "en") == "11 July 2024"
    # as stored: UTC, the evening before
    assert format_status_time(midnight.astimezone(UTC)) == "2024-07-11"
    morning = datetime(2024, 7, 11, 9, 30, tzinfo=LOCAL_TZ)
    assert not is_day_only(morning) and format_status_time(morning) == "2024-07-11 09:30"
    assert format_status_time(morning, "en") == "11 July 2024, 09:30"
    # a clock's moment a second or a microsecond past midnight keeps its time
    assert format_status_time(midnight + timedelta(seconds=1)) == "2024-07-11 00:00"
    assert format_status_time(midnight + timedelta(microseconds=1)) == "2024-07-11 00:00"
