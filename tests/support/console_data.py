"""Applications, units and chat users for the console's tests, written straight into the database
(the import path has tests of its own; here only the console's reading and writing matter)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.status.lockout import salt_of
from bot.status.models import Application, StatusHistory
from bot.status.personal import id_tail_hash
from bot.status.service import StatusService
from tests.support.helpers import ChatUser

TAIL = "123X"


async def add_application(bot_app, number: str, state: str = "office_review", level: str = "intermediate",
                          unit: str = "青岛示例科技有限公司", name: str = "张三明", changed: datetime | None = None) -> None:
    """One application with its first history row; ``changed`` sets both state and update times."""
    services = bot_app.services
    moment = changed or services.clock.now()
    async with bot_app.db.session() as session:
        unit_row = await StatusService.of(services).commands.unit(session, unit)
        app = Application(number=number, level=level, unit_id=unit_row.id, applicant_name=name,
                          id_tail_hash=id_tail_hash(salt_of(services), number, TAIL), state=state, state_at=moment,
                          due_date=None, created_at=moment, updated_at=moment)
        session.add(app)
        await session.flush()
        session.add(StatusHistory(application_id=app.id, state=state, at=moment, actor="import", note="",
                                  reason_code=None, recorded_at=moment))


async def add_many(bot_app, count: int, start: datetime | None = None) -> None:
    """``count`` applications SD2024-000000… alternating levels, states and two units, one minute apart."""
    start = start or bot_app.services.clock.now()
    states = ("office_review", "accepted", "under_review")
    levels = ("intermediate", "assistant")
    for i in range(count):
        await add_application(bot_app, f"SD2024-{i:06d}", state=states[i % 3], level=levels[i % 2],
                              unit=("甲单位", "乙单位")[i % 2], changed=start - timedelta(minutes=i))


async def bound_applicant(bot_app, number: str, user_id: str = "2001", channel: str = "telegram") -> ChatUser:
    """A chat user who bound ``number`` with its ID tail, as an applicant does (on Telegram, a push
    channel, so status notices reach them)."""
    user = ChatUser(bot_app, user_id=user_id, channel=channel)
    await user.say(f"/bind {number}")
    await user.say(TAIL)
    assert "绑定成功" in user.text, user.text
    return user
