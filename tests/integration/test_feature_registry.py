"""Features declare themselves: a feature added as one package and one entry in ``MODULES`` is seen
by the conversation, ``check``, the database metadata, the command line and the background jobs."""

from __future__ import annotations

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from bot.app import (
    MODULE_PATHS,
    MODULES,
    build_app,
    content_checkers,
    import_models,
    menu_keys,
    register_commands,
)
from bot.cli import build_app_or_exit
from bot.content.check import run_checks
from bot.content.loader import ContentProblem
from bot.core.feature import resolve
from bot.paths import PROJECT_ROOT
from bot.settings import load_settings
from bot.storage.base import Base
from tests.integration.fixtures.toy_feature import feature as toy_feature
from tests.integration.fixtures.toy_feature.module import module as toy
from tests.support.helpers import ChatUser, copy_content, make_clock

#: MODULES as bot/app.py builds it, with the one line a new feature adds to MODULE_PATHS
WITH_TOY = tuple(resolve(f"{path}:module") for path in (*MODULE_PATHS, "tests.integration.fixtures.toy_feature.module"))


@pytest.fixture
def toy_table():
    """The toy table, on ``Base.metadata`` only while the test runs (other tests list every table)."""
    import_models([toy])
    table = Base.metadata.tables["toy_counters"]
    yield table
    Base.metadata.remove(table)


async def test_a_toy_module_brings_its_command_table_and_job(tmp_path, toy_table):
    settings = load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    app = build_app(settings, clock=make_clock(), modules=WITH_TOY)
    try:
        await app.start()
        # the migrations know only the real features; a toy table is created from the metadata
        async with app.db.engine.begin() as conn:
            await conn.run_sync(lambda sync: Base.metadata.create_all(sync, tables=[toy_table]))
        user = ChatUser(app)
        await user.say("/toy")
        await user.say("/toy")
        assert user.text == "玩具第 2 次"
        async with app.db.engine.connect() as conn:
            assert (await conn.execute(select(toy_table.c.hits))).scalar_one() == 2

        assert toy_feature.toy_job in app.background
        await toy_feature.toy_job(app, {})
        assert toy_feature.JOB_RUNS[-1] is app
    finally:
        await app.close()


async def test_without_the_toy_module_its_command_is_unknown(tmp_path):
    settings = load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    app = build_app(settings, clock=make_clock())
    try:
        await app.start()
        user = ChatUser(app)
        await user.say("/toy")
        assert "玩具" not in user.text
        assert toy_feature.toy_job not in app.background
    finally:
        await app.close()


def test_the_toy_check_runs_with_the_others(tmp_path):
    root = copy_content(tmp_path)
    checkers = content_checkers(WITH_TOY)
    assert set(content_checkers()) < set(checkers)
    assert run_checks(root, checkers)["toy"] == [ContentProblem(toy_feature.TOY_FILE, 0, "the toy file is missing")]
    (root / toy_feature.TOY_FILE).write_text("toy: true\n", encoding="utf-8")
    results = run_checks(root, checkers)
    assert results["toy"] == []
    assert all(not problems for problems in results.values())


def test_the_toy_command_line_command_is_registered():
    typer_app = typer.Typer()
    register_commands(typer_app, build_app_or_exit, WITH_TOY)
    result = CliRunner().invoke(typer_app, ["toy"])
    assert result.exit_code == 0, result.output
    assert "toy here" in result.output


def test_the_main_menu_follows_the_menu_entries():
    assert menu_keys() == ("qa", "eligibility", "status", "reminders", "help")
    assert menu_keys([m for m in MODULES if m.name != "status"]) == ("qa", "eligibility", "reminders", "help")


#: the lowest layer (see docs/architecture.md); a feature module may also name what is there
LOWER_LAYER = ("bot.core.", "bot.content.", "bot.storage.", "bot.dialogs.", "bot.rules.", "bot.reference.")


def test_every_module_refers_only_to_its_own_package_or_the_lowest_layer():
    """String references are invisible to import-linter, so they are held to the layers here: a
    feature module never names another feature or a channel it does not belong to."""
    for module in MODULES:
        own = {"web": "bot.channels.web.", "core": "bot.core."}.get(module.name, f"bot.{module.name}.")
        refs = [*module.models, *module.checks.values(), *module.cli, *module.jobs, module.build]
        names = [ref for ref in refs if isinstance(ref, str)]
        assert names or module.name == "core"
        strays = [name for name in names if not name.startswith((own, *LOWER_LAYER))]
        assert not strays, f"{module.name} names {strays}"


def test_project_root_content_is_valid_with_the_real_modules():
    assert all(not problems for problems in run_checks(PROJECT_ROOT, content_checkers()).values())
