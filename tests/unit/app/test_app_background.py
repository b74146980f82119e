"""``App.background_running``: the one place that starts and stops a channel process's jobs."""

import asyncio

import pytest

from bot.app import App


class ClosingSender:
    channel = "fake"

    def __init__(self) -> None:
        self.closed = False

    async def send(self, chat_id, message, idempotency_key=None):  # noqa: ANN001, ANN201
        return None

    async def close(self) -> None:
        self.closed = True


def _app(jobs) -> App:  # noqa: ANN001
    # the helper touches only ``background``; services and conversation are not needed here
    return App(services=None, conversation=None, background=list(jobs))  # type: ignore[arg-type]


async def test_jobs_run_inside_the_block_and_are_cancelled_and_senders_closed_after_it():
    started, cancelled, seen = asyncio.Event(), asyncio.Event(), []

    async def job(app, senders):  # noqa: ANN001, ANN202
        seen.append((app, senders))
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    extra_ran = asyncio.Event()

    async def extra() -> None:
        extra_ran.set()
        await asyncio.Event().wait()

    app, sender = _app([job]), ClosingSender()
    senders = {"fake": sender}
    async with app.background_running(senders, extra=[extra()]):
        await asyncio.wait_for(started.wait(), 5)
        await asyncio.wait_for(extra_ran.wait(), 5)
        assert not cancelled.is_set() and not sender.closed
    assert cancelled.is_set() and sender.closed
    assert seen == [(app, senders)]


async def test_a_failed_job_does_not_hide_why_the_block_was_left():
    async def broken(app, senders):  # noqa: ANN001, ANN202
        raise RuntimeError("job failed")

    sender = ClosingSender()
    with pytest.raises(KeyError):
        async with _app([broken]).background_running({"fake": sender}):
            await asyncio.sleep(0)
            raise KeyError("the reason for leaving")
    assert sender.closed
