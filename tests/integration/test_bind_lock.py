"""The bind lock: check-and-record is atomic across processes, and who may be locked out by whom.

Concurrency runs on PostgreSQL with two ``App`` instances on one schema (two processes in all but
the address space: separate engines, pools and in-process locks).
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.status.lockout import SOURCE_FAILURES, TARGET_ALERT
from bot.status.models import BindAttempt, Binding
from tests.support.helpers import ChatUser, make_app, pg_schema, postgres_available
from tests.support.status_helpers import STAFF_ID, count, row, rows_of, sapp, send_file, staff, xlsx_bytes  # noqa: F401

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


def web_visitor(app, i: int, address: str) -> ChatUser:  # noqa: ANN001
    """A browser with its own cookie (session key) at a client address."""
    visitor = ChatUser(app, user_id=f"w{i:032x}", channel="web")
    original = visitor._inbound
    visitor._inbound = lambda **fields: original(client_address=address, **fields)  # type: ignore[method-assign]
    return visitor


async def test_concurrent_wrong_tails_never_exceed_the_limit_and_the_right_tail_binds(two_processes):
    first, second = two_processes
    guessers = [web_visitor(first if i % 2 else second, i, "203.0.113.7") for i in range(40)]
    for guesser in guessers:
        await guesser.say(f"/bind {NUMBER}")
    owner = web_visitor(second, 999, "198.51.100.20")
    await owner.say(f"/bind {NUMBER}")
    burst = [g.say(f"{i % 1000:03d}1") for i, g in enumerate(guessers)]
    burst.insert(20, owner.say(RIGHT_TAIL))
    await asyncio.gather(*burst)
    assert "绑定成功" in owner.text
    assert await failures(first) == SOURCE_FAILURES  # forty cookies, one address: five failures
    for _ in range(2):  # later bursts from the locked address record nothing
        await asyncio.gather(*(g.say(f"/bind {NUMBER}") for g in guessers))
        await asyncio.gather(*(g.say("0001") for g in guessers))
    assert await failures(first) == SOURCE_FAILURES
    async with first.db.session() as s:
        assert len((await s.execute(select(Binding))).all()) == 1


async def test_concurrent_guessers_from_many_sources_are_held_at_the_target_alert(two_processes):
    """Once a number has TARGET_ALERT failures, a source that failed on it gets no second try;
    concurrent second tries must not all slip past the count."""
    first, second = two_processes
    guessers = [web_visitor(first if i % 2 else second, i, f"203.0.113.{i + 1}") for i in range(TARGET_ALERT - 1)]
    for guesser in guessers:
        await guesser.say(f"/bind {NUMBER}")
        await guesser.say("0001")
    assert await failures(first) == TARGET_ALERT - 1
    for guesser in guessers:
        await guesser.say(f"/bind {NUMBER}")
    await asyncio.gather(*(g.say("0002") for g in guessers))
    assert await failures(first) == TARGET_ALERT  # one second try reached the alert; the rest wait
    owner = web_visitor(first, 999, "198.51.100.20")
    await owner.say(f"/bind {NUMBER}")
    await owner.say(RIGHT_TAIL)
    assert "绑定成功" in owner.text


# ---- the policy, on both backends -----------------------------------------------------------------
async def guess(visitor: ChatUser, tail: str = "0001", number: str = NUMBER) -> str:
    await visitor.say(f"/bind {number}")
    if "尝试次数过多" in visitor.text:
        return visitor.text
    await visitor.say(tail)
    return visitor.text


async def seeded(staff: ChatUser) -> None:  # noqa: F811
    await send_file(staff, "s.xlsx", xlsx_bytes([row(NUMBER, tail=RIGHT_TAIL, state="审核受理"), row("SD2024-000002", tail="4567")]))
    assert "导入完成" in staff.text


async def test_new_cookies_from_one_address_share_one_count(sapp, staff, clock):  # noqa: F811
    await seeded(staff)
    for i in range(SOURCE_FAILURES):
        reply = await guess(web_visitor(sapp, i, "203.0.113.7"), f"{i:03d}1")
        assert ("尝试次数过多" if i == SOURCE_FAILURES - 1 else "未能绑定") in reply  # the fifth failure locks
    fresh_cookie = web_visitor(sapp, 77, "203.0.113.7")
    assert "尝试次数过多" in await guess(fresh_cookie, RIGHT_TAIL)
    assert "尝试次数过多" in await guess(fresh_cookie, "4567", "SD2024-000002")  # any number
    ipv6 = [web_visitor(sapp, 100 + i, f"2001:db8:1:2::{i + 1:x}") for i in range(SOURCE_FAILURES + 1)]
    for visitor in ipv6[:-1]:
        await guess(visitor, "0001", "SD2024-000002")
    assert "尝试次数过多" in await guess(ipv6[-1], "4567", "SD2024-000002")  # one /64 is one source
    owner = web_visitor(sapp, 500, "198.51.100.20")  # another address: not affected
    assert "绑定成功" in await guess(owner, RIGHT_TAIL)
    clock.advance(minutes=61)
    assert "绑定成功" in await guess(fresh_cookie, RIGHT_TAIL)


async def test_a_telegram_account_is_one_source_in_any_chat(sapp, staff):  # noqa: F811
    await seeded(staff)
    for i in range(SOURCE_FAILURES):
        account = ChatUser(sapp, user_id="4242", channel="telegram")
        account._inbound = lambda _c=f"-100{i}", _o=account._inbound, **f: _o(**({"chat_id": _c} | f))  # type: ignore[method-assign]
        await guess(account, f"{i:03d}1")
    again = ChatUser(sapp, user_id="4242", channel="telegram")
    assert "尝试次数过多" in await guess(again, RIGHT_TAIL)
    assert "绑定成功" in await guess(ChatUser(sapp, user_id="4343", channel="telegram"), RIGHT_TAIL)


async def test_many_guessers_never_lock_out_the_applicant(sapp, staff, clock):  # noqa: F811
    await seeded(staff)
    guessers = [ChatUser(sapp, user_id=f"66{i:02d}", channel="telegram") for i in range(3 * TARGET_ALERT)]
    for i, guesser in enumerate(guessers):
        await guess(guesser, f"{i:03d}1")
    assert await failures(sapp) == 3 * TARGET_ALERT
    # each guesser that already failed on the number waits a day for its next try on it
    assert "尝试次数过多" in await guess(guessers[0], "9991")
    assert await failures(sapp) == 3 * TARGET_ALERT
    applicant = ChatUser(sapp, user_id="5151", channel="telegram")
    assert "绑定成功" in await guess(applicant, RIGHT_TAIL)
    # below the alert a guesser's own earlier failure does not hold it off
    other = ChatUser(sapp, user_id="5252", channel="telegram")
    assert "未能绑定" in await guess(other, "0002", "SD2024-000002")
    assert "绑定成功" in await guess(other, "4567", "SD2024-000002")
    clock.advance(hours=24, minutes=1)
    assert "绑定成功" in await guess(guessers[0], RIGHT_TAIL)


async def test_attempt_rows_hold_no_chat_key_in_clear_and_expire(sapp, staff, clock):  # noqa: F811
    await seeded(staff)
    await guess(ChatUser(sapp, user_id="4242", channel="telegram"))
    await guess(web_visitor(sapp, 1, "203.0.113.7"))
    rows = await rows_of(sapp, BindAttempt)
    assert len(rows) == 2 and all(r.chat_key.startswith("h:") for r in rows)
    assert not any("4242" in r.chat_key or "203.0.113" in r.chat_key for r in rows)
    clock.advance(hours=26)
    await guess(ChatUser(sapp, user_id="4343", channel="telegram"))
    assert len(await rows_of(sapp, BindAttempt)) == 1
