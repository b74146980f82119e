"""Staff broadcast end to end: the real bot process (``python -m bot run``, aiogram) against the Bot
API emulator, with its background outbox worker and broadcast monitor delivering the pushes.

Quiet hours are switched off in a copy of the rules (the test may run at any hour of the day);
everything else — pacing, leases, the monitor — runs with the shipped configuration.
"""

from __future__ import annotations

import pytest
import pytest_asyncio

from tests.e2e.conftest import count_rows, start_staff_bot
from tests.support.emulator import TgUser, button_data

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(180)]

STAFF = 79001
TEXT = "【通知】办事大厅周五下午暂停服务，急事请致电。"


@pytest.fixture(scope="module")
def framework() -> str:
    """One framework is enough here: delivery does not go through the framework at all."""
    return "aiogram"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot(emulator, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bot-reminders")
    proc = await start_staff_bot(emulator, "aiogram", tmp, STAFF)
    yield proc
    await proc.stop()


async def test_staff_broadcast_with_preview_and_confirm_reaches_its_segment_with_a_report(bot, emulator):
    recipients = [TgUser(emulator, uid) for uid in (79101, 79102, 79103)]
    blocked = TgUser(emulator, 79104)
    for user in [*recipients, blocked]:
        await user.say("/start", expect=2)
    emulator.faults.block(blocked.id)

    ordinary = TgUser(emulator, 79105)
    await ordinary.say("/start", expect=2)
    (refused,) = await ordinary.say("/broadcast")
    assert "无权限" in refused["text"]

    staff = TgUser(emulator, STAFF)
    await staff.say("/start", expect=2)
    (choose,) = await staff.say("/broadcast")
    assert list(button_data(choose)) == ["全部用户", "已绑定申报的申报人", "单位职称工作负责人", "按申报级别", "按申报状态", "按单位"]
    await staff.press(choose, button_data(choose)["全部用户"])
    (ask,) = await staff.replies(1)
    assert "目前 6 人" in ask["text"]  # 3 recipients, the blocked one (not yet known), the refused user, staff
    (preview,) = await staff.say(TEXT)
    assert "收件人数：6 人" in preview["text"] and TEXT in preview["text"]
    await staff.press(preview, button_data(preview)["确认发送"])

    def report() -> dict | None:
        return next((m for m in emulator.messages_to(STAFF) if "已完成" in (m.get("text") or "")), None)

    final = await emulator.wait_for(report, timeout=60)
    assert "共 6 人：已发送 5，已屏蔽机器人 1，失败 0，已取消 0" in final["text"]
    for user in [*recipients, ordinary, staff]:
        assert [m["text"] for m in user.all_messages()].count(TEXT) == 1
    assert all(m.get("text") != TEXT for m in blocked.all_messages())
    # the preview was edited into the confirmation; the progress message was edited up to 100 %
    texts = [m.get("text") or "" for m in emulator.messages_to(STAFF)]
    assert any("群发 #1 已开始，共 6 人" in t for t in texts)
    assert any("进度：100%" in t for t in texts)
    assert count_rows(bot.db_path, "SELECT count(*) FROM users WHERE external_id=? AND blocked=1", str(blocked.id)) == 1
    assert count_rows(bot.db_path, "SELECT count(*) FROM broadcasts WHERE state='done' AND sent=5 AND blocked=1") == 1

    staff._seen = len(staff.all_messages())  # skip the pushes read above
    (history,) = await staff.say("/broadcasts")
    assert "#1" in history["text"] and "已完成" in history["text"]
