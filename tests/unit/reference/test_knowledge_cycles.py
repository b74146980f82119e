"""Whether an answer's review cycle is over comes from the one cycle calendar (rules/cycles/<year>.yaml)."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from bot.content.loader import ContentError
from bot.paths import PROJECT_ROOT
from bot.reference.cycles import CycleCalendar, check_cycles

CYCLE_2024 = (PROJECT_ROOT / "rules" / "cycles" / "2024.yaml").read_text(encoding="utf-8")


def _write(root, year: int, text: str) -> None:
    path = root / "rules" / "cycles" / f"{year}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _cycle(year: int, deadline: str) -> str:
    return CYCLE_2024.replace("year: 2024", f"year: {year}").replace("date: 2024-08-30", f"date: {deadline}")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("date: 2024-08-30", "date: soon"),  # a deadline that is no date
        ("    intermediate: 160\n", ""),  # a level without its fee
        ("  days_after_acceptance: 7\n", ""),  # no paper-form days
    ],
)
def test_a_cycle_file_lacking_a_value_fails_instead_of_defaulting(tmp_path, old, new):
    _write(tmp_path, 2024, CYCLE_2024.replace(old, new))
    with pytest.raises(ContentError):
        CycleCalendar.load(tmp_path)
    (tmp_path / "knowledge").mkdir()
    (tmp_path / "knowledge" / "documents.yaml").write_text(
        (PROJECT_ROOT / "knowledge" / "documents.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    assert check_cycles(tmp_path), "check must report the incomplete cycle file"


def test_status_from_the_file_or_the_year(tmp_path):
    _write(tmp_path, 2024, _cycle(2024, "2024-08-30"))
    cycles = CycleCalendar.load(tmp_path)
    assert cycles.status("all", dt.date(2030, 1, 1)) is None
    assert not cycles.status("2023", dt.date(2023, 12, 31)).ended  # no file: the year decides
    assert cycles.status("2023", dt.date(2024, 1, 1)).ended
    assert not cycles.status("2024", dt.date(2024, 8, 30)).ended
    _write(tmp_path, 2025, _cycle(2025, "2025-09-15"))
    cycles = CycleCalendar.load(tmp_path)
    assert not cycles.status("2025", dt.date(2025, 9, 15)).ended
    status = cycles.status("2025", dt.date(2025, 9, 16))
    assert status.ended and status.deadline == dt.date(2025, 9, 15)


def test_an_older_cycle_names_the_newer_notice_once_it_is_announced(tmp_path):
    _write(tmp_path, 2024, _cycle(2024, "2024-08-30"))
    _write(tmp_path, 2025, _cycle(2025, "2025-09-15").replace("date: 2024-06-24", "date: 2025-06-20"))
    cycles = CycleCalendar.load(tmp_path)
    assert cycles.status("2024", dt.date(2025, 6, 19)).newer is None  # the 2025 notice is not out yet
    assert cycles.status("2024", dt.date(2025, 6, 20)).newer == 2025
    assert cycles.status("2025", dt.date(2026, 1, 1)).newer is None


def test_the_note_under_an_old_cycle_answer_points_to_the_newer_notice(tmp_path):
    from bot.knowledge.answering import standalone_answerer

    shutil.copytree(PROJECT_ROOT / "knowledge", tmp_path / "knowledge")
    shutil.copytree(PROJECT_ROOT / "dialogs", tmp_path / "dialogs")
    shutil.copytree(PROJECT_ROOT / "rules", tmp_path / "rules")
    question = "网上申报截止时间是什么时候？"  # an entry of the 2024 cycle
    today = dt.datetime(2025, 10, 1, 4, tzinfo=dt.UTC)
    latest = standalone_answerer(tmp_path).respond(question, today).text
    assert "目前掌握的最新一期" in latest and "2025年度的新通知" not in latest
    _write(tmp_path, 2025, _cycle(2025, "2025-09-15").replace("date: 2024-06-24", "date: 2025-06-20"))
    superseded = standalone_answerer(tmp_path).respond(question, today).text
    assert "已经有2025年度的新通知" in superseded and "目前掌握的最新一期" not in superseded
