"""``python -m bot eligibility --profile FILE.json [--json]``: output and bad input."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from bot.cli import _register_optional_commands, app

_register_optional_commands()
runner = CliRunner()


def run(tmp_path, data, *args):
    path = tmp_path / "profile.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return runner.invoke(app, ["eligibility", "--profile", str(path), *args])


def test_one_profile_as_json(tmp_path):
    result = run(tmp_path, {"education": "bachelor", "current_title": "assistant", "years_in_title": 4}, "--json", "--today", "2024-07-01")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert set(out) >= {"eligible", "levels", "blocked", "warnings", "fee", "assessment"}
    assert out["eligible"] is True
    assert out["levels"][0]["level"] == "intermediate" and out["levels"][0]["path"] == "standard"
    assert out["levels"][0]["reasons"] and out["levels"][0]["sources"]
    assert out["fee"] == {"intermediate": 160}
    assert out["assessment"] == {"intermediate": "专业测评 + 专家评审"}


def test_a_list_of_profiles(tmp_path):
    result = run(tmp_path, [{"person_type": "retired"}, {"education": "bachelor", "years_of_work": 0}], "--json")
    assert result.exit_code == 0, result.output
    first, second = json.loads(result.output)
    assert first["eligible"] is False and first["excluded"]["id"] == "excluded_person"
    assert second["blocked"] == [{"level": "assistant", "path": "standard", "missing": ["再满1年可申报助理工程师。"]}]


def test_text_output_today_says_the_cycle_is_over(tmp_path):
    result = run(tmp_path, {"education": "master", "ce_hours": []}, "--today", "2026-11-22")
    assert result.exit_code == 0
    assert "2024年度的网上申报已于2024-08-30截止" in result.output
    assert "还有" not in result.output


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"education": "phd"}, "education"),
        ({"colour": "red"}, "colour: unknown field"),
        ({"years_in_title": -1}, "years_in_title"),
        ({"years_in_title": "3"}, "years_in_title"),
        ({"works_in_shandong": "yes"}, "works_in_shandong"),
        ({"ce_hours": [{"year": 2023, "total": 10, "professional": 20}]}, "ce_hours.0"),
        ([{"education": "master"}, {"current_title": "boss"}], "[1].current_title"),
        ("{not json", "not valid JSON"),
        ("[]", "non-empty list"),
        ("42", "expected a profile object"),
    ],
)
def test_bad_profiles_exit_2_naming_the_field(tmp_path, data, named):
    result = run(tmp_path, data if isinstance(data, str) else data)
    assert result.exit_code == 2
    assert named in result.output
    assert "Traceback" not in result.output


def test_missing_file(tmp_path):
    result = runner.invoke(app, ["eligibility", "--profile", str(tmp_path / "nope.json")])
    assert result.exit_code == 2 and "file not found" in result.output
