"""The bind lock: check-and-record is atomic across processes, and who may be locked out by whom.

Concurrency runs on PostgreSQL with two ``App`` instances on one schema (two processes in all but
the address space: separate engines, pools and in-process locks).
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.status.models import BindAttempt, Binding
from tests.helpers import ChatUser, make_app, pg_schema, postgres_available
from tests.status_helpers import STAFF_ID, count, row, send_file, xlsx_bytes

NUMBER = "SD2024-000001"
RIGHT_TAIL = "123X"


@pytest.fixture
def postgres() -> None:
    ok, reason = postgres_available()
    if not ok:
        pytest.skip(reason)


@pytest.fixture
async def two_processes(postgres, tmp_path, clock):
    """Two Apps sharing one PostgreSQL schema (the lock must hold across them)."""
    async with pg_schema() as schema:
        first = await make_app("postgres", tmp_path, clock=clock, schema=schema, staff_ids=[f"test:{STAFF_ID}"], hash_salt="s" * 32)
        second = await make_app("postgres", tmp_path, clock=clock, schema=schema, staff_ids=[f"test:{STAFF_ID}"], hash_salt="s" * 32)
        try:
            staff = ChatUser(first, user_id=STAFF_ID)
            await send_file(staff, "s.xlsx", xlsx_bytes([row(NUMBER, tail=RIGHT_TAIL, state="审核受理")]))
            assert "导入完成" in staff.text, staff.text
            yield first, second
        finally:
            await first.close()
            await second.close()


async def failures(app, **where) -> int:  # noqa: ANN001
    conditions = [BindAttempt.success.is_(False), BindAttempt.kind == "bind"]
    conditions += [getattr(BindAttempt, k) == v for k, v in where.items()]
    return await count(app, BindAttempt, *conditions)


async def test_concurrent_wrong_tails_never_exceed_the_number_limit(two_processes):
    first, second = two_processes
    guessers = [ChatUser(first if i % 2 else second, user_id=f"g{i}") for i in range(40)]
    for guesser in guessers:
        await guesser.say(f"/bind {NUMBER}")
    for _ in range(3):  # several bursts: a race shows up in some of them only
        await asyncio.gather(*(g.say(f"{i % 1000:03d}1") for i, g in enumerate(guessers)))
    assert await failures(first) == 5
    async with first.db.session() as s:
        assert (await s.execute(select(Binding))).first() is None
