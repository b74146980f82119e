"""The webhook receiver both Telegram adapters use: secret check, what it hands on, what it logs."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from bot.channels.telegram_webhook import REJECTED_LOG_INTERVAL, SECRET_HEADER, WebhookServer

UPDATE = {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "/help"}}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_flood_of_wrong_secrets_is_refused_and_logged_once_per_interval(caplog):
    received, clock = [], Clock()

    async def on_update(update):
        received.append(update)

    server = WebhookServer("/tg/hook", "right_secret", on_update, clock=clock)
    with caplog.at_level("WARNING", logger="bot.channels.telegram_webhook"):
        async with TestClient(TestServer(server.application())) as client:
            for i in range(200):
                resp = await client.post("/tg/hook", json=UPDATE, headers={SECRET_HEADER: f"guess{i}"})
                assert resp.status == 403
            resp = await client.post("/tg/hook", json=UPDATE)  # no header at all
            assert resp.status == 403
            lines = [r.getMessage() for r in caplog.records]
            assert lines == ["webhook: 1 request(s) with a wrong or missing secret token rejected"]
            clock.now += REJECTED_LOG_INTERVAL
            await client.post("/tg/hook", json=UPDATE, headers={SECRET_HEADER: "again"})
            assert [r.getMessage() for r in caplog.records][1:] == [
                "webhook: 201 request(s) with a wrong or missing secret token rejected"]
            resp = await client.post("/tg/hook", json=UPDATE, headers={SECRET_HEADER: "right_secret"})
            assert resp.status == 200
        await server.stop()
    assert received == [UPDATE] and server.rejected == 202
    assert len(caplog.records) == 2  # nothing left to report at stop: every refusal was counted


async def test_refusals_after_the_last_line_are_reported_when_the_receiver_stops(caplog):
    clock = Clock()

    async def on_update(update):
        raise AssertionError("a refused request must not be handed on")

    server = WebhookServer("/tg/hook", "right_secret", on_update, clock=clock)
    with caplog.at_level("WARNING", logger="bot.channels.telegram_webhook"):
        async with TestClient(TestServer(server.application())) as client:
            for _ in range(3):
                await client.post("/tg/hook", json=UPDATE, headers={SECRET_HEADER: "x"})
        await server.stop()
    assert [r.getMessage() for r in caplog.records] == [
        "webhook: 1 request(s) with a wrong or missing secret token rejected",
        "webhook: 2 request(s) with a wrong or missing secret token rejected"]
