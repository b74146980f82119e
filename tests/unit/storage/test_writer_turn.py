"""WriterTurn: one holder at a time, a free turn granted at once, no wake-up lost to cancellation."""

from __future__ import annotations

import asyncio
import random

import pytest

from bot.storage.writer_turn import WriterTurn

pytestmark = pytest.mark.timeout(30)


async def test_one_holder_at_a_time_and_everyone_gets_a_turn():
    turn = WriterTurn()
    inside = 0
    most = 0
    done = 0
    rng = random.Random(7)

    async def worker() -> None:
        nonlocal inside, most, done
        for _ in range(20):
            async with turn:
                inside += 1
                most = max(most, inside)
                if rng.random() < 0.3:
                    await asyncio.sleep(0)  # some holders yield inside their turn (ORM sessions do)
                inside -= 1
            await asyncio.sleep(0)
        done += 1

    await asyncio.gather(*(worker() for _ in range(50)))
    assert most == 1 and done == 50 and not turn.locked() and turn.waiting() == 0


async def test_a_free_turn_is_granted_at_once_even_with_a_woken_waiter_not_yet_running():
    turn = WriterTurn()
    order: list[str] = []
    await turn.acquire()  # "A" holds across an await

    async def waiter() -> None:
        async with turn:
            order.append("B")

    b = asyncio.create_task(waiter())
    await asyncio.sleep(0)
    assert turn.waiting() == 1
    turn.release()  # wakes B; B has not run yet
    # asyncio.Lock would queue this caller behind B and cost it a loop iteration; the turn is free,
    # so acquiring it completes without suspending at all
    attempt = turn.acquire()
    with pytest.raises(StopIteration):
        attempt.send(None)
    order.append("C")
    turn.release()
    await b
    assert order == ["C", "B"]


async def test_a_woken_waiter_that_finds_the_turn_taken_keeps_its_place_before_later_arrivals():
    turn = WriterTurn()
    order: list[str] = []
    await turn.acquire()

    async def wait_for_turn(name: str) -> None:
        async with turn:
            order.append(name)
            await asyncio.sleep(0)

    b = asyncio.create_task(wait_for_turn("B"))
    await asyncio.sleep(0)
    turn.release()  # B is woken ...
    await turn.acquire()  # ... but the turn is taken again before B runs
    d = asyncio.create_task(wait_for_turn("D"))  # arrives later than B
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    turn.release()
    await asyncio.gather(b, d)
    assert order == ["B", "D"]


async def test_a_cancelled_waiter_leaves_the_queue():
    turn = WriterTurn()
    await turn.acquire()
    b = asyncio.create_task(turn.acquire())
    await asyncio.sleep(0)
    b.cancel()
    with pytest.raises(asyncio.CancelledError):
        await b
    assert turn.waiting() == 0
    turn.release()
    await asyncio.wait_for(turn.acquire(), 1)  # nobody phantom-holds the turn
    turn.release()


async def test_a_waiter_cancelled_after_its_wake_up_passes_the_wake_up_on():
    turn = WriterTurn()
    await turn.acquire()
    b = asyncio.create_task(turn.acquire())
    await asyncio.sleep(0)
    got_it = asyncio.Event()

    async def d_waits() -> None:
        async with turn:
            got_it.set()

    d = asyncio.create_task(d_waits())
    await asyncio.sleep(0)
    assert turn.waiting() == 2
    turn.release()  # wakes B only
    b.cancel()  # B dies before it could take the turn
    with pytest.raises(asyncio.CancelledError):
        await b
    await asyncio.wait_for(got_it.wait(), 1)  # D was woken in B's place
    await d
    assert not turn.locked()


async def test_releasing_a_turn_nobody_holds_is_an_error():
    with pytest.raises(RuntimeError):
        WriterTurn().release()
