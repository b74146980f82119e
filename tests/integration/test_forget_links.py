"""/forget leaves nothing that links back to the person: every table with a column that refers to a
user (a foreign key to ``users``, or a name like ``*user_id*``, ``chat*``, ``actor*``,
``session_key``, ``created_by``) is checked after /forget. A new table with such a column fails
this test until its /forget handling is written and the table is listed in ``HANDLED``."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from bot.app import import_models
from bot.channels.web import history
from bot.reminders.models import Broadcast
from bot.status.service import StatusService
from bot.storage.base import Base
from bot.storage.models import User
from tests.support.helpers import ChatUser
from tests.support.status_helpers import STAFF_ID, row, sapp, send_file, staff, xlsx_bytes  # noqa: F401

import_models()  # every feature module's tables on Base.metadata

NUMBER = "SD2024-000001"
USER_COLUMN = re.compile(r"user_id|^chat|^actor|^session_key$|^created_by$")

#: table → how /forget treats its user columns (the check below is the same for all)
HANDLED = {
    "users": "row deleted",
    "dialog_states": "row deleted (cascade)",
    "audit_log": "actor_user_id set to NULL, user:<id> in details replaced",
    "outbox": "rows deleted (cascade)",
    "broadcasts": "created_by set to NULL (foreign key)",
    "reminder_log": "rows deleted",
    "reminder_subscriptions": "rows deleted",
    "status_hr_contacts": "rows deleted",
    "status_bindings": "rows deleted",
    "status_invites": "used_by_user_id set to NULL",
    "status_history": "actor user:<id> replaced",
    "status_bind_attempts": "no success rows; failures keyed by a salted hash of the source, expire in 25 h",
    "web_messages": "rows of the session deleted",
    "web_inbox": "rows of the session deleted",
    "web_sessions": "issued ids of the session deleted",
    "user_notes": "rows deleted (cascade)",
}


def user_columns(table) -> list[str]:  # noqa: ANN001
    return [
        c.name for c in table.columns
        if USER_COLUMN.search(c.name) or any(fk.column.table.name == "users" for fk in c.foreign_keys)
    ]


def test_every_table_with_a_user_column_is_handled_by_forget():
    tables = {t.name: user_columns(t) for t in Base.metadata.sorted_tables}
    unhandled = sorted(name for name, cols in tables.items() if cols and name not in HANDLED)
    assert not unhandled, f"/forget does not handle {unhandled}: delete or anonymise, then list them in HANDLED"


def mentions(value: Any, user: User) -> bool:
    """Whether a stored value points at the user: their row id, external id or chat id."""
    if value is None:
        return False
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value == user.id
    text = str(value)
    ids = {user.external_id, user.chat_id, f"user:{user.id}", f"{user.channel}:{user.chat_id}"}
    return any(text == i or (len(i) > 3 and i in text) for i in ids)


async def test_forget_leaves_no_link_in_any_table(sapp, staff):  # noqa: F811
    await send_file(staff, "s.xlsx", xlsx_bytes([row(NUMBER, tail="123X", state="审核受理")]))
    person = ChatUser(sapp, user_id="2024071401")
    await person.say(f"/bind {NUMBER}")
    await person.say("0001")
    await person.say("123X")
    assert "绑定成功" in person.text
    async with sapp.db.session() as s:
        code, _, _ = await StatusService.of(sapp.services).commands.create_invite(s, "青岛示例科技有限公司")
    await person.say(f"/hr {code}")
    assert "登记成功" in person.text
    await person.say("/subscribe")
    await staff.say(f"/setstatus {NUMBER} 纸质材料已送达")  # a notice for the person in the outbox
    web = ChatUser(sapp, user_id="w" + "5" * 32, channel="web")
    await web.say("/bind")
    async with sapp.db.session() as s:
        people = {u.external_id: u for u in (await s.execute(select(User))).scalars()}
        history.add(s, web.user_id, "user", {"text": "你好", "buttons": []}, sapp.services.clock.now())
        s.add(Broadcast(text="x", segment={"kind": "all"}, segment_label="全部", state="done",
                        created_by=people[STAFF_ID].id, created_at=sapp.services.clock.now()))
    forgotten = [people[person.user_id], people[STAFF_ID], people[web.user_id]]
    for who in (person, staff, web):
        await who.say("/forget")
        await who.press("forget:yes")
        assert "删除" in who.text, who.text

    links: list[str] = []
    async with sapp.db.session() as s:
        for table in Base.metadata.sorted_tables:
            columns = user_columns(table)
            if not columns:
                continue
            for record in (await s.execute(select(table))).mappings():
                for name in [*columns, "detail"] if "detail" in table.columns else columns:
                    for user in forgotten:
                        value = record[name]
                        # in a JSON detail only strings can name a user (numbers there are counts)
                        values = [v for v in value.values() if isinstance(v, str)] if isinstance(value, dict) else [value]
                        if any(mentions(v, user) for v in values):
                            links.append(f"{table.name}.{name}={value!r} → {user.channel}:{user.external_id}")
    assert not links, "\n".join(links)
