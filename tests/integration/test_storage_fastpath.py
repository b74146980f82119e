"""The per-update storage path: SQLite in the event loop, driver-level records, lock waits.

``bot.storage.inline_sqlite`` runs SQLite statements in the loop and ``bot.storage.turns`` reads and
writes the user and dialog rows without the ORM; these tests hold them to what the ORM path did.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time

import pytest
from sqlalchemy import select, text

import bot.storage.db as db_module
from bot.storage.db import SERVING_LOCK_WAIT, Database
from bot.storage.models import DialogState, User
from bot.storage.turns import TurnStatements, UserRecord
from tests.support.helpers import ChatUser, make_app


async def _serving_app(tmp_path):
    """An app whose database waits only briefly for another process's lock, as `run` and `web` do."""
    app = await make_app("sqlite", tmp_path)
    url = app.services.db.url
    await app.services.db.dispose()
    app.services.db = Database(url, lock_wait=SERVING_LOCK_WAIT)
    return app


def _hold_write_lock(path: str) -> sqlite3.Connection:
    """Another "process" (its own connection) holding SQLite's write lock."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE users SET language = language")
    return other


async def _max_loop_gap(stop: asyncio.Event) -> float:
    """Largest gap between 5 ms ticks of the event loop until ``stop`` is set."""
    worst, last = 0.0, time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(0.005)
        now = time.perf_counter()
        worst, last = max(worst, now - last), now
    return worst


async def test_a_locked_database_is_waited_out_while_the_loop_keeps_running(tmp_path):
    app = await _serving_app(tmp_path)
    try:
        user = ChatUser(app)
        await user.say("/help")  # creates the user row
        other = _hold_write_lock(str(tmp_path / "bot.db"))
        asyncio.get_running_loop().call_later(0.6, other.commit)
        stop = asyncio.Event()
        ticker = asyncio.create_task(_max_loop_gap(stop))
        started = time.perf_counter()
        replies = await user.say("/help")
        waited = time.perf_counter() - started
        stop.set()
        gap = await ticker
        other.close()
        assert replies and replies[0].text == app.services.texts.get("help.text", **app.services.contact_values())
        assert waited >= 0.5, "the update should have waited for the other writer"
        assert gap < 0.25, f"the event loop stalled for {gap:.3f} s while the database was locked"
    finally:
        await app.close()


async def test_a_lock_that_never_ends_gives_the_storage_message(tmp_path, monkeypatch):
    monkeypatch.setattr(db_module, "LOCKED_GIVE_UP_AFTER", 0.2)
    app = await _serving_app(tmp_path)
    try:
        user = ChatUser(app)
        await user.say("/help")
        other = _hold_write_lock(str(tmp_path / "bot.db"))
        try:
            replies = await user.say("/help")
        finally:
            other.rollback()
            other.close()
        assert [r.text for r in replies] == [app.services.texts.get("errors.storage", **app.services.contact_values())]
        assert "Traceback" not in replies[0].text
        # and once the other writer is gone, the next update goes through
        assert (await user.say("/help"))[0].text.startswith(app.services.texts.get("help.text", **app.services.contact_values())[:10])
    finally:
        await app.close()


async def test_records_read_back_exactly_what_the_orm_sees(app):
    user = ChatUser(app, user_id="77")
    await user.say("/start")
    await user.say("/bind")  # asks for the application number: a dialog step is stored
    async with app.db.engine.connect() as conn, conn.begin():
        loaded = await TurnStatements(conn).load_turn("test", "77")
        record, dialog = loaded.user, loaded.dialog
    async with app.db.session() as session:
        orm = (await session.execute(select(User).where(User.channel == "test", User.external_id == "77"))).scalar_one()
        state = await session.get(DialogState, orm.id)
        assert record == UserRecord(**{name: getattr(orm, name) for name in UserRecord.__slots__})
        assert record.consent_at is not None and record.consent_at.tzinfo is not None
        assert state is not None and dialog is not None
        assert (dialog.dialog, dialog.step, dialog.data, dialog.updated_at) == (state.dialog, state.step, state.data, state.updated_at)


async def test_dialog_data_round_trips_through_the_records(app):
    user = ChatUser(app, user_id="78")
    await user.say("/start")
    async with app.db.engine.connect() as conn, conn.begin():
        turn = TurnStatements(conn)
        record = (await turn.load_turn("test", "78")).user
        data = {"answers": {"level": "intermediate", "years": 5}, "path": ["q1", "q2"], "note": "中文"}
        await turn.save_dialog(record.id, "eligibility", "q3", data, "v1", app.services.clock.now())
        again = await turn.load_dialog(record.id)
        assert again is not None and again.data == data and again.definition_version == "v1"
        assert await turn.delete_dialog(record.id) is True
        assert await turn.load_dialog(record.id) is None


async def test_only_known_user_columns_can_be_updated(app):
    async with app.db.engine.connect() as conn, conn.begin():
        with pytest.raises(ValueError, match="not an updatable user column"):
            await TurnStatements(conn).update_user(1, external_id="someone else")


async def test_a_redelivered_update_is_recorded_once(app):
    async with app.db.engine.connect() as conn, conn.begin():
        turn = TurnStatements(conn)
        now = app.services.clock.now()
        assert await turn.record_update("test", "u-1", now) is True
        assert await turn.record_update("test", "u-1", now) is False
        assert await turn.record_update("other", "u-1", now) is True


async def test_the_user_load_says_whether_the_user_has_notes(app):
    """A note written in one update is seen by the next (the flag comes from the database, so it
    holds across processes); without notes the flag lets a question skip the note lookup."""
    user = ChatUser(app, user_id="79")
    await user.say("/start")
    async with app.db.engine.connect() as conn, conn.begin():
        loaded = await TurnStatements(conn).load_turn("test", "79")
        assert loaded is not None and loaded.has_notes is False
        await conn.execute(
            text("INSERT INTO user_notes (user_id, kind, data, expires_at) VALUES (:u, 'k', '{}', :e)"),
            {"u": loaded.user.id, "e": app.services.clock.now()},
        )
        again = await TurnStatements(conn).load_turn("test", "79")
        assert again is not None and again.has_notes is True and again.user == loaded.user
    async with app.db.engine.connect() as conn, conn.begin():
        assert await TurnStatements(conn).load_turn("test", "no-such-user") is None
