"""The outbox worker's global rate limiter: even spacing, bounded catch-up, never over the rate."""

from __future__ import annotations

import asyncio
import time

from bot.outbox.pacing import GlobalLimiter


def test_global_limiter_spacing_bounded_catch_up_and_no_idle_burst():
    now = [100.0]
    limiter = GlobalLimiter(100, now=lambda: now[0], slack=0.05)  # 10 ms apart, ≤ 50 ms catch-up
    assert limiter.reserve() == 0 and abs(limiter.reserve() - 0.01) < 1e-9  # no burst from idle
    now[0] += 0.02
    limiter.reserve()
    now[0] += 0.5  # the event loop stalled for half a second while busy
    immediate = 0
    while limiter.reserve() == 0:
        immediate += 1
    assert immediate <= 6  # only ~slack worth of missed slots is caught up, not 50
    now[0] += 10  # idle for a while: the next grant is not a catch-up burst
    assert limiter.reserve() == 0 and limiter.reserve() > 0


async def test_global_limiter_never_grants_more_than_rate_in_one_second():
    limiter = GlobalLimiter(50, slack=0.5)  # a generous catch-up, to show the window still holds
    loop = asyncio.get_running_loop()
    stamps = []
    for i in range(80):
        if i == 20:
            time.sleep(0.3)  # a stall: up to 0.3 s of slots may be caught up at once
        await limiter.acquire()
        stamps.append(loop.time())
    worst = max(sum(1 for t in stamps if s <= t < s + 1.0) for s in stamps)
    assert worst <= 52  # the rate, give or take the event loop's timing jitter (no window: ~65)
    assert stamps[-1] - stamps[0] >= 79 / 50 - 0.3 - 0.05  # and the stall was only partly caught up
