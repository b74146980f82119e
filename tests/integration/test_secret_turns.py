"""A user's turn at a secret step (the ID tail after /bind, an invite code) is never stored in clear
and never reaches the knowledge base, also after a lock."""

from __future__ import annotations

from bot.knowledge.feedback import top_gaps
from bot.knowledge.models import UnansweredQuestion
from bot.status.lockout import SOURCE_FAILURES
from tests.support.helpers import ChatUser
from tests.support.status_helpers import count, row, sapp, send_file, staff, xlsx_bytes  # noqa: F401

NUMBER = "SD2024-000001"
RIGHT_TAIL = "123X"


async def seeded(staff_user: ChatUser) -> None:
    await send_file(staff_user, "s.xlsx", xlsx_bytes([row(NUMBER, tail=RIGHT_TAIL, state="审核受理")]))
    assert "导入完成" in staff_user.text


def masks(user: ChatUser) -> set[str | None]:
    return {r.input_mask for r in user.last}


async def test_replies_to_the_tail_carry_a_mask_and_questions_do_not(sapp, staff):  # noqa: F811
    await seeded(staff)
    user = ChatUser(sapp, user_id="31")
    await user.say(f"/bind {NUMBER}")
    assert masks(user) == {None}  # the number itself is no secret
    await user.say("0001")
    assert "未能绑定" in user.text and masks(user) == {"****"}
    await user.say("12")  # a mistyped tail is masked too
    assert masks(user) == {"****"}
    await user.say(RIGHT_TAIL)
    assert "绑定成功" in user.text and masks(user) == {"****"}
    await user.say("评审费多少钱")
    assert masks(user) == {None}


async def test_one_line_bind_binds_and_masks_the_tail(sapp, staff):  # noqa: F811
    await seeded(staff)
    user = ChatUser(sapp, user_id="32")
    await user.say(f"/bind {NUMBER} {RIGHT_TAIL}")
    assert "绑定成功" in user.text
    assert masks(user) == {f"/bind {NUMBER} ****"}
    other = ChatUser(sapp, user_id="33")
    await other.say("/bind")
    await other.say(f"{NUMBER} {RIGHT_TAIL}")  # number and tail at the number step
    assert "绑定成功" in other.text and masks(other) == {f"{NUMBER} ****"}


async def test_after_a_lock_the_tail_never_reaches_the_knowledge_base(sapp, staff):  # noqa: F811
    await seeded(staff)
    user = ChatUser(sapp, user_id="34")
    for i in range(SOURCE_FAILURES):
        await user.say(f"/bind {NUMBER}")
        await user.say(f"{i:03d}1")
    assert "尝试次数过多" in user.text
    await user.say(RIGHT_TAIL)  # typed again after the lock message
    assert "尝试次数过多" in user.text and masks(user) == {"****"}
    await user.say(f"/bind {NUMBER}")
    assert "尝试次数过多" in user.text
    await user.say(RIGHT_TAIL)
    assert "尝试次数过多" in user.text and masks(user) == {"****"}
    await user.say("12 3X")
    assert masks(user) == {"****"}
    assert await count(sapp, UnansweredQuestion) == 0
    # a question after the lock message is answered as usual
    await user.say("评审费多少钱")
    assert "尝试次数过多" not in user.text and masks(user) == {None}
    # a bare tail outside any dialog is not kept for kb gaps either
    await user.say("4567")
    await user.say("0123 X")
    async with sapp.db.session() as s:
        gaps, _ = await top_gaps(s)
    assert not [g for g in gaps if any(ch.isdigit() for ch in g.text)]


async def test_invite_codes_are_masked(sapp, staff):  # noqa: F811
    user = ChatUser(sapp, user_id="35")
    await user.say("/hr WRONGCODE1")
    assert masks(user) == {"/hr ****"}
    await user.say("ANOTHERONE")
    assert masks(user) == {"****"}


async def test_an_invite_code_typed_after_the_hr_lock_stays_out_of_the_knowledge_base(sapp, staff):  # noqa: F811
    user = ChatUser(sapp, user_id="36")
    for i in range(SOURCE_FAILURES + 1):
        await user.say(f"/hr WRONG{i:05d}")
    assert "尝试次数过多" in user.text
    await user.say("ABCD-EF23GH")
    assert "尝试次数过多" in user.text and masks(user) == {"****"}
    await user.say("评审费多少钱")
    assert "尝试次数过多" not in user.text and masks(user) == {None}
    async with sapp.db.session() as s:
        gaps, _ = await top_gaps(s)
    assert not [g for g in gaps if "ABCD" in g.text.upper()]
