"""Settings: defaults, parsing, and one clear line for a bad value."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.settings import SettingsError, load_settings
from tests.helpers import PROJECT_ENV


def test_defaults_use_sqlite_under_var(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = load_settings(_env_file=None)
    assert settings.database_url == "sqlite+aiosqlite:///var/bot.db"
    assert settings.bot_token is None
    assert settings.default_language == "zh"


def test_staff_ids_comma_separated(monkeypatch):
    monkeypatch.setenv("STAFF_IDS", "12, 34;terminal:local")
    assert load_settings(_env_file=None).staff_ids == ["12", "34", "terminal:local"]
    for bad in ("12 34", "tele gram:5", "x:", "1:2:3"):
        monkeypatch.setenv("STAFF_IDS", bad)
        with pytest.raises(SettingsError, match="STAFF_IDS"):
            load_settings(_env_file=None)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "mysql://x"),
        ("BOT_TOKEN", "not a token"),
        ("MAX_CONCURRENT_UPDATES", "zero"),
        ("LOG_LEVEL", "LOUD"),
        ("WEBHOOK_PORT", "70000"),
    ],
)
def test_bad_value_names_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings(_env_file=None)
    assert name in str(info.value)
    assert "\n" not in str(info.value)


def test_cli_reports_bad_setting_in_one_line_without_traceback():
    env = PROJECT_ENV | {"DATABASE_URL": "mysql://nope"}
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 2
    assert "DATABASE_URL" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert len(proc.stderr.strip().splitlines()) == 1
