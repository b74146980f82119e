"""User journeys against the real bot process (``python -m bot run``), for aiogram and for PTB.

The bot runs unmodified against the Bot API emulator on 127.0.0.1 with a temporary SQLite file; the
test plays the user through the emulator. One bot process per framework serves the whole module
(aiogram takes seconds to start); each test uses a fresh user.
"""

from __future__ import annotations

import asyncio

import pytest
import pytest_asyncio

from tests.e2e.conftest import assert_malformed_update_is_skipped, count_rows, start_bot
from tests.support.emulator import TgUser, button_data

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(120)]

MENU = ["问答", "资格自测", "申报进度", "提醒订阅", "帮助"]
STALE = "该按钮已失效"


#: a staff member (``STAFF_IDS``) no other test writes as
STAFF = 79_999


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot(emulator, framework, tmp_path_factory):
    proc = await start_bot(emulator, framework, tmp_path_factory.mktemp(f"bot-{framework}"),
                           extra_env={"STAFF_IDS": str(STAFF)})
    yield proc
    await proc.stop()


def user_rows(bot, user: TgUser) -> int:
    return count_rows(bot.db_path, "SELECT count(*) FROM users WHERE channel='telegram' AND external_id=?", str(user.id))


async def test_start_shows_the_five_menu_buttons_and_sets_the_command_menu(bot, emulator, tg_user):
    welcome, menu = await tg_user.say("/start", expect=2)
    assert "职称助手" in welcome["text"]
    assert "/privacy" in welcome["text"]  # the short privacy notice
    assert list(button_data(menu)) == MENU
    assert all(data.startswith("menu:") for data in button_data(menu).values())
    commands = {c["command"]: c["description"] for c in emulator.commands}
    assert {"start", "help", "forget", "privacy"} <= set(commands)
    assert commands["help"] == "使用帮助"


async def test_pressing_a_menu_button_is_answered_with_a_message(bot, emulator, tg_user):
    _, menu = await tg_user.say("/start", expect=2)
    answer = await tg_user.press(menu, button_data(menu)["帮助"])
    assert answer["text"] in (None, "")  # answered silently: the spinner stops
    (reply,) = await tg_user.replies(1)
    assert "使用帮助" in reply["text"]


async def test_help_lists_commands_and_the_office_contacts(bot, tg_user):
    (reply,) = await tg_user.say("/help")
    assert "/forget" in reply["text"] and "/privacy" in reply["text"]
    assert "电话" in reply["text"]
    assert list(button_data(reply)) == MENU


@pytest.mark.parametrize("kind", ["photo", "sticker", "voice"])
async def test_non_text_messages_get_a_polite_reply(bot, emulator, tg_user, kind):
    getattr(emulator, f"send_{kind}")(tg_user.id)
    (reply,) = await tg_user.replies(1)
    assert "只能处理文字" in reply["text"]


async def test_a_document_from_a_non_staff_user_is_declined_without_downloading_it(bot, emulator, tg_user):
    before = emulator.calls.get("getfile", 0)
    emulator.send_document(tg_user.id, b"a,b\n1,2\n", "list.csv", "text/csv")
    (reply,) = await tg_user.replies(1)
    assert "无权限" in reply["text"] and "Traceback" not in reply["text"]
    emulator.send_document(tg_user.id, b"x", "huge.xlsx", declared_size=11 * 1024 * 1024)
    (reply,) = await tg_user.replies(1)
    assert reply["text"]
    assert emulator.calls.get("getfile", 0) == before  # the role is checked before any download


async def test_unknown_command_gets_short_help_and_markup_is_escaped(bot, tg_user):
    # "<b>" and "&" would break Telegram's HTML parser unless the adapter escapes them.
    (reply,) = await tg_user.say("/nope<b>&")
    assert "/nope<b>&" in reply["text"]
    assert "/help" in reply["text"]


async def test_free_text_is_answered_without_internals(bot, tg_user):
    (reply,) = await tg_user.say("评审费多少钱？")
    assert reply["text"]
    for marker in ("Traceback", "Exception", "sqlalchemy"):
        assert marker not in reply["text"]


@pytest.mark.parametrize("text", ["问" * 10_000, "😀😀😀", "a\x00b", "\x00", "<script>alert(1)</script>"],
                         ids=["10k", "emoji", "nul", "only-nul", "script"])
async def test_odd_input_gets_a_clean_reply(bot, tg_user, text):
    (reply,) = await tg_user.say(text)
    assert reply["text"]
    for marker in ("Traceback", "Exception", "sqlalchemy", "bot/"):
        assert marker not in reply["text"]


async def test_forget_with_confirmation_removes_the_users_rows(bot, tg_user):
    await tg_user.say("/start", expect=2)
    assert user_rows(bot, tg_user) == 1
    (confirm,) = await tg_user.say("/forget")
    buttons = button_data(confirm)
    assert set(buttons) == {"确认删除", "取消"}
    await tg_user.press(confirm, buttons["确认删除"])
    await asyncio.sleep(0)
    edited = await bot.emu.wait_for(lambda: (m := tg_user.all_messages()[-1]).get("edit_date") and m)
    assert "已删除" in edited["text"]
    assert "reply_markup" not in edited  # the confirmation buttons are gone
    assert user_rows(bot, tg_user) == 0


async def test_forged_callback_data_gets_a_toast(bot, tg_user):
    _, menu = await tg_user.say("/start", expect=2)
    for forged in ("bogus:1", "menu:nothing", "forget:yes"):  # forget:yes without a pending /forget
        answer = await tg_user.press(menu, forged)
        assert STALE in (answer["text"] or "")
    assert user_rows(bot, tg_user) == 1  # nothing was deleted


async def test_an_update_delivered_twice_is_processed_once(bot, emulator, tg_user):
    update = emulator.send_text(tg_user.id, "/help")
    emulator.redeliver(update)
    (first,) = await tg_user.replies(1)
    (marker,) = await tg_user.say("/menu")  # the user's updates are handled in order
    await asyncio.sleep(0.3)
    texts = [m["text"] for m in tg_user.all_messages()]
    assert texts == [first["text"], marker["text"]]
    assert "使用帮助" in first["text"]


async def test_kill_9_between_forget_and_its_confirmation_then_restart(bot, emulator, tg_user):
    await tg_user.say("/start", expect=2)
    (confirm,) = await tg_user.say("/forget")
    await bot.kill9()
    await bot.start()  # the same database file, a new process
    answer = await tg_user.press(confirm, button_data(confirm)["确认删除"])
    assert STALE not in (answer["text"] or "")
    edited = await emulator.wait_for(lambda: (m := tg_user.all_messages()[-1]).get("edit_date") and m)
    assert "已删除" in edited["text"]
    assert user_rows(bot, tg_user) == 0


async def test_a_burst_under_telegrams_per_chat_flood_limit_is_answered_in_full_and_in_order(bot, emulator, tg_user):
    """30 messages at once while Telegram takes 5 messages a second in one chat: every reply
    arrives, in the order asked, without a warning per reply; another user is answered meanwhile."""
    other = TgUser(emulator, tg_user.id + 900_000)
    log_lines = len(bot.log_path.read_text(errors="replace").splitlines())
    emulator.faults.rate_limit(per_second=None, per_chat_per_second=5)
    try:
        for i in range(30):
            tg_user.send_text(f"/nope{i}")
        started = asyncio.get_running_loop().time()
        (help_reply,) = await other.say("/help", timeout=10)
        assert "使用帮助" in help_reply["text"]
        assert asyncio.get_running_loop().time() - started < 5  # the burst holds nobody else up
        replies = await tg_user.replies(30, timeout=60)
    finally:
        emulator.faults.clear()
    assert [r["text"].split("”")[0] for r in replies] == [f"没有“/nope{i}" for i in range(30)]
    new_lines = bot.log_path.read_text(errors="replace").splitlines()[log_lines:]
    assert [line for line in new_lines if "failed" in line or "dropped" in line] == []


async def test_in_a_group_commands_for_another_bot_are_left_to_it(bot, emulator, tg_user):
    group = emulator.add_group(-1008000000000 - tg_user.id)
    for text in ("/help@other_bot", "/status@other_bot", "/start@OtherBot payload"):
        emulator.send_text(tg_user.id, text, chat=group)
    emulator.send_text(tg_user.id, "/help@zhicheng_test_bot", chat=group)  # ours: answered, and the only one
    (reply,) = await emulator.wait_for_messages(group, 1)
    assert "使用帮助" in reply["text"]
    await asyncio.sleep(0.5)
    assert len(emulator.messages_to(group)) == 1


async def test_in_a_group_media_get_silence_and_a_staff_document_is_not_downloaded(bot, emulator, tg_user):
    group = emulator.add_group(-1007000000000 - tg_user.id)
    before = emulator.calls.get("getfile", 0)
    emulator.send_photo(tg_user.id, chat=group)
    emulator.send_sticker(tg_user.id, chat=group)
    emulator.send_voice(tg_user.id, chat=group)
    emulator.send_document(STAFF, b"a,b\n1,2\n", "list.csv", "text/csv", chat=group)
    (reply,) = await emulator.wait_for_messages(group, 1)
    assert "请私聊我" in reply["text"]  # the document: files are taken only in a private chat
    await asyncio.sleep(0.5)
    assert len(emulator.messages_to(group)) == 1  # the photo, sticker and voice: nothing
    assert emulator.calls.get("getfile", 0) == before  # the staff member's file was not fetched in the group


async def test_a_malformed_update_is_skipped_with_one_line_and_later_updates_are_answered(bot, emulator, tg_user):
    await assert_malformed_update_is_skipped(bot, emulator, tg_user)


async def test_sigterm_shuts_down_cleanly_and_nothing_was_logged_as_an_error(bot):
    assert await bot.stop() == 0
    log = bot.log_path.read_text(errors="replace")
    assert "Traceback" not in log
    assert [line for line in log.splitlines() if " ERROR " in line] == []

