"""``rules/reminders.yaml`` as ``python -m bot check`` reads it."""

from __future__ import annotations

import shutil

from bot.paths import content_root
from bot.reminders.definitions import check_reminder_rules


def test_the_shipped_rules_pass_the_check():
    assert check_reminder_rules(content_root()) == []


def test_a_rule_expiring_at_the_paper_form_due_date_needs_states_that_have_one(tmp_path):
    """The scheduler takes that day from the status card's definition (``StatusCalendar.due_date``),
    which gives one only for a state with ``due: paper_form``: any other state is reported."""
    shutil.copytree(content_root() / "rules", tmp_path / "rules")
    path = tmp_path / "rules" / "reminders.yaml"
    text = path.read_text("utf-8")
    old = "    states: [accepted]\n    audience: [bound, unit_hr]\n    expires: paper_form_due\n"
    assert old in text
    path.write_text(text.replace(old, old.replace("[accepted]", "[accepted, paper_received]")), "utf-8")
    [problem] = check_reminder_rules(tmp_path)
    assert "paper_received" in problem.reason and "paper_form" in problem.reason
