"""Working days: the official calendar from chinesecalendar, staff data for later years, a warning
(never a crash) for years nobody knows."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from bot.content.loader import ContentError
from bot.paths import PROJECT_ROOT
from bot.reference.workdays import HolidaysFile, WorkdayCalendar, check_holidays

UNKNOWN_YEAR = 2099


def test_national_day_and_make_up_days_2024():
    cal = WorkdayCalendar.load(PROJECT_ROOT)
    assert not cal.is_workday(date(2024, 10, 1))  # holiday on a Tuesday
    assert cal.is_workday(date(2024, 9, 29))  # make-up Sunday
    assert cal.is_workday(date(2024, 10, 12))  # make-up Saturday
    # a 公示 starting Friday 27 September: 27, 29 (Sun), 30, then 8 and 9 October
    assert cal.period_end(date(2024, 9, 27), 5) == date(2024, 10, 9)
    assert cal.add_workdays(date(2024, 9, 30), 1) == date(2024, 10, 8)
    assert cal.workdays_between(date(2024, 9, 30), date(2024, 10, 8)) == 1


def test_period_starting_on_a_holiday_starts_at_the_next_workday():
    cal = WorkdayCalendar()
    assert cal.period_end(date(2024, 10, 3), 1) == date(2024, 10, 8)


def test_unknown_year_falls_back_to_weekdays_and_warns_once(caplog):
    cal = WorkdayCalendar()
    with caplog.at_level(logging.WARNING, logger="bot.reference.workdays"):
        assert cal.is_workday(date(UNKNOWN_YEAR, 1, 1))  # a Thursday
        assert not cal.is_workday(date(UNKNOWN_YEAR, 1, 3))  # Saturday
        assert cal.period_end(date(UNKNOWN_YEAR, 1, 2), 5) == date(UNKNOWN_YEAR, 1, 8)
    warnings = [r for r in caplog.records if str(UNKNOWN_YEAR) in r.getMessage()]
    assert len(warnings) == 1


def test_staff_holiday_list_for_a_later_year():
    data = HolidaysFile.model_validate(
        {"years": {UNKNOWN_YEAR: {"holidays": ["2099-01-01", "2099-01-05..2099-01-06"], "workdays": ["2099-01-03"]}}}
    )
    cal = WorkdayCalendar(data)
    assert not cal.is_workday(date(UNKNOWN_YEAR, 1, 1))
    assert cal.is_workday(date(UNKNOWN_YEAR, 1, 3))  # make-up Saturday
    assert not cal.is_workday(date(UNKNOWN_YEAR, 1, 6))
    assert cal.period_end(date(UNKNOWN_YEAR, 1, 1), 3) == date(UNKNOWN_YEAR, 1, 7)


@pytest.mark.parametrize(
    "years",
    [
        {2099: {"holidays": ["2099-13-01"]}},
        {2099: {"holidays": ["2098-12-31"]}},
        {2099: {"holidays": ["2099-01-03"], "workdays": ["2099-01-03"]}},
        {2099: {"holidays": ["2099-03-01..2099-01-01"]}},
    ],
)
def test_bad_holiday_data_is_refused(tmp_path, years):
    import yaml

    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "holidays.yaml").write_text(yaml.safe_dump({"years": years}), encoding="utf-8")
    with pytest.raises(ContentError):
        check_holidays(tmp_path)


def test_real_holidays_file_is_valid():
    assert check_holidays(PROJECT_ROOT) == []
