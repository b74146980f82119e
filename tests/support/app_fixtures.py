"""The database-backed fixtures: the whole bot on SQLite, and on PostgreSQL when 127.0.0.1:5432 answers.

They live here rather than in the root conftest so that unit tests cannot ask for them: only the
integration and e2e conftests import them.
"""

from __future__ import annotations

import pytest

from tests.support.helpers import ChatUser, make_app, pg_schema, postgres_available


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request) -> str:
    if request.param == "postgres":
        ok, reason = postgres_available()
        if not ok:
            pytest.skip(reason)
    return request.param


@pytest.fixture
async def app(backend, tmp_path, clock):
    """The whole bot on a fresh database of each backend."""
    if backend == "postgres":
        async with pg_schema() as schema:
            bot_app = await make_app(backend, tmp_path, clock=clock, schema=schema)
            try:
                yield bot_app
            finally:
                await bot_app.close()
    else:
        bot_app = await make_app(backend, tmp_path, clock=clock)
        try:
            yield bot_app
        finally:
            await bot_app.close()


@pytest.fixture
async def sqlite_app(tmp_path, clock):
    """The bot on SQLite only, for tests where the backend does not matter."""
    bot_app = await make_app("sqlite", tmp_path, clock=clock)
    try:
        yield bot_app
    finally:
        await bot_app.close()


@pytest.fixture
def user(app) -> ChatUser:
    return ChatUser(app)
