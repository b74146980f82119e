"""``rules/outbox.yaml``: the outbox's own settings file, its defaults and ``check``'s reports."""

from __future__ import annotations

import shutil
from datetime import datetime, time

import pytest

from bot.clock import LOCAL_TZ
from bot.content.loader import ContentError
from bot.outbox.config import (
    OUTBOX_FILE,
    DeliveryConfig,
    QuietHours,
    check_outbox_config,
    load_delivery_config,
)
from bot.paths import content_root


def _copy_rules(tmp_path):
    shutil.copytree(content_root() / "rules", tmp_path / "rules")
    return tmp_path


def test_the_shipped_file_validates_and_sets_telegrams_pace():
    config = load_delivery_config(content_root())
    assert check_outbox_config(content_root()) == []
    assert config.global_rate == 30 and config.per_chat_interval == 1.0
    assert config.quiet_hours == QuietHours(start=time(22, 0), end=time(8, 0))


def test_without_the_file_every_setting_has_its_default(tmp_path):
    assert load_delivery_config(tmp_path) == DeliveryConfig()
    assert check_outbox_config(tmp_path) == []


def test_a_bad_value_is_reported_with_file_and_line(tmp_path):
    root = _copy_rules(tmp_path)
    path = root / OUTBOX_FILE
    lines = path.read_text("utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip().startswith("global_rate:"))
    lines[index] = "  global_rate: -5"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    with pytest.raises(ContentError) as caught:
        check_outbox_config(root)
    [problem] = caught.value.problems
    assert problem.file == "rules/outbox.yaml" and problem.line == index + 1
    assert "global_rate" in problem.reason


def test_the_reminders_file_no_longer_takes_delivery_settings(tmp_path):
    from bot.reminders.definitions import check_reminder_rules

    root = _copy_rules(tmp_path)
    reminders = root / "rules" / "reminders.yaml"
    reminders.write_text(reminders.read_text("utf-8") + "delivery:\n  global_rate: 30\n", "utf-8")
    with pytest.raises(ContentError):
        check_reminder_rules(root)


@pytest.mark.parametrize(("raw", "expected"), [("22:00", time(22, 0)), (1320, time(22, 0)), ("7:05", time(7, 5))])
def test_quiet_hours_read_quoted_and_yaml11_times(raw, expected):
    assert QuietHours(start=raw, end="08:00").start == expected


@pytest.mark.parametrize("raw", ["24:00", "7h", 24 * 60])
def test_quiet_hours_refuse_an_impossible_time(raw):
    with pytest.raises(ValueError):
        QuietHours(start=raw)


def test_quiet_hours_cross_midnight():
    quiet = QuietHours()
    assert quiet.contains(datetime(2024, 7, 1, 23, 30, tzinfo=LOCAL_TZ))
    assert quiet.contains(datetime(2024, 7, 2, 7, 59, tzinfo=LOCAL_TZ))
    assert not quiet.contains(datetime(2024, 7, 2, 8, 0, tzinfo=LOCAL_TZ))
