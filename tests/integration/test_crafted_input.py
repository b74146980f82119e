"""Crafted button data and text: a polite answer, at most one log line, never a traceback.

Button data arrives from the client as any string (Telegram passes what the client sends; the web
API takes any JSON string), so every registered callback prefix is fuzzed with payloads built from
what broke before: digits beyond any integer column, superscript digits, lone surrogates.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.helpers import ChatUser, make_app
from tests.support.status_helpers import STAFF_ID, row, sapp, send_file, staff, xlsx_bytes  # noqa: F401

CRAFTED = ["unit:99999999999999999999:0", "unit:2:²", "unit:1:²", "unit:1:99999999999999999999", "unit:\ud800:0",
           "bc:u:99999999999999999999", "bc:u:²", "\ud800", "menu:\ud800", "unit:٣:0"]


def assert_quiet(caplog) -> None:
    """No error-level record and no traceback in the log."""
    for record in caplog.records:
        assert record.levelno < logging.ERROR, record.getMessage()
        assert record.exc_info is None and "Traceback" not in record.getMessage()


@pytest.mark.parametrize("data", CRAFTED)
async def test_crafted_button_data_gets_a_polite_toast(sapp, staff, caplog, data):  # noqa: F811
    await send_file(staff, "s.xlsx", xlsx_bytes([row("SD2024-000001")]))
    caplog.clear()
    caplog.set_level(logging.INFO)
    await staff.press(data)
    assert staff.last and staff.last[0].toast, staff.last
    assert_quiet(caplog)


async def test_a_lone_surrogate_in_text_is_dropped_not_fatal(sapp, staff, caplog):  # noqa: F811
    caplog.set_level(logging.INFO)
    for text in ("你好\ud800", "/status \udfff", "\ud800", "/broadcast_cancel #99999999999999999999"):
        await staff.say(text)
        assert staff.text and "抱歉，系统" not in staff.text, (text, staff.text)
    assert_quiet(caplog)


async def test_an_unexpected_failure_is_one_log_line_without_the_message(sapp, caplog):  # noqa: F811
    async def explode(ctx, args):  # noqa: ANN001, ANN202
        raise ValueError(f"invalid literal: {args!r}")

    sapp.conversation._commands["status"] = explode
    caplog.set_level(logging.INFO)
    user = ChatUser(sapp, "77")
    await user.say("/status 秘密文字")
    assert "抱歉" in user.text
    lines = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(lines) == 1 and lines[0].exc_info is None
    message = lines[0].getMessage()
    assert "ValueError" in message and "秘密" not in message and "\n" not in message


PAYLOAD_PARTS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["99999999999999999999", "²", "\ud800", "-1", "0", "1", "", "٣", "1e9", " 1", "１"]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_callbacks_never_fail(tmp_path, data):
    """Every callback prefix with fuzzed payloads, as staff (the widest set of handlers)."""
    loop = _Loop.get(tmp_path)
    prefix = data.draw(st.sampled_from(sorted(loop.app.conversation._callbacks)))
    parts = data.draw(st.lists(PAYLOAD_PARTS, min_size=0, max_size=3))
    payload = ":".join([prefix, *parts])
    replies = loop.run(loop.staff.press(payload))
    assert replies, payload
    assert all("抱歉，系统" not in (r.text + (r.toast or "")) for r in replies), payload


class _Loop:
    """One event loop and one app for all fuzzed examples (building an app per example is slow)."""

    current: _Loop | None = None

    def __init__(self, tmp_path) -> None:  # noqa: ANN001
        self.loop = asyncio.new_event_loop()
        self.app = self.run(make_app("sqlite", tmp_path, staff_ids=[f"test:{STAFF_ID}"]))
        self.staff = ChatUser(self.app, user_id=STAFF_ID)
        self.run(send_file(self.staff, "s.xlsx", xlsx_bytes([row("SD2024-000001")])))

    @classmethod
    def get(cls, tmp_path) -> _Loop:  # noqa: ANN001
        if cls.current is None:
            cls.current = cls(tmp_path)
        return cls.current

    def run(self, coro):  # noqa: ANN001, ANN201
        return self.loop.run_until_complete(coro)


@pytest.fixture(autouse=True)
def _close_fuzz_loop():
    yield
    if _Loop.current is not None:
        _Loop.current.run(_Loop.current.app.close())
        _Loop.current.loop.close()
        _Loop.current = None
