"""Framework-free Telegram helpers: escaping, splitting, keyboards, update translation, delivery policy."""

from __future__ import annotations

import asyncio

import pytest

from bot.channels.telegram_common import (
    DOCUMENT_FETCH_LIMIT,
    AnswerCallback,
    ChatDelivery,
    EditText,
    Failure,
    SendDocument,
    SendText,
    classify_description,
    commands_json,
    escape_html,
    execute_plan,
    keyboard_json,
    parse_update,
    plan_replies,
    process_update,
)
from bot.core.messages import Attachment, Button, Outbound
from tests.support.emulator.html_check import html_to_text


def message_update(**content) -> dict:
    return {"update_id": 42, "message": {"message_id": 3, "date": 0, "chat": {"id": 77, "type": "private"},
                                         "from": {"id": 77, "is_bot": False, "first_name": "x"}, **content}}


def callback_update(data: str = "menu:help") -> dict:
    return {"update_id": 43, "callback_query": {
        "id": "cq1", "from": {"id": 77, "is_bot": False, "first_name": "x"}, "chat_instance": "c",
        "data": data, "message": {"message_id": 9, "date": 0, "chat": {"id": 77, "type": "private"}}}}


@pytest.mark.parametrize("text", ["a < b & c > d", "<script>alert(1)</script>", "&amp;", "普通文字", "\"quotes\" 'too'"])
def test_escaped_text_reads_back_exactly_after_telegram_parses_it(text):
    assert html_to_text(escape_html(text)) == text


def test_keyboard_json_and_empty_keyboard():
    buttons = [[Button(text="是", data="a:1"), Button(text="否", data="a:0")], []]
    assert keyboard_json(buttons) == {"inline_keyboard": [[{"text": "是", "callback_data": "a:1"},
                                                           {"text": "否", "callback_data": "a:0"}]]}
    assert keyboard_json([]) is None


def test_commands_json_dedupes_and_trims():
    got = commands_json([("/Start", "开始"), ("start", "again"), ("help", ""), ("x" * 40, "d" * 300)])
    assert [c["command"] for c in got] == ["start", "help", "x" * 32]
    assert got[1]["description"] == "help" and len(got[2]["description"]) == 256


def test_text_message_becomes_inbound_with_update_id():
    incoming = parse_update(message_update(text="评审费多少钱"))
    assert incoming is not None
    inbound = incoming.inbound
    assert (inbound.channel, inbound.kind, inbound.text, inbound.user_id, inbound.update_id) == (
        "telegram", "text", "评审费多少钱", "77", "42")
    assert incoming.callback_id is None


@pytest.mark.parametrize("field", ["photo", "sticker", "voice", "video", "location", "animation"])
def test_non_text_becomes_media(field):
    extra = {"document": {"file_id": "f"}} if field == "animation" else {}  # GIFs carry both fields
    incoming = parse_update(message_update(**{field: {}}, **extra))
    assert incoming.inbound.kind == "media" and incoming.inbound.media_type == field


def test_unknown_message_kind_is_still_answered_as_media():
    assert parse_update(message_update(some_future_field={})).inbound.media_type == "other"


def test_document_becomes_attachment_and_size_decides_download():
    small = parse_update(message_update(document={"file_id": "F1", "file_name": "a.xlsx", "mime_type": "x", "file_size": 10}))
    assert small.inbound.kind == "document" and small.inbound.attachment.file_name == "a.xlsx"
    assert small.wants_download and small.file_id == "F1"
    big = parse_update(message_update(document={"file_id": "F2", "file_name": "b.xlsx", "file_size": DOCUMENT_FETCH_LIMIT + 1}))
    assert not big.wants_download
    filled = small.with_content(b"abc")
    assert filled.inbound.attachment.content == b"abc" and filled.inbound.attachment.size == 3


def test_callback_becomes_inbound_with_message_to_edit():
    incoming = parse_update(callback_update("forget:yes"))
    assert incoming.inbound.kind == "callback" and incoming.inbound.callback_data == "forget:yes"
    assert (incoming.callback_id, incoming.message_id, incoming.chat_id) == ("cq1", 9, 77)


@pytest.mark.parametrize(("code", "language"), [("en", "en"), ("en-US", "en"), ("EN-gb", "en"), ("zh-hans", "zh"),
                                                 ("de", "zh"), ("", "zh"), (None, "zh"), (7, "zh")])
def test_the_clients_language_code_becomes_the_inbound_language(code, language):
    sender = {"id": 77, "is_bot": False, "first_name": "x", "language_code": code}
    assert parse_update(message_update(text="hi", **{"from": sender})).inbound.language == language
    update = callback_update("lang:zh")
    update["callback_query"]["from"] = sender
    assert parse_update(update).inbound.language == language


@pytest.mark.parametrize("update", [{"update_id": 1, "edited_message": {}}, {"update_id": 1},
                                    message_update(text="x", **{"from": {"id": 5, "is_bot": True}}),
                                    message_update(new_chat_members=[{"id": 1}])])
def test_updates_the_bot_does_not_answer(update):
    assert parse_update(update) is None


def group_text(text: str, kind: str = "supergroup") -> dict:
    update = message_update(text=text)
    update["message"]["chat"] = {"id": -100500, "type": kind, "title": "群"}
    return update


@pytest.mark.parametrize("text", ["/help@other_bot", "/HELP@Other_Bot 评审费", "/status@someone_else QD1"])
def test_a_command_for_another_bot_in_a_group_is_not_ours(text):
    assert parse_update(group_text(text), "zhicheng_test_bot") is None
    assert parse_update(group_text(text, "group"), "zhicheng_test_bot") is None


@pytest.mark.parametrize("text", ["/help", "/help@zhicheng_test_bot", "/HELP@ZhiCheng_Test_Bot x", "评审费@other_bot",
                                  "/"])
def test_our_commands_and_plain_text_in_a_group_are_still_read(text):
    incoming = parse_update(group_text(text), "zhicheng_test_bot")
    assert incoming is not None and incoming.inbound.text == text


def test_in_a_private_chat_a_command_with_another_bots_name_is_still_answered():
    # only we read the private chat: the user meant us, whatever name they typed
    assert parse_update(message_update(text="/start@other_bot"), "zhicheng_test_bot").inbound.text == "/start@other_bot"


def test_plan_escapes_and_adds_keyboard():
    incoming = parse_update(message_update(text="/start"))
    buttons = [[Button(text="帮助", data="menu:help")]]
    (action,) = plan_replies(incoming, [Outbound(text="<hi> & bye", buttons=buttons)])
    assert action == SendText(77, "&lt;hi&gt; &amp; bye", keyboard_json(buttons))


def test_plan_splits_5000_characters_on_paragraphs_with_buttons_on_the_last_part():
    text = "\n\n".join(["段" * 999] * 5)  # 5 paragraphs, 5003 characters
    buttons = [[Button(text="更多", data="kb:more")]]
    actions = plan_replies(parse_update(message_update(text="q")), [Outbound(text=text, buttons=buttons)])
    assert len(actions) == 2
    assert all(isinstance(a, SendText) and len(html_to_text(a.text)) <= 4096 for a in actions)
    assert actions[0].reply_markup is None and actions[1].reply_markup == keyboard_json(buttons)
    assert "\n\n".join(a.text for a in actions) == text  # split exactly on a paragraph boundary


def test_plan_always_answers_a_callback_first_and_edits_the_pressed_message():
    incoming = parse_update(callback_update())
    actions = plan_replies(incoming, [Outbound.toast_only(""), Outbound(text="done", edit=True), Outbound(text="more", edit=True)])
    assert actions == [AnswerCallback("cq1", None), EditText(77, 9, "done", None), SendText(77, "more", None)]
    assert plan_replies(incoming, []) == [AnswerCallback("cq1", None)]  # a duplicate still stops the spinner
    (toast,) = plan_replies(incoming, [Outbound.toast_only("该按钮已失效")])
    assert toast == AnswerCallback("cq1", "该按钮已失效")


def test_plan_edit_without_a_callback_sends_a_new_message():
    actions = plan_replies(parse_update(message_update(text="x")), [Outbound(text="a", edit=True)])
    assert actions == [SendText(77, "a", None)]


def test_plan_document_with_long_text_sends_text_separately():
    doc = Attachment(file_name="r.xlsx", content=b"x")
    actions = plan_replies(parse_update(message_update(text="x")), [Outbound(text="报告<1>", document=doc)])
    assert actions == [SendDocument(77, "r.xlsx", b"x", "报告&lt;1&gt;")]
    long = plan_replies(parse_update(message_update(text="x")), [Outbound(text="长" * 2000, document=doc)])
    assert isinstance(long[0], SendDocument) and long[0].caption is None and isinstance(long[1], SendText)


@pytest.mark.parametrize(
    ("status", "description", "kind"),
    [(429, "Too Many Requests: retry after 3", "retry"), (403, "Forbidden: bot was blocked by the user", "blocked"),
     (400, "Bad Request: message is not modified: x", "not_modified"), (400, "Bad Request: chat not found", "bad_request"),
     (500, "Internal Server Error", "network"), (502, "Bad Gateway", "network"), (None, "something odd", "other")],
)
def test_classify_description(status, description, kind):
    assert classify_description(status, description).kind == kind


class Boom(Exception):
    def __init__(self, failure: Failure) -> None:
        self.failure = failure


async def run_plan(actions, failures):
    """Perform ``actions``; each call pops the next planned failure (None = success)."""
    performed, slept = [], []

    async def perform(action):
        failure = failures.pop(0) if failures else None
        if failure is not None:
            raise Boom(failure)
        performed.append(action)

    async def sleep(seconds):
        slept.append(seconds)

    await execute_plan(actions, perform, lambda exc: exc.failure, sleep=sleep)
    return performed, slept


async def test_execute_waits_retry_after_then_retries():
    performed, slept = await run_plan([SendText(1, "a")], [Failure("retry", 3.0)])
    assert performed == [SendText(1, "a")] and slept == [3.0]


async def test_execute_gives_up_after_bounded_retries_and_on_long_waits():
    performed, slept = await run_plan([SendText(1, "a"), SendText(1, "b")], [Failure("retry", 1.0)] * 4)
    assert slept == [1.0, 1.0, 1.0] and performed == [SendText(1, "b")]
    performed, slept = await run_plan([SendText(1, "a")], [Failure("retry", 3600.0)])
    assert performed == [] and slept == []


async def test_execute_resends_a_reply_lost_in_transit_a_bounded_number_of_times():
    from bot.channels.telegram_common import NETWORK_RETRY_DELAYS

    performed, slept = await run_plan([SendText(1, "a")], [Failure("network"), Failure("network")])
    assert performed == [SendText(1, "a")] and slept == list(NETWORK_RETRY_DELAYS)
    lost = [Failure("network")] * (len(NETWORK_RETRY_DELAYS) + 1)
    performed, slept = await run_plan([SendText(1, "a"), SendText(1, "b")], lost)
    assert performed == [SendText(1, "b")] and slept == list(NETWORK_RETRY_DELAYS)  # "a" given up, "b" still sent
    performed, slept = await run_plan([SendText(1, "a")], [Failure("other")])
    assert performed == [] and slept == []  # an unknown failure is not retried


async def test_execute_stops_when_the_user_blocked_the_bot():
    performed, _ = await run_plan([SendText(1, "a"), SendText(1, "b")], [Failure("blocked")])
    assert performed == []


async def test_execute_falls_back_from_a_failed_edit_to_a_new_message():
    edit = EditText(1, 5, "x", None)
    performed, _ = await run_plan([edit], [Failure("bad_request")])
    assert performed == [SendText(1, "x", None)]
    performed, _ = await run_plan([edit], [Failure("not_modified")])
    assert performed == []


class FakeConversation:
    def __init__(self) -> None:
        self.seen = []

    async def handle(self, inbound):
        self.seen.append(inbound)
        return [Outbound(text="收到")]

    async def wants_document(self, inbound):
        return True


async def test_process_update_fetches_small_documents_only():
    conversation, performed, fetched = FakeConversation(), [], []

    async def perform(action):
        performed.append(action)

    async def fetch(file_id):
        fetched.append(file_id)
        return b"data"

    small = message_update(document={"file_id": "S", "file_name": "a.csv", "file_size": 4})
    big = message_update(document={"file_id": "B", "file_name": "b.csv", "file_size": DOCUMENT_FETCH_LIMIT + 1})
    await process_update(conversation, small, perform, lambda e: Failure("other"), fetch)
    await process_update(conversation, big, perform, lambda e: Failure("other"), fetch)
    assert fetched == ["S"]
    assert conversation.seen[0].attachment.content == b"data" and conversation.seen[1].attachment.content is None
    assert performed == [SendText(77, "收到"), SendText(77, "收到")]


async def test_process_update_survives_a_failing_download():
    conversation = FakeConversation()

    async def fetch(file_id):
        raise OSError("network")

    async def perform(action):
        pass

    await process_update(conversation, message_update(document={"file_id": "S", "file_size": 4}), perform,
                         lambda e: Failure("other"), fetch)
    assert conversation.seen[0].attachment.content is None


async def test_process_update_leaves_another_bots_group_command_to_it():
    conversation, performed = FakeConversation(), []

    async def perform(action):
        performed.append(action)

    await process_update(conversation, group_text("/help@other_bot"), perform, lambda e: Failure("other"),
                         bot_username="zhicheng_test_bot")
    assert conversation.seen == [] and performed == []
    await process_update(conversation, group_text("/help@zhicheng_test_bot"), perform, lambda e: Failure("other"),
                         bot_username="zhicheng_test_bot")
    assert [i.text for i in conversation.seen] == ["/help@zhicheng_test_bot"]


def test_keyboards_are_built_once_per_layout_and_the_memory_is_bounded():
    from bot.channels.telegram_common import KeyboardMemory

    built: list[dict] = []
    memory = KeyboardMemory(lambda data: built.append(data) or object(), size=2)
    a = {"inline_keyboard": [[{"text": "👍", "callback_data": "kb:up:a"}]]}
    b = {"inline_keyboard": [[{"text": "👍", "callback_data": "kb:up:b"}]]}
    c = {"inline_keyboard": [[{"text": "👍", "callback_data": "kb:up:c"}]]}
    assert memory.get(None) is None and memory.get({}) is None
    first = memory.get(a)
    assert memory.get(dict(a)) is first and len(built) == 1  # equal layouts share one object
    memory.get(b)
    memory.get(c)  # a is the least recently used: dropped
    assert memory.get(a) is not first and len(built) == 4



class FloodedChat:
    """Telegram's per-chat flood control on a fake clock: one message per second, 429 otherwise."""

    def __init__(self) -> None:
        self.now = 0.0
        self.last: dict[int, float] = {}
        self.sent: list[str] = []
        self.answered: list[str] = []

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)

    async def perform(self, action) -> None:
        await asyncio.sleep(0)  # other tasks get their turn, as on a real connection
        if isinstance(action, AnswerCallback):
            self.answered.append(action.callback_id)
            return
        if self.now - self.last.get(action.chat_id, -10.0) < 1.0:
            raise Flooded(Failure("retry", 1.0))
        self.last[action.chat_id] = self.now
        self.sent.append(action.text)


class Flooded(Exception):
    def __init__(self, failure: Failure) -> None:
        self.failure = failure


async def test_a_burst_to_one_chat_is_delivered_in_order_through_its_flood_limit():
    chat = FloodedChat()
    delivery = ChatDelivery(chat.perform, lambda exc: exc.failure, sleep=chat.sleep)
    await asyncio.gather(*(delivery.deliver(77, [SendText(77, f"答{i}")]) for i in range(30)))
    await delivery.drain()
    assert chat.sent == [f"答{i}" for i in range(30)]


async def test_without_the_queue_the_same_burst_loses_replies():
    # what each update's task did before: every reply raced the others for the chat's one message a second
    chat = FloodedChat()
    await asyncio.gather(*(execute_plan([SendText(77, f"答{i}")], chat.perform, lambda exc: exc.failure, chat.sleep)
                           for i in range(30)))
    assert len(chat.sent) < 30


async def test_a_pressed_button_is_answered_before_the_chats_queued_replies_go_out():
    chat = FloodedChat()
    delivery = ChatDelivery(chat.perform, lambda exc: exc.failure, sleep=chat.sleep)
    for i in range(5):
        await delivery.deliver(77, [SendText(77, f"答{i}")])
    await delivery.deliver(77, [AnswerCallback("cq"), SendText(77, "按钮的回复")])
    assert chat.answered == ["cq"] and len(chat.sent) < 6  # answered at once, the replies still queued
    await delivery.drain()
    assert chat.sent[-1] == "按钮的回复" and delivery.pending == 0


async def test_a_flood_beyond_the_limit_is_dropped_with_one_log_line(caplog):
    chat = FloodedChat()
    delivery = ChatDelivery(chat.perform, lambda exc: exc.failure, sleep=chat.sleep, limit=10)
    with caplog.at_level("WARNING", logger="bot.channels.telegram_common"):
        for i in range(25):
            await delivery.deliver(77, [SendText(77, f"答{i}")])
        await delivery.deliver(88, [SendText(88, "别人的回复")])  # another chat is not held up by it
        await delivery.drain()
    assert chat.sent.count("别人的回复") == 1 and len([t for t in chat.sent if t.startswith("答")]) == 10
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "15 reply action(s)" in lines[0] and "77" not in lines[0]


async def test_after_a_block_the_chats_queued_replies_are_not_tried():
    tried = []

    async def perform(action):
        tried.append(action)
        await asyncio.sleep(0)
        raise Flooded(Failure("blocked"))

    delivery = ChatDelivery(perform, lambda exc: exc.failure)
    for i in range(5):
        await delivery.deliver(77, [SendText(77, f"答{i}")])
    await delivery.drain()
    assert len(tried) == 1 and delivery.pending == 0


async def test_a_long_flood_wait_drops_the_chats_queue_with_two_lines_not_one_per_reply(caplog):
    tried = []

    async def perform(action):
        tried.append(action)
        await asyncio.sleep(0)
        raise Flooded(Failure("retry", 300.0))

    delivery = ChatDelivery(perform, lambda exc: exc.failure)
    with caplog.at_level("WARNING", logger="bot.channels.telegram_common"):
        for i in range(20):
            await delivery.deliver(77, [SendText(77, f"答{i}"), SendText(77, "菜单")])
        await delivery.drain()
    assert len(tried) == 1 and delivery.pending == 0
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2 and "flood wait of 300 s" in lines[0] and "38 reply action(s)" in lines[1]


async def test_replies_still_queued_at_shutdown_are_counted_in_one_line(caplog):
    chat = FloodedChat()

    async def slow_sleep(seconds):  # a real wait: the drain's timeout runs out first
        await asyncio.sleep(seconds)

    delivery = ChatDelivery(chat.perform, lambda exc: exc.failure, sleep=slow_sleep)
    with caplog.at_level("WARNING", logger="bot.channels.telegram_common"):
        for i in range(5):
            await delivery.deliver(77, [SendText(77, f"答{i}")])
        await delivery.drain(timeout=0.05)
    assert delivery.pending == 0
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "reply action(s) to one chat dropped" in lines[0]


async def test_one_reply_longer_than_the_queue_limit_still_goes_out_when_nothing_waits():
    chat = FloodedChat()
    delivery = ChatDelivery(chat.perform, lambda exc: exc.failure, sleep=chat.sleep, limit=3)
    await delivery.deliver(77, [SendText(77, f"第{i}段") for i in range(5)])
    await delivery.drain()
    assert chat.sent == [f"第{i}段" for i in range(5)]


async def test_a_staff_document_in_a_group_is_not_downloaded():
    # the core takes no file in a group ("write to me privately"), so fetching up to 10 MB is waste
    conversation, fetched = FakeConversation(), []

    async def fetch(file_id):
        fetched.append(file_id)
        return b"data"

    async def perform(action):
        pass

    update = group_text("x")
    del update["message"]["text"]
    update["message"]["document"] = {"file_id": "G", "file_name": "a.csv", "file_size": 4}
    await process_update(conversation, update, perform, lambda e: Failure("other"), fetch)
    assert fetched == [] and conversation.seen[0].attachment.content is None
    await process_update(conversation, message_update(document={"file_id": "P", "file_size": 4}), perform,
                         lambda e: Failure("other"), fetch)
    assert fetched == ["P"]  # privately it still is


@pytest.mark.parametrize(
    ("text", "reply_from", "expected_text", "addressed"),
    [
        ("@zhicheng_test_bot 评审费多少钱", None, "评审费多少钱", True),
        ("评审费多少钱 @ZhiCheng_Test_Bot", None, "评审费多少钱", True),
        ("纸质表交到哪", {"id": 42, "is_bot": True, "username": "zhicheng_test_bot"}, "纸质表交到哪", True),
        ("纸质表交到哪", {"id": 43, "is_bot": True, "username": "other_bot"}, "纸质表交到哪", False),
        ("纸质表交到哪", {"id": 44, "is_bot": False, "username": "zhicheng_test_bot"}, "纸质表交到哪", False),
        ("问下 @zhicheng_test_botx 评审费", None, "问下 @zhicheng_test_botx 评审费", False),  # another name
        ("明天开会", None, "明天开会", False),
    ],
)
def test_a_group_message_names_or_replies_to_the_bot(text, reply_from, expected_text, addressed):
    update = group_text(text)
    if reply_from is not None:
        update["message"]["reply_to_message"] = {"message_id": 1, "from": reply_from}
    inbound = parse_update(update, "zhicheng_test_bot").inbound
    assert (inbound.text, inbound.addressed) == (expected_text, addressed)
    private = parse_update(message_update(text=text), "zhicheng_test_bot").inbound
    assert private.text == text and not private.addressed  # a private chat is the bot's anyway
