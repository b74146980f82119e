"""The unit of work: the one way into the database during an update, and the one list of user columns.

``bot.core.unit_of_work`` is the port, ``bot.storage`` implements it; a handler that opens a second
transaction with ``Database.session()`` gets a clear error instead of waiting forever for the
update's own SQLite writer turn, and the user's statements follow the ``users`` table's columns.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging

import pytest
from sqlalchemy import Column, MetaData, String, Table

from bot.core.conversation import Conversation
from bot.core.feature import Feature
from bot.core.messages import Inbound, Outbound
from bot.core.unit_of_work import DialogRecord, UserRecord
from bot.storage.base import SET_ONCE
from bot.storage.db import SessionInsideUpdate
from bot.storage.models import DialogState, User
from bot.storage.turns import CREATE_USER, LOAD_USER_AND_DIALOG, UPDATABLE_USER_COLUMNS, user_statements
from tests.support.helpers import ChatUser


class _SecondTransaction(Feature):
    """A handler that wrongly opens its own transaction with ``db.session()``."""

    name = "second-transaction"

    def commands(self):  # noqa: ANN201
        return {"nested": self.nested}

    async def nested(self, ctx, _args: str) -> list[Outbound]:  # noqa: ANN001
        async with ctx.services.db.session():
            pass
        return [Outbound(text="opened a second transaction")]


async def test_db_session_inside_an_update_raises_instead_of_deadlocking(app):
    async def work(uow):  # noqa: ANN001, ANN202
        async with app.db.session():
            pass

    with pytest.raises(SessionInsideUpdate, match="ctx.uow.session"):
        await asyncio.wait_for(app.db.run_update("user:test:1", work), timeout=10)
    async with app.db.session() as session:  # after the update the flag is gone again
        assert (await session.get(User, 1)) is None


async def test_a_handler_opening_a_second_transaction_gets_the_error_message(app, caplog):
    conversation = Conversation(app.services, [_SecondTransaction()])
    inbound = Inbound(channel="test", user_id="2001", chat_id="2001", kind="text", text="/nested", update_id="n-1")
    with caplog.at_level(logging.ERROR, logger="bot.core.conversation"):
        replies = await asyncio.wait_for(conversation.handle(inbound), timeout=10)
    assert [r.text for r in replies] == [app.services.t("errors.internal")]
    assert "SessionInsideUpdate" in caplog.text
    # the failed update left nothing behind, and the next one runs normally
    assert (await ChatUser(app, user_id="2001").say("/help"))[0].text.startswith(app.services.t("help.text")[:10])


async def test_the_handler_reads_and_writes_through_ctx_uow_on_the_update_transaction(app):
    user = ChatUser(app, user_id="2002")
    await user.say("/start")
    seen: list[object] = []

    async def work(uow):  # noqa: ANN001, ANN202
        record = (await uow.load_turn("test", "2002")).user
        await uow.update_user(record.id, language="en")
        seen.append(await uow.session.get(User, record.id))
        return record

    record = await app.db.run_update("user:test:2002", work)
    assert isinstance(record, UserRecord) and record.language == "zh"
    assert seen and seen[0].language == "en", "the ORM session sees the statement's write: one transaction"
    async with app.db.session() as session:
        assert (await session.get(User, record.id)).language == "en"


def test_the_user_record_and_the_statements_follow_the_users_table():
    columns = [c.name for c in User.__table__.columns]
    assert [f.name for f in dataclasses.fields(UserRecord)] == columns
    assert all(f"u.{name}" in LOAD_USER_AND_DIALOG for name in columns)
    assert CREATE_USER.endswith("RETURNING " + ", ".join(columns))
    assert set(UPDATABLE_USER_COLUMNS) == {
        c.name for c in User.__table__.columns if not c.primary_key and not c.info.get(SET_ONCE)
    }
    assert {"channel", "external_id", "created_at", "id"}.isdisjoint(UPDATABLE_USER_COLUMNS)


def _users_with(*extra: Column) -> Table:
    """A copy of the ``users`` table with more columns (its own metadata: the real one is untouched)."""
    metadata = MetaData()
    table = Table("users", metadata, *(c._copy() for c in User.__table__.columns), *extra)
    Table("dialog_states", metadata, *(c._copy() for c in DialogState.__table__.columns if not c.foreign_keys))
    return table


def test_a_new_user_column_appears_in_every_statement():
    users = _users_with(Column("nickname", String(32), default="-"), Column("origin", String(8), info={SET_ONCE: True}))
    record = dataclasses.make_dataclass(
        "WiderUserRecord", [(f.name, f.type) for f in dataclasses.fields(UserRecord)] + [("nickname", str), ("origin", str)]
    )
    built = user_statements(users, users.metadata.tables["dialog_states"], record)
    assert built.columns[-2:] == ("nickname", "origin")
    assert "u.nickname" in built.load_with_dialog and "u.origin" in built.load_with_dialog
    insert_columns = built.create.split("(", 1)[1].split(")", 1)[0].split(", ")
    assert {"nickname", "origin"} <= set(insert_columns) and "id" not in insert_columns
    assert ":nickname" in built.create and built.create.endswith(", nickname, origin")
    assert built.defaults["nickname"] == "-" and built.defaults["origin"] is None
    assert "nickname" in built.updatable and "origin" not in built.updatable
    assert built.types["nickname"] is users.c.nickname.type


def test_a_record_that_misses_a_column_stops_start_up():
    users = _users_with(Column("nickname", String(32)))
    with pytest.raises(RuntimeError, match=r"only in the table \['nickname'\]"):
        user_statements(users, users.metadata.tables["dialog_states"], UserRecord)


def test_the_dialog_record_matches_its_table():
    assert [f.name for f in dataclasses.fields(DialogRecord)] == [c.name for c in DialogState.__table__.columns]
