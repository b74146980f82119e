"""Settings: defaults, parsing, and one clear line for a bad value."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.settings import SettingsError, load_settings
from tests.support.helpers import PROJECT_ENV


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


# ---- HASH_SALT: no public default ------------------------------------------------------------------
OLD_PUBLIC_DEFAULT = "change-me-in-production"


def _salt_of(app) -> str:
    return app.services.settings.hash_salt.get_secret_value()


def test_unset_salt_is_generated_beside_the_sqlite_file_and_kept(tmp_path, monkeypatch, caplog):
    import logging
    import stat

    from bot.app import build_app

    monkeypatch.delenv("HASH_SALT", raising=False)
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}"
    with caplog.at_level(logging.WARNING, logger="bot.settings"):
        first = build_app(load_settings(_env_file=None, database_url=url))
    salt = _salt_of(first)
    path = tmp_path / "data" / "bot.db.salt"
    assert path.read_text().strip() == salt
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert salt != OLD_PUBLIC_DEFAULT and len(salt) >= 40
    announced = [r for r in caplog.records if "HASH_SALT" in r.getMessage()]
    assert len(announced) == 1 and str(path) in announced[0].getMessage()
    assert salt not in caplog.text

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="bot.settings"):
        again = build_app(load_settings(_env_file=None, database_url=url))
    assert _salt_of(again) == salt  # the next start reuses it (hashes stay valid)
    assert "HASH_SALT" not in caplog.text  # said once, on the start that generated it

    other = build_app(load_settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path / 'other.db'}"))
    assert _salt_of(other) != salt


def test_explicit_salt_wins_and_writes_no_file(tmp_path, monkeypatch):
    from bot.app import build_app

    monkeypatch.setenv("HASH_SALT", "  an-explicit-salt-for-tests  ")
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    app = build_app(load_settings(_env_file=None, database_url=url))
    assert _salt_of(app) == "an-explicit-salt-for-tests"
    assert not (tmp_path / "bot.db.salt").exists()


def test_postgres_salt_lives_under_var_not_in_the_database():
    from bot.settings import salt_file

    path = salt_file("postgresql+asyncpg://bot:secret@db.example.org:5433/zhicheng")
    assert path is not None and path.parts[0] == "var"
    assert "secret" not in str(path) and "zhicheng" in path.name
    assert salt_file("sqlite+aiosqlite:///:memory:") is None


def test_processes_starting_together_agree_on_one_salt(tmp_path, monkeypatch):
    monkeypatch.delenv("HASH_SALT", raising=False)
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    code = (
        "import sys; from bot.settings import load_settings, with_hash_salt; "
        f"print(with_hash_salt(load_settings(_env_file=None, database_url={url!r})).hash_salt.get_secret_value())"
    )
    env = {k: v for k, v in PROJECT_ENV.items() if k != "HASH_SALT"}
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env) for _ in range(4)]
    salts = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert len(salts) == 1 and (tmp_path / "bot.db.salt").read_text().strip() in salts
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".bot.db.salt")]  # no temporary left


def test_check_warns_when_salt_is_not_set(tmp_path):
    env = {k: v for k, v in PROJECT_ENV.items() if k != "HASH_SALT"}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    unset = subprocess.run([sys.executable, "-m", "bot", "check"], capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert unset.returncode == 0
    assert "warning" in unset.stderr and "HASH_SALT" in unset.stderr
    explicit = subprocess.run(
        [sys.executable, "-m", "bot", "check"], capture_output=True, text=True, env=env | {"HASH_SALT": "x" * 32},
        timeout=120, cwd=tmp_path,
    )
    assert explicit.returncode == 0 and "HASH_SALT" not in explicit.stderr
