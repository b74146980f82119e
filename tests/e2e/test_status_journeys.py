"""申报进度 through Telegram (the Bot API emulator) against the real bot process, for aiogram and PTB.

Staff (``STAFF_IDS``) send an .xlsx/.csv document and get the import report; an applicant binds with
``/bind 申报编号`` and the last four ID characters and sees ``/status``; five wrong codes lock, without
revealing whether a number exists; a staff ``/setstatus`` reaches the bound applicant and the unit's
HR contact (invited with ``python -m bot hr invite`` on the same database) through the outbox worker
that ``python -m bot run`` starts beside the update loop.

Quiet hours are switched off in a copy of the rules, since the test may run at any hour of the day
(status notices are not urgent, so the shipped 22:00–08:00 window would hold them until morning).
Each test uses its own application numbers: the module shares one bot process per framework, and a
bind lock lasts an hour of real time.
"""

from __future__ import annotations

import asyncio
import re
import sys

import pytest
import pytest_asyncio

from tests.e2e.botproc import ROOT
from tests.e2e.conftest import count_rows, start_staff_bot
from tests.support.emulator import TgUser, button_data
from tests.support.status_helpers import csv_bytes, row, xlsx_bytes

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(150)]

STAFF = 79501
UNIT = "青岛西海岸工业互联网有限公司"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot(emulator, framework, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"status-{framework}")
    proc = await start_staff_bot(emulator, framework, tmp, STAFF)
    yield proc
    await proc.stop()


@pytest.fixture
def staff(emulator) -> TgUser:
    return TgUser(emulator, STAFF)


async def send_file(user: TgUser, data: bytes, name: str, mime: str = XLSX) -> dict:
    """The user sends a document; returns the bot's one reply."""
    user.emu.send_document(user.id, data, name, mime)
    (reply,) = await user.replies(1, timeout=20)
    return reply


async def import_rows(staff: TgUser, rows: list[list[str]]) -> str:
    reply = await send_file(staff, xlsx_bytes(rows), "申报状态.xlsx")
    assert "导入完成" in reply["text"], reply["text"]
    return reply["text"]


def applications(bot, number: str) -> int:
    return count_rows(bot.db_path, "SELECT count(*) FROM status_applications WHERE number=?", number)


def bindings(bot, number: str) -> int:
    return count_rows(bot.db_path, "SELECT count(*) FROM status_bindings b JOIN status_applications a "
                      "ON a.id=b.application_id WHERE a.number=?", number)


async def hr_invite(bot, unit: str) -> str:
    """``python -m bot hr invite UNIT`` against the bot's database, as the office would run it."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "hr", "invite", unit, cwd=ROOT, env=bot.env(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode(errors="replace")
    match = re.search(r"/hr (\S+)", out.decode())
    assert match, out.decode()
    return match.group(1)


async def eventually(check, timeout: float = 5.0) -> bool:  # noqa: ANN001
    """Poll ``check()`` (the worker records outcomes in batches, just after the send)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True


def without_times(text: str) -> str:
    """Lock messages name the time the lock lifts; two locks a few seconds apart may differ by a minute."""
    return re.sub(r"\d{1,2}:\d{2}|\d{4}-\d{2}-\d{2}", "T", text)


async def test_staff_imports_a_spreadsheet_and_gets_the_report(bot, staff, tg_user):
    rows = [row("QD2024-1001", "王小红", "1234", unit=UNIT, level="中级", state="评委会办事机构审核"),
            row("QD2024-1002", "李四", "5678", unit=UNIT, level="助理级", state="呈报部门审核")]
    reply = await send_file(staff, xlsx_bytes(rows), "2024年度申报状态.xlsx")
    assert "导入完成" in reply["text"] and "新增2件" in reply["text"]
    assert applications(bot, "QD2024-1001") == 1 and applications(bot, "QD2024-1002") == 1
    reply = await send_file(staff, xlsx_bytes(rows), "2024年度申报状态.xlsx")
    assert "无变化2件" in reply["text"]  # the same file again changes nothing

    bad = [row("QD2024-1003", "赵五", "4321", unit=UNIT, level="中级"), row("QD2024-1004", level="特级")]
    reply = await send_file(staff, csv_bytes(bad, encoding="gbk"), "更新.csv", "text/csv")
    assert "未导入" in reply["text"] and "第3行 申报级别" in reply["text"]
    assert applications(bot, "QD2024-1003") == 0  # one bad row: nothing applied

    reply = await send_file(staff, csv_bytes(bad[:1]), "更新.csv", "text/csv")
    assert "导入完成" in reply["text"] and "新增1件" in reply["text"]

    reply = await send_file(staff, b"\x89PNG\r\n\x1a\n", "photo.xlsx")
    assert "不是有效的 Excel" in reply["text"]

    # an ordinary user may not import
    reply = await send_file(tg_user, xlsx_bytes([row("QD2024-1005", unit=UNIT)]), "mine.xlsx")
    assert "无权限" in reply["text"]
    assert applications(bot, "QD2024-1005") == 0


async def test_applicant_binds_and_sees_the_status(bot, staff, tg_user):
    await import_rows(staff, [row("QD2024-2001", "刘晓明", "204X", unit=UNIT, level="中级", state="评委会办事机构审核")])
    (ask,) = await tg_user.say("/bind QD2024-2001")
    assert "身份证号码的后四位" in ask["text"]
    done, card = await tg_user.say("204x", expect=2)
    assert "绑定成功" in done["text"]
    assert "QD2024-2001" in card["text"] and "刘*明" in card["text"]
    (status,) = await tg_user.say("/status")
    text = status["text"]
    assert "QD2024-2001" in text and "刘*明" in text and "刘晓明" not in text
    assert "当前状态：评委会办事机构审核" in text and "下一步" in text
    assert bindings(bot, "QD2024-2001") == 1


async def test_five_wrong_codes_lock_and_nothing_reveals_whether_the_number_exists(bot, staff, emulator, tg_user):
    number, missing = "QD2024-3001", "QD2024-3999"
    await import_rows(staff, [row(number, "孙大圣", "7777", unit=UNIT)])
    holder = TgUser(emulator, tg_user.id + 500_000)  # the real applicant, mid-way through /bind
    prober = TgUser(emulator, tg_user.id + 600_000)  # tries a number that does not exist
    (ask,) = await holder.say(f"/bind {number}")

    guesses, probes = [], []
    guesses.append((await tg_user.say(f"/bind {number}"))[0]["text"])
    probes.append((await prober.say(f"/bind {missing}"))[0]["text"])
    for attempt in range(5):
        guesses.append((await tg_user.say(f"{attempt}000"))[0]["text"])
        probes.append((await prober.say(f"{attempt}000"))[0]["text"])
    assert guesses[0] == ask["text"]
    assert all("不正确" in text for text in guesses[1:5])
    assert "尝试次数过多" in guesses[5]
    # an existing and a missing number get the very same replies
    assert [without_times(t) for t in guesses] == [without_times(t) for t in probes]

    # the sixth attempt: locked for this chat, even with the right code …
    (again,) = await tg_user.say(f"/bind {number}")
    assert "尝试次数过多" in again["text"]
    # … but a guesser never locks out the real applicant on their own account
    done, _card = await holder.say("7777", expect=2)
    assert "绑定成功" in done["text"]
    assert bindings(bot, number) == 1
    # lookups without binding do not reveal existence either
    (seen,) = await tg_user.say(f"/status {number}")
    (unseen,) = await tg_user.say(f"/status {missing}")
    assert seen["text"] == unseen["text"] and "没有找到该申报，或您无权查看" in seen["text"]
    assert count_rows(bot.db_path, "SELECT count(*) FROM audit_log WHERE action='status.bind.fail'") >= 10


async def test_in_a_group_personal_commands_say_write_privately_and_pushes_stay_private(bot, staff, emulator, tg_user):
    number = "QD2024-5001"
    await import_rows(staff, [row(number, "周小青", "3456", unit=UNIT, level="中级", state="评委会办事机构审核")])
    await tg_user.say(f"/bind {number}")
    await tg_user.say("3456", expect=2)
    group = emulator.add_group(-1009000000000 - tg_user.id)
    seen = 0
    for command in (f"/status {number}", "/status", f"/bind {number}", "/unit", "/privacy"):
        emulator.send_text(tg_user.id, command, chat=group)
        messages = await emulator.wait_for_messages(group, seen + 1, 10)
        seen += 1
        reply = messages[-1]["text"]
        assert "请私聊我" in reply, (command, reply)
        assert number not in reply and "周" not in reply
    emulator.send_text(tg_user.id, "评审费多少钱", chat=group)
    messages = await emulator.wait_for_messages(group, seen + 1, 10)
    assert "请私聊我" not in messages[-1]["text"]  # policy questions are answered in the group
    # the stored chat is still the private one: the state change notice goes there, not to the group
    (done,) = await staff.say(f"/setstatus {number} 申报结束")
    assert "已生成1条通知" in done["text"]
    (notice,) = await tg_user.replies(1, timeout=20)
    assert number in notice["text"]
    assert len(emulator.messages_to(group)) == seen + 1
    assert count_rows(bot.db_path, "SELECT count(*) FROM users WHERE chat_id=?", str(group)) == 0


async def test_a_state_change_reaches_the_applicant_and_the_hr_contact(bot, staff, emulator, tg_user):
    number = "QD2024-4001"
    await import_rows(staff, [row(number, "刘晓明", "204X", unit=UNIT, level="中级", state="评委会办事机构审核")])
    code = await hr_invite(bot, UNIT)
    hr = TgUser(emulator, tg_user.id + 700_000)
    (registered,) = await hr.say(f"/hr {code}")
    assert "登记成功" in registered["text"] and UNIT in registered["text"]
    (used,) = await TgUser(emulator, tg_user.id + 800_000).say(f"/hr {code}")
    assert "邀请码无效、已使用或已过期" in used["text"]  # one-time
    await tg_user.say(f"/bind {number}")
    await tg_user.say("204X", expect=2)

    (done,) = await staff.say(f"/setstatus {number} 申报结束")
    assert "改为“审核受理”" in done["text"] and "已生成2条通知" in done["text"]

    # delivered by the outbox worker running in the bot process
    (notice,) = await tg_user.replies(1, timeout=20)
    assert "您的职称申报有新进展" in notice["text"] and number in notice["text"]
    assert "审核受理" in notice["text"] and "A3" in notice["text"] and "160元" in notice["text"]
    (hr_notice,) = await hr.replies(1, timeout=20)
    assert "刘*明" in hr_notice["text"] and "刘晓明" not in hr_notice["text"] and "/unit" in hr_notice["text"]
    sent = "SELECT count(*) FROM outbox WHERE kind='status' AND state='sent' AND chat_id IN (?, ?)"
    assert await eventually(lambda: count_rows(bot.db_path, sent, str(tg_user.id), str(hr.id)) == 2)

    (status,) = await tg_user.say("/status")
    assert "当前状态：审核受理" in status["text"]
    (listing,) = await hr.say("/unit")
    assert number in listing["text"] and "刘*明" in listing["text"] and "审核受理" in listing["text"]
    assert not button_data(listing) or all(d.startswith("unit:") for d in button_data(listing).values())
    # an illegal transition is refused and notifies nobody
    before = len(tg_user.all_messages()), len(hr.all_messages())
    (refused,) = await staff.say(f"/setstatus {number} 个人填报")
    assert "未修改" in refused["text"] and "审核受理" in refused["text"]
    await asyncio.sleep(1.5)  # three worker polls
    assert (len(tg_user.all_messages()), len(hr.all_messages())) == before


async def test_sigterm_leaves_no_errors_in_the_log(bot):
    assert await bot.stop() == 0
    log = bot.log_path.read_text(errors="replace")
    assert "Traceback" not in log
    assert [line for line in log.splitlines() if " ERROR " in line] == []
