"""The eligibility self-check in English through the dialog engine (the core's path), and the
English data of rules/: ``python -m bot check`` refuses a user-facing field without its ``_en``."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.content.loader import ContentError
from bot.content.localized import english_gaps, pick
from bot.eligibility.rulebook_check import check_rulebook
from bot.paths import PROJECT_ROOT
from bot.reference.cycles import check_cycles
from bot.reminders.definitions import check_reminder_rules
from bot.status.workflow import check_status_rules, load_workflow
from tests.support.helpers import ChatUser

CHINESE_SENTENCE = re.compile(r"[，。；：？！您]")


def english_lines(text: str) -> list[str]:
    """Lines that read as Chinese sentences, source citations included (their document labels and
    caveats come from knowledge/en/documents.yaml)."""
    return [line for line in text.splitlines() if CHINESE_SENTENCE.search(line)]


async def english_user(app, user_id: str) -> ChatUser:
    user = ChatUser(app, user_id=user_id)
    await user.say("/start", language="en")
    return user


async def test_self_check_in_english_to_a_verdict(sqlite_app):
    user = await english_user(sqlite_app, "en-elig")
    await user.say("/eligibility")
    assert "at most 14 questions" in user.text and "Question 1: What is your current situation?" in user.text
    assert user.button_labels[-3:] == ["⬅ Back", "🔄 Restart", "✖ Exit"]
    await user.say("?")
    assert "Freelancers (自由职业者) can apply" in user.text
    for label in ("Employed (company, public institution, association, etc.)", "In Qingdao, industrial internet technical work",
                  "Mainland China resident", "Bachelor's", "Assistant Engineer"):
        await user.press_label(label)
    assert "Question 6: How many full years have passed since you obtained your current title?" in user.text
    await user.say("4")
    await user.say("4")
    assert "专精特新" in user.text and "specialised, refined, distinctive and innovative SME" in user.text
    await user.press_label("No / not sure")
    await user.press_label("None")
    await user.press_label("None / not sure")
    await user.press_label("Met every year")
    text = user.text
    assert "From your answers, you can apply for: Engineer (工程师)." in text
    assert "• Engineer (工程师) — intermediate level, regular application" in text
    assert "With a bachelor's or junior college education and 4 full years of technical work" in text
    assert "review fee 160 yuan per person" in text and "professional assessment (专业测评) + expert review (专家评审)" in text
    assert "choose 青岛西海岸新区工业互联网工程技术职务资格中级评审委员会 (the New Area's intermediate review committee" in text  # the name to pick in the system, glossed
    assert "Source: national baseline standard 人社部发〔2019〕16号 (Engineer part), Annex 1 prevails, medium confidence" in text
    assert "Online applications for 2024 close on 30 August 2024" in text
    assert "Attachment 1, 《工业互联网工程技术人才职称评价标准条件（试行）》" in text
    assert english_lines(text) == []
    assert user.button_labels == ["🔄 Check again", "🔔 Deadline reminders"]


async def test_english_and_chinese_users_get_their_own_verdicts_in_one_run(sqlite_app):
    en = await english_user(sqlite_app, "en-retired")
    zh = ChatUser(sqlite_app, user_id="zh-retired")
    await zh.say("/start", language="zh")
    await en.say("/eligibility")
    await zh.say("/eligibility")
    await en.press_label("Retired")
    await zh.press_label("离退休人员")
    assert "Sorry — under the scope of this review you cannot apply" in en.text
    assert "Civil servants, staff managed under the Civil Servant Law (参照公务员法管理) and retirees may not apply" in en.text
    assert english_lines(en.text) == []
    assert "很抱歉" in zh.text and "离退休人员不得参加" in zh.text and "Sorry" not in zh.text


async def test_a_foreign_permit_holder_gets_the_waiver_estimate_in_english(sqlite_app):
    user = await english_user(sqlite_app, "en-foreign")
    await user.say("/eligibility")
    for label in ("Freelancer", "In Qingdao, industrial internet technical work",
                  "Foreign national with a permanent resident ID card", "Bachelor's", "None"):
        await user.press_label(label)
    await user.say("6")
    await user.press_label("None")  # skill level (a freelancer is not asked about 专精特新)
    await user.press_label("None / not sure")
    await user.press_label("Short in some year")
    text = user.text
    assert "we estimate you can apply for" in text or "you can apply for" in text
    assert "(estimate, to be confirmed with the office)" in text
    assert "foreign nationals holding a 外国人永久居留证 (foreign permanent resident ID card)" in text
    assert "You said some year's continuing-education hours fell short (the minimum is 90 hours a year" in text
    assert english_lines(text) == []


# ---- the English data of rules/ --------------------------------------------------------------------
def content_copy(tmp_path: Path) -> Path:
    for name in ("dialogs", "knowledge", "rules"):
        shutil.copytree(PROJECT_ROOT / name, tmp_path / name)
    return tmp_path


def drop_line(path: Path, startswith: str) -> int:
    """Remove the first line starting with ``startswith`` (after its indentation); returns its number."""
    lines = path.read_text("utf-8").splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.lstrip().startswith(startswith))
    del lines[index]
    path.write_text("".join(lines), "utf-8")
    return index + 1


def problems_of(checker, root: Path) -> list[str]:  # noqa: ANN001
    try:
        return [str(p) for p in checker(root)]
    except ContentError as exc:
        return [str(p) for p in exc.problems]


def test_shipped_rules_have_every_english_field():
    root = PROJECT_ROOT
    for checker in (check_status_rules, check_reminder_rules, check_rulebook, check_cycles):
        assert problems_of(checker, root) == [], checker.__name__


@pytest.mark.parametrize(("file", "line", "checker", "field"), [
    ("rules/status.yaml", 'next_step_en: "Please wait for the results', check_status_rules, "next_step"),
    ("rules/status.yaml", 'label_en: "full senior level"', check_status_rules, "levels.0.label"),
    ("rules/reminders.yaml", 'description_en: "Announcements', check_reminder_rules, "topics.2.description"),
    ("rules/eligibility.yaml", 'advice_en: "Please ask the human resources', check_rulebook, "exclusions.1.advice"),
    ("rules/eligibility.yaml", "text_en: \"you upload supporting evidence", check_rulebook, "conditions.2.text"),
    ("rules/qualifications.yaml", "note_en:", check_rulebook, "note"),
    ("rules/cycles/2024.yaml", "value_en:", check_cycles, "professional_assessment_date.value"),
])
def test_check_fails_when_an_english_field_is_missing(tmp_path, file, line, checker, field):
    root = content_copy(tmp_path)
    removed_at = drop_line(root / file, line)
    found = [p for p in problems_of(checker, root) if "no English version" in p]
    assert len(found) == 1, found
    assert found[0].startswith(f"{file}:") and field in found[0]
    assert abs(int(found[0].split(":")[1]) - removed_at) <= 2  # points at the Chinese field beside it


def test_check_fails_when_an_english_text_loses_a_placeholder(tmp_path):
    root = content_copy(tmp_path)
    path = root / "rules" / "reminders.yaml"
    text = path.read_text("utf-8")
    path.write_text(text.replace("close on {deadline} ({days_left} day(s) left)", "close on {deadline}", 1), "utf-8")
    found = problems_of(check_reminder_rules, root)
    assert any("rules.0.text_en: placeholders ['deadline', 'phone', 'year'] differ" in p for p in found), found


def test_check_fails_when_a_list_in_english_has_another_length(tmp_path):
    root = content_copy(tmp_path)
    drop_line(root / "rules" / "eligibility.yaml", '- "a passed annual appraisal')
    found = problems_of(check_rulebook, root)
    assert any("skilled.requirements_en: must list as many items as skilled.requirements (3)" in p for p in found), found


def test_pick_and_the_gap_walker():
    workflow = load_workflow(PROJECT_ROOT)
    state = workflow.states["returned"]
    assert pick(state, "label", "en") == "Returned for completion" and pick(state, "label", "zh") == "退回补正"
    assert workflow.state_id("Returned for completion") == "returned"  # staff may type the English name
    assert english_gaps(workflow.data) == []
    bare = workflow.data.model_copy(update={"application_number_hint_en": None})
    assert english_gaps(bare) == [(("application_number_hint",), "application_number_hint: no English version "
                                                                  "(application_number_hint_en)")]


def test_eligibility_cli_speaks_english_with_lang_en(tmp_path):
    import json

    from typer.testing import CliRunner

    from bot.cli import _register_optional_commands, app

    _register_optional_commands()
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps({"person_type": "employee", "education": "doctor", "current_title": "none",
                                   "years_of_work": 0}), encoding="utf-8")
    result = CliRunner().invoke(app, ["eligibility", "--profile", str(profile), "--today", "2024-07-10", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "From your answers, you can apply for: Assistant Engineer (助理工程师), Engineer (工程师)." in result.output
    assert "Online applications for 2024 close on 30 August 2024 (51 day(s) left)" in result.output
    assert english_lines(result.output) == []
    result = CliRunner().invoke(app, ["eligibility", "--profile", str(profile), "--lang", "fr"])
    assert result.exit_code == 2 and "--lang must be zh or en" in result.output
