"""Framework-free Telegram helpers: escaping, splitting, keyboards, update translation, delivery policy."""

from __future__ import annotations

import pytest

from bot.channels.telegram_common import (
    DOCUMENT_FETCH_LIMIT,
    AnswerCallback,
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

