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


# ---- the verdicts a content audit found wrong, through the command -------------------------------
def verdict(tmp_path, profile):
    result = run(tmp_path, profile, "--json", "--today", "2024-07-01")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def opened(out):
    return {(p["level"], p["path"]): p for p in out["levels"]}


def test_cli_technician_with_a_bachelor_degree_may_apply_for_assistant(tmp_path):
    out = verdict(tmp_path, {"education": "bachelor", "current_title": "technician", "years_in_title": 3})
    assert ("assistant", "standard") in opened(out) and out["eligible"] is True
    assert out["blocked"] == []


def test_cli_years_of_work_below_years_in_title_exit_2(tmp_path):
    result = run(tmp_path, {"current_title": "assistant", "years_in_title": 5, "years_of_work": 2})
    assert result.exit_code == 2 and "years_of_work must be at least years_in_title" in result.output


def test_cli_hong_kong_bachelor_six_years_is_an_estimate_up_to_engineer(tmp_path):
    out = verdict(tmp_path, {"education": "bachelor", "origin": "hk_macao_taiwan", "years_of_work": 6})
    assert set(opened(out)) == {("assistant", "standard"), ("intermediate", "standard")}
    engineer = opened(out)[("intermediate", "standard")]
    assert engineer["estimate"] is True and "满5年" in engineer["reasons"][0]
    assert any("办事机构确认" in w for w in out["warnings"])


def test_cli_hong_kong_engineer_eight_years_gets_the_ordinary_row(tmp_path):
    out = verdict(tmp_path, {"education": "bachelor", "origin": "hk_macao_taiwan", "current_title": "intermediate",
                             "years_in_title": 8})
    assert opened(out)[("deputy_senior", "standard")]["conditional"] is False


def test_cli_hours_short_is_a_warning(tmp_path):
    out = verdict(tmp_path, {"education": "bachelor", "current_title": "assistant", "years_in_title": 6,
                             "ce_hours": [{"year": 2023, "total": 40, "professional": 30}]})
    assert ("intermediate", "standard") in opened(out)
    assert any("通知没有写明" in w for w in out["warnings"])


def test_cli_foreigner_without_a_permit_is_sent_to_the_office(tmp_path):
    out = verdict(tmp_path, {"education": "doctor", "origin": "foreign_other"})
    assert out["eligible"] is False and out["excluded"]["kind"] == "not_covered"
    assert "0532-85161632" in out["excluded"]["advice"]


def test_cli_champion_is_not_the_national_tier(tmp_path):
    out = verdict(tmp_path, {"education": "college", "zjtx_enterprise": "champion", "zjtx_recommended": True})
    items = [p for p in out["levels"] if p["path"] == "zjtx"]
    assert items and all(p["estimate"] for p in items)
    assert not any("最多举荐2人" in r for p in items for r in p["reasons"])


def test_cli_recommendation_only_lists_no_hours_and_no_years(tmp_path):
    out = verdict(tmp_path, {"education": "college", "current_title": "assistant", "years_in_title": 1,
                             "zjtx_enterprise": "national", "zjtx_recommended": True, "ce_hours": []})
    assert {p["path"] for p in out["levels"]} == {"zjtx"} and out["blocked"] == []
    assert not any("继续教育" in m for m in out["materials"])
    assert not any("继续教育" in w or "附件1" in w for w in out["warnings"])


def test_cli_skilled_route_needs_a_frontline_post(tmp_path):
    profile = {"education": "secondary", "skill_level": "technician", "years_in_skill": 5, "appraisals_passed_3y": True}
    out = verdict(tmp_path, profile)
    assert "生产一线" in " ".join(b["missing"][0] for b in out["blocked"] if b["path"] == "skilled")
    out = verdict(tmp_path, {**profile, "frontline_post": True})
    assert ("intermediate", "skilled") in opened(out)
