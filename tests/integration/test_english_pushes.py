"""Pushes in each recipient's language (``users.language``): reminders, status notices and staff
broadcasts, with English and Chinese recipients in the same run, through the core and the scheduler."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from bot.outbox.models import OutboxMessage
from bot.reminders.models import Broadcast
from bot.storage.db import Database
from bot.storage.models import User
from tests.integration.test_reminders_scheduler import World, at, outbox, scheduler
from tests.support.helpers import ChatUser
from tests.support.status_helpers import row, rows_of, sapp, send_file, staff, xlsx_bytes  # noqa: F401

#: Chinese sentence punctuation: an English message may quote Chinese names, never Chinese sentences
CHINESE_SENTENCE = re.compile(r"[，。；：？！您]")


def english(text: str) -> bool:
    return not CHINESE_SENTENCE.search(text) and re.search(r"\b(the|and|of|your)\b", text) is not None


async def set_language(app, users: list[User], lang: str) -> None:
    async with app.db.session() as s:
        await s.execute(update(User).where(User.id.in_([u.id for u in users])).values(language=lang))


def text_to(rows: list[OutboxMessage], user: User) -> str:
    (found,) = [r.payload["text"] for r in rows if r.chat_id == user.chat_id]
    return found


# ---- reminders -------------------------------------------------------------------------------------
async def test_deadline_reminder_goes_out_in_english_and_chinese_in_one_tick(app, clock):
    clock.set(at(2024, 8, 16, 9, 0))  # T-14 of the 2024 online deadline
    world = await World(app).build()
    await set_language(app, [world.subscriber], "en")
    report = await scheduler(app).tick()
    rows = await outbox(app, "online_deadline")
    assert report.queued == 2 and world.chats(rows) == ["hr", "subscriber"]
    en, zh = text_to(rows, world.subscriber), text_to(rows, world.hr)
    assert "close on 30 August 2024 (14 day(s) left)" in en and app.services.office.phone in en
    assert "山东省专业技术人员管理服务平台 (the Shandong professional" in en and english(en)
    assert "2024年8月30日" in zh and "还有14天" in zh and "August" not in zh


async def test_paper_form_reminder_names_level_and_due_date_in_the_readers_language(app, clock):
    clock.set(at(2024, 7, 1, 10, 0))
    world = await World(app).build(state="accepted", entered=at(2024, 7, 1, 10, 0))
    await set_language(app, [world.applicant], "en")
    clock.set(at(2024, 7, 2, 9, 0))  # day 1 after acceptance
    await scheduler(app).tick()
    rows = await outbox(app, "paper_form")
    assert world.chats(rows) == ["applicant", "hr"]
    en, zh = text_to(rows, world.applicant), text_to(rows, world.hr)
    assert "[Paper form] Application SD2024-000123 (intermediate level) has been accepted" in en
    assert "By 8 July 2024" in en and app.services.office.address in en and english(en.replace(app.services.office.address, ""))
    assert "（中级）已审核受理" in zh and "2024年7月8日" in zh


# ---- status notices and cards ----------------------------------------------------------------------
async def test_bind_status_card_and_notices_in_each_users_language(sapp, staff, clock):  # noqa: F811
    await send_file(staff, "s.xlsx", xlsx_bytes([row("SD2024-000201", "张三明", "123X", state="审核受理"),
                                                row("SD2024-000202", "李四光", "456X", level="助理级", state="审核受理")]))
    assert "导入完成" in staff.text
    foreign = ChatUser(sapp, user_id="501", channel="telegram")
    await foreign.say("/start", language="en")
    await foreign.say("/bind SD2024-000201")
    assert "last four characters" in foreign.text
    await foreign.say("123x")
    card = foreign.text
    assert "Linked!" in card and "Application SD2024-000201 (张*明, intermediate level" in card
    assert "Current status: Accepted (since 1 July 2024, 09:00)" in card
    assert "Next step: Generate and print 《山东省专业技术职称评审表》 (the Shandong professional title review form)" in card
    assert "review fee of 160 yuan" in card and "Due by: 8 July 2024" in card
    assert english(card.replace(sapp.services.office.address, "").replace("青岛示例科技有限公司", ""))

    local = ChatUser(sapp, user_id="502", channel="web")
    await local.say("/start", language="zh")
    await local.say("/bind SD2024-000202")
    await local.say("456X")
    assert "当前状态：审核受理" in local.text and "100元" in local.text and "Accepted" not in local.text

    await staff.say("/setstatus SD2024-000201 纸质材料已送达")
    await staff.say("/setstatus SD2024-000202 纸质材料已送达")
    assert "1条通知" in staff.text
    rows = await rows_of(sapp, OutboxMessage, OutboxMessage.kind == "status")
    by_chat = {r.chat_id: r.payload["text"] for r in rows}
    en, zh = by_chat["501"], by_chat["502"]
    assert "There is news about your title application." in en and "Application SD2024-000201: Paper form received" in en
    assert "If the review fee (160 yuan) is not paid yet" in en and "/status" in en and english(en)
    assert "您的职称申报有新进展" in zh and "纸质材料已送达" in zh and "100元" in zh and "Paper" not in zh

    await foreign.say("/status")
    assert "Current status: Paper form received" in foreign.text and "History:" in foreign.text


async def test_english_hr_contact_sees_the_unit_list_and_notice_in_english(sapp, staff):  # noqa: F811
    from bot.status.service import StatusService

    await send_file(staff, "s.xlsx", xlsx_bytes([row("SD2024-000301", "王五六", "789X", state="评委会办事机构审核")]))
    async with sapp.db.session() as session:
        code, _, _ = await StatusService.of(sapp.services).commands.create_invite(session, "青岛示例科技有限公司")
    hr = ChatUser(sapp, user_id="601", channel="telegram")
    await hr.say("/start", language="en")
    await hr.say(f"/hr {code}")
    assert "Registered!" in hr.text
    await staff.say("/setstatus SD2024-000301 退回补正 缺少学历证书，请于2024年7月10日前重新提报")
    (notice,) = await rows_of(sapp, OutboxMessage, OutboxMessage.kind == "status")
    text = notice.payload["text"]
    assert "There is news about the application of 王*六 from your unit (application SD2024-000301): Returned for completion" in text
    assert "The applicant completes or supplements the materials" in text and "resubmits by 10 July 2024" in text
    assert "Please remind the applicant" in text and "Due by: 10 July 2024" in text and "Note: 缺少学历证书" in text
    await hr.say("/unit")
    assert "Returned for completion (1 July 2024)" in hr.text and "SD2024-000301" in hr.text


# ---- broadcasts -------------------------------------------------------------------------------------
async def readers(app) -> tuple[ChatUser, ChatUser]:
    en, zh = ChatUser(app, user_id="701", channel="telegram"), ChatUser(app, user_id="702", channel="telegram")
    await en.say("/start", language="en")
    await zh.say("/start", language="zh")
    return en, zh


async def broadcast_rows(app) -> dict[str, str]:
    rows = await rows_of(app, OutboxMessage, OutboxMessage.kind == "broadcast")
    return {r.chat_id: r.payload["text"] for r in rows}


async def test_broadcast_with_an_english_version(sapp, staff):  # noqa: F811
    await readers(sapp)
    await staff.say("/broadcast")
    await staff.press_label("全部用户")
    await staff.say("【通知】周五下午暂停服务。")
    assert "收件人中有 1 人使用英文" in staff.text and staff.button_labels == ["不写英文版"]
    await staff.say("Notice: the service hall is closed on Friday afternoon.")
    preview = staff.text
    assert "收件人数：2 人" in preview and "其中使用中文 1 人，使用英文 1 人" in preview
    assert "英文版：\nNotice: the service hall is closed on Friday afternoon." in preview
    await staff.press_label("确认发送")
    sent = await broadcast_rows(sapp)
    assert sent["701"] == "Notice: the service hall is closed on Friday afternoon."
    assert sent["702"] == "【通知】周五下午暂停服务。" and len(sent) == 2
    async with sapp.db.session() as s:
        stored = (await s.execute(select(Broadcast))).scalar_one()
    assert stored.text_en == "Notice: the service hall is closed on Friday afternoon." and stored.total == 2


async def test_broadcast_without_an_english_version_puts_a_note_on_top(sapp, staff):  # noqa: F811
    await readers(sapp)
    await staff.say("/broadcast")
    await staff.press_label("全部用户")
    await staff.say("【通知】周五下午暂停服务。")
    await staff.press_label("不写英文版")
    assert "没有英文版：英文用户会收到中文原文" in staff.text and "其中使用中文 1 人，使用英文 1 人" in staff.text
    await staff.press_label("确认发送")
    sent = await broadcast_rows(sapp)
    assert sent["701"] == ("Notice from the committee office, in Chinese only (no English version was provided):\n"
                           "【通知】周五下午暂停服务。")
    assert sent["702"] == "【通知】周五下午暂停服务。"


async def test_no_english_step_when_nobody_reads_english(sapp, staff):  # noqa: F811
    await ChatUser(sapp, user_id="801", channel="telegram").say("/start", language="zh")
    await staff.say("/broadcast")
    await staff.press_label("全部用户")
    await staff.say("【通知】周五下午暂停服务。")
    assert "群发预览" in staff.text and "其中使用中文 1 人，使用英文 0 人" in staff.text
    assert "英文版" not in staff.text and staff.button_labels == ["确认发送", "取消"]


async def test_english_and_chinese_deadline_reminders_are_delivered_through_the_emulator(sqlite_app, clock):
    """The scheduler and the outbox worker in-process (a fake clock puts us inside the 2024 cycle),
    the Bot API emulator as Telegram: each chat receives its own language."""
    from bot.channels.telegram_sender import TelegramHttpSender
    from bot.outbox.config import DeliveryConfig
    from bot.outbox.worker import OutboxWorker
    from tests.support.emulator import BotApiEmulator
    from tests.support.outbox_fakes import make_users

    token = "123456:EN-DATA"
    emu = BotApiEmulator(token=token)
    url = await emu.start()
    sender = TelegramHttpSender(token, api_url=url)
    try:
        clock.set(at(2024, 8, 29, 9, 0))  # T-1 of the online deadline
        en_user, zh_user = await make_users(sqlite_app, 2, start=8801)
        await set_language(sqlite_app, [en_user], "en")
        rules = scheduler(sqlite_app).rules
        from bot.reminders.audience import Subscriptions

        async with sqlite_app.db.session() as s:
            for user in (en_user, zh_user):
                await Subscriptions(rules).set(s, user, "deadline", True, clock.now())
        await scheduler(sqlite_app).tick()
        worker = OutboxWorker(sqlite_app.db, {"telegram": sender}, clock,
                              DeliveryConfig(global_rate=100, per_chat_interval=0, quiet_hours=None))
        await worker.drain()
        (en,) = emu.messages_to(8801)
        (zh,) = emu.messages_to(8802)
        assert en["text"].startswith("[Deadline] Online applications for the 2024 industrial internet engineering title")
        assert "close on 30 August 2024 (1 day(s) left)" in en["text"] and english(en["text"])
        assert zh["text"].startswith("【截止提醒】2024年度") and "还有1天" in zh["text"]
    finally:
        await sender.close()
        await emu.stop()


@pytest.mark.timeout(120)
async def test_cli_broadcast_with_an_english_text_file(tmp_path):
    """``python -m bot broadcast --text-en-file``: the preview counts both languages and shows the
    English version; each chat of the emulator receives its own language."""
    from tests.e2e.test_reminders_cli import TOKEN, run_cli, seed
    from tests.support.emulator import BotApiEmulator

    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    await seed(url, 3)  # users 5000–5002, Chinese
    db = Database(url)
    async with db.session() as s:
        await s.execute(update(User).where(User.external_id == "5002").values(language="en"))
    await db.dispose()
    emu = BotApiEmulator(token=TOKEN)
    api = await emu.start()
    zh_file, en_file = tmp_path / "notice.txt", tmp_path / "notice.en.txt"
    zh_file.write_text("周五下午系统维护，暂停受理。\n", encoding="utf-8")
    en_file.write_text("System maintenance on Friday afternoon: no applications are taken.\n", encoding="utf-8")
    env = {"DATABASE_URL": url, "BOT_TOKEN": TOKEN, "STAFF_IDS": ""}
    try:
        code, out = await run_cli("broadcast", "--segment", "all", "--text-file", str(zh_file), "--text-en-file",
                                  str(en_file), "--yes", "--urgent", "--api-url", api, env=env)
        assert code == 0, out
        assert "收件人数：3 人" in out and "其中使用中文 2 人，使用英文 1 人。" in out
        assert "英文版：\nSystem maintenance on Friday afternoon" in out
        assert [m["text"] for m in emu.messages_to(5002)] == ["System maintenance on Friday afternoon: no applications are taken."]
        assert [m["text"] for m in emu.messages_to(5000)] == ["周五下午系统维护，暂停受理。"]
        empty = tmp_path / "empty.txt"
        empty.write_text("", encoding="utf-8")
        code, out = await run_cli("broadcast", "--segment", "all", "--text-file", str(zh_file), "--text-en-file",
                                  str(empty), "--yes", env=env)
        assert code == 2 and "the English text file is empty" in out and "Traceback" not in out
    finally:
        await emu.stop()


async def test_an_english_staff_member_runs_a_broadcast_in_english(tmp_path, clock):
    """Prompts, preview, progress and the final report in the staff member's language."""
    from bot.reminders.broadcast import BroadcastMonitor
    from tests.support.helpers import make_app

    app = await make_app("sqlite", tmp_path, clock=clock, staff_ids=["900"])  # a Telegram staff id
    try:
        staff = ChatUser(app, user_id="900", channel="telegram")
        await staff.say("/start", language="en")
        await readers(app)
        await staff.say("/broadcast")
        assert "Broadcast: please choose who receives it." in staff.text
        await staff.press_label("All users")
        await staff.say("【通知】周五下午暂停服务。")
        assert "2 of the recipients read English" in staff.text
        await staff.press_label("No English version")
        assert "Of them: 1 read Chinese, 2 read English." in staff.text and "one-line note in English on top" in staff.text
        await staff.press_label("Send now")
        assert "Broadcast #1 has started, 3 people." in staff.text
        (progress,) = await rows_of(app, OutboxMessage, OutboxMessage.kind == "broadcast_report")
        assert progress.payload["text"].startswith("Broadcast #1 (All users) progress: 0%")
        async with app.db.session() as s:
            await s.execute(update(OutboxMessage).where(OutboxMessage.kind == "broadcast").values(state="sent"))
        await BroadcastMonitor(app.db, clock, app.services.texts).tick()
        reports = [r.payload["text"] for r in await rows_of(app, OutboxMessage, OutboxMessage.kind == "broadcast_report")]
        assert any(r.startswith("Broadcast #1 (All users) is complete.") and "sent 3" in r for r in reports), reports
    finally:
        await app.close()


async def test_an_english_staff_member_sets_a_status_by_its_english_name(sapp, staff):  # noqa: F811
    await staff.say("/start", language="en")
    await send_file(staff, "s.xlsx", xlsx_bytes([row("SD2024-000401", state="评委会办事机构审核")]))
    await staff.say("/setstatus SD2024-000401 Approved")
    assert '"Approved" is not a known status.' in staff.text and "Filling in, Employer review, " in staff.text
    await staff.say("/setstatus SD2024-000401 Accepted")
    assert 'Application SD2024-000401 changed from "Committee office review" to "Accepted"; 0 notice(s) queued.' in staff.text


async def test_an_english_staff_member_gets_setstatus_refusals_in_english(sapp, staff):  # noqa: F811
    """A refused change is explained in the staff member's language, the states and grounds too."""
    await staff.say("/start", language="en")
    await send_file(staff, "s.xlsx", xlsx_bytes([row("SD2024-000402", state="评委会办事机构审核")]))
    await staff.say("/setstatus SD2024-000402 通过")
    assert staff.text == 'Not changed: The status cannot change from "Committee office review" to "Passed".', staff.text
    await staff.say("/setstatus SD2024-000402 不予受理")
    text = staff.text
    assert text.startswith('Not changed: "Not accepted" needs a reason') and "1. Does not meet the review requirements; 2. " in text
    assert english(text), text
    await staff.say("/setstatus SD2024-000402 退回补正 " + "长" * 600)
    assert staff.text.startswith("Not changed: The note is too long"), staff.text
    async with sapp.db.session() as s:  # the same refusal for a Chinese reader stays Chinese
        await s.execute(update(User).where(User.external_id == staff.user_id).values(language="zh"))
    await staff.say("/setstatus SD2024-000402 通过")
    assert staff.text == "未修改：状态不能从“评委会办事机构审核”变为“通过”。", staff.text


async def test_subscriptions_are_offered_with_english_topic_names(sqlite_app):
    user = ChatUser(sqlite_app, user_id="en-subs", channel="telegram")
    await user.say("/start", language="en")
    await user.say("/subscribe")
    assert "Reminder subscriptions (tap a button to subscribe or unsubscribe):" in user.text
    assert "Deadlines: Reminders before the online application deadline" in user.text
    assert user.button_labels == ["⬜ Deadlines", "⬜ My application", "✅ Announcements"]
    await user.press_label("⬜ Deadlines")
    assert 'Subscribed to "Deadlines".' in user.text
    await user.press_label("⬜ My application")
    await user.say("/privacy")
    assert "Reminder subscriptions: Deadlines, My application" in user.text  # the rows the user chose
    # and what they get without a stored choice
    assert "Received by default (no choice stored; turn off under Reminders): Announcements" in user.text


async def test_a_staff_member_reading_english_gets_the_import_problems_in_english(sapp, staff):  # noqa: F811
    """The import report's rows and whole-file problems are worded when shown, in the reader's
    language (the console, in Chinese, words the same problems in Chinese)."""
    await staff.say("/start", language="en")
    await send_file(staff, "s.xlsx", xlsx_bytes([row("SD2024-000901", name="")]))
    assert "Row 2 姓名: must not be empty" in staff.text
    await send_file(staff, "s.xlsx", xlsx_bytes([["SD2024-000902"]], header=["申报编号"]))
    assert staff.text.startswith("Not imported:") and "缺少" not in staff.text
    await send_file(staff, "s.xlsx", xlsx_bytes([row("SD2024-000903", state="审核受理")]))
    await send_file(staff, "s.xlsx", xlsx_bytes([row("SD2024-000903", state="通过")]))  # a change the workflow refuses
    assert "The status cannot change from" in staff.text and "不能" not in staff.text
