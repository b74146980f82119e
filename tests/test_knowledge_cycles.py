"""The end of a review cycle is read from data (rules/cycles/<year>.yaml), leniently."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.knowledge.cycles import Cycles, read_deadline


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("online_deadline:\n  date: 2024-08-30\n  source: {document: n2024, section: 五(四)}\n", dt.date(2024, 8, 30)),
        ("online_deadline: 2024-08-30\n", dt.date(2024, 8, 30)),
        ("online_deadline: '2024-08-30'\n", dt.date(2024, 8, 30)),
        ("cycle:\n  online_deadline: 2024-08-30\n", dt.date(2024, 8, 30)),
        ("online_deadline: soon\n", None),
        ("year: 2024\n", None),
        ("[not, a, mapping]\n", None),
        (": : :\n", None),
    ],
)
def test_read_deadline_formats(tmp_path, body, expected):
    path = tmp_path / "rules" / "cycles" / "2024.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(body, encoding="utf-8")
    assert read_deadline(tmp_path, "2024") == expected


def test_status_from_the_file_or_the_year(tmp_path):
    cycles = Cycles(tmp_path)
    assert cycles.status("all", dt.date(2030, 1, 1)) is None
    assert not cycles.status("2024", dt.date(2024, 12, 31)).ended  # no file: the year decides
    assert cycles.status("2024", dt.date(2025, 1, 1)).ended
    path = tmp_path / "rules" / "cycles" / "2025.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("online_deadline: {date: 2025-09-15}\n", encoding="utf-8")
    assert not cycles.status("2025", dt.date(2025, 9, 15)).ended
    status = cycles.status("2025", dt.date(2025, 9, 16))
    assert status.ended and status.deadline == dt.date(2025, 9, 15)
