"""Each adapter maps its framework's exceptions onto the shared delivery policy the same way."""

from __future__ import annotations

import datetime as dt

import pytest

pytestmark = pytest.mark.timeout(120)


def test_ptb_exceptions_are_classified():
    from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

    from bot.channels.ptb_adapter import classify

    assert classify(RetryAfter(dt.timedelta(seconds=3))).retry_after == 3.0
    assert classify(RetryAfter(dt.timedelta(seconds=3))).kind == "retry"
    assert classify(Forbidden("Forbidden: bot was blocked by the user")).kind == "blocked"
    assert classify(BadRequest("Message is not modified: specified new message content")).kind == "not_modified"
    assert classify(BadRequest("Message to edit not found")).kind == "bad_request"
    assert classify(NetworkError("boom")).kind == "network"
    assert classify(TimedOut()).kind == "network"
    assert classify(RuntimeError("x")).kind == "other"


def test_aiogram_exceptions_are_classified():
    from aiogram.exceptions import (
        TelegramBadRequest,
        TelegramForbiddenError,
        TelegramNetworkError,
        TelegramRetryAfter,
        TelegramServerError,
    )
    from aiogram.methods import SendMessage

    from bot.channels.aiogram_adapter import classify

    method = SendMessage(chat_id=1, text="x")
    assert classify(TelegramRetryAfter(method, "Too Many Requests", retry_after=4)).retry_after == 4.0
    assert classify(TelegramForbiddenError(method, "Forbidden: bot was blocked by the user")).kind == "blocked"
    assert classify(TelegramBadRequest(method, "Bad Request: message is not modified")).kind == "not_modified"
    assert classify(TelegramBadRequest(method, "Bad Request: message to edit not found")).kind == "bad_request"
    assert classify(TelegramNetworkError(method, "HTTP Client says - ClientOSError")).kind == "network"
    assert classify(TelegramServerError(method, "Bad Gateway")).kind == "network"
    assert classify(RuntimeError("x")).kind == "other"


def test_aiogram_response_models_outlive_garbage_collections():
    """pydantic keeps generic models weakly; without the pin aiogram rebuilds them after a collection."""
    import gc
    import weakref

    from aiogram import methods
    from aiogram.methods.base import Response
    from aiogram.types import Message

    from bot.channels.aiogram_adapter import pin_response_models

    pin_response_models()
    pinned = weakref.ref(Response[Message])
    unpinned = weakref.ref(Response[methods.GetStickerSet.__returning__])  # not a method the bot uses
    gc.collect()
    assert pinned() is not None and Response[Message] is pinned()
    assert unpinned() is None, "pydantic's cache kept an unpinned model: the pin may no longer be needed"


TRANSLATION_CASES = [
    {"update_id": 5, "message": {"message_id": 7, "date": 1700000000, "chat": {"id": 7, "type": "private"},
                                 "from": {"id": 8, "is_bot": False, "first_name": "A", "language_code": "zh-hans"},
                                 "text": "评审费多少钱？"}},
    {"update_id": 6, "message": {"message_id": 8, "date": 1700000000, "chat": {"id": -100, "type": "group"},
                                 "from": {"id": 9, "is_bot": True, "first_name": "B"}, "text": "/help@bot"}},
    {"update_id": 7, "message": {"message_id": 9, "date": 1700000000, "chat": {"id": 3, "type": "channel"},
                                 "text": "没有发送者"}},
    {"update_id": 8, "message": {"message_id": 10, "date": 1700000000, "chat": {"id": 4, "type": "private"},
                                 "from": {"id": 4, "is_bot": False, "first_name": "C"},
                                 "photo": [{"file_id": "p", "file_unique_id": "u", "width": 1, "height": 1}]}},
    {"update_id": 9, "callback_query": {"id": "q", "chat_instance": "ci", "data": "kb:up:fee",
                                        "from": {"id": 5, "is_bot": False, "first_name": "D"},
                                        "message": {"message_id": 11, "date": 1700000000,
                                                    "chat": {"id": 5, "type": "private"}, "text": "x"}}},
]


@pytest.mark.parametrize("raw", TRANSLATION_CASES)
def test_ptb_short_translation_equals_the_full_one(raw):
    """The adapter's short path for text messages must translate exactly as PTB's to_dict does."""
    from telegram import Update

    from bot.channels.ptb_adapter import update_as_dict
    from bot.channels.telegram_common import parse_update

    update = Update.de_json(raw, None)
    assert parse_update(update_as_dict(update)) == parse_update(update.to_dict())


@pytest.mark.parametrize("raw", TRANSLATION_CASES)
def test_aiogram_short_translation_equals_the_full_one(raw):
    """The same short path over aiogram's models must translate exactly as aiogram's model_dump does."""
    from aiogram.types import Update

    from bot.channels.aiogram_adapter import update_as_dict
    from bot.channels.telegram_common import parse_update

    update = Update.model_validate(raw)
    full = update.model_dump(mode="json", exclude_none=True, by_alias=True)
    assert parse_update(update_as_dict(update)) == parse_update(full)
    if "callback_query" not in raw and "text" in raw["message"]:
        assert update_as_dict(update) != full  # the short path was taken


def test_aiogram_session_sends_json_unless_a_file_is_uploaded():
    import json

    from aiogram import Bot
    from aiogram.methods import SendDocument, SendMessage
    from aiogram.types import BufferedInputFile, InlineKeyboardMarkup
    from aiohttp import BytesPayload, FormData

    from bot.channels.aiogram_adapter import JsonBodySession

    session = JsonBodySession()
    bot = Bot("123:abc", session=session)
    markup = InlineKeyboardMarkup.model_validate({"inline_keyboard": [[{"text": "👍", "callback_data": "kb:up:x"}]]})
    body = session.build_form_data(bot, SendMessage(chat_id=7, text="评审费多少钱？", parse_mode="HTML", reply_markup=markup))
    assert isinstance(body, BytesPayload) and body.content_type == "application/json"
    sent = json.loads(body._value.decode())
    assert sent == {"chat_id": 7, "text": "评审费多少钱？", "parse_mode": "HTML",
                    "reply_markup": {"inline_keyboard": [[{"text": "👍", "callback_data": "kb:up:x"}]]}}
    upload = session.build_form_data(bot, SendDocument(chat_id=7, document=BufferedInputFile(b"a,b", "x.csv")))
    assert isinstance(upload, FormData)


def test_ptb_writes_no_update_content_to_the_log_even_at_debug(caplog):
    """With LOG_LEVEL=DEBUG, PTB logged every fetched update and every call's parameters in full
    (the ID tail typed at /bind's secret step, names, phone numbers)."""
    import logging

    from bot.channels.ptb_adapter import PtbChannel
    from bot.channels.telegram_common import RunOptions

    loggers = [logging.getLogger(n) for n in ("telegram", "telegram.ext", "telegram.ext.ExtBot")]
    saved = [lg.level for lg in loggers]
    try:
        for lg in loggers:
            lg.setLevel(logging.NOTSET)
        with caplog.at_level(logging.DEBUG):  # the root logger at DEBUG, as LOG_LEVEL=DEBUG sets it
            PtbChannel(app=None, options=RunOptions(token="123456:TEST"))  # type: ignore[arg-type]
            logging.getLogger("telegram.ext.ExtBot").debug("Call to Bot API endpoint finished: 我叫王小红 123X")
            logging.getLogger("telegram.ext.Application").debug("Processing update Update(text='13812345678')")
            logging.getLogger("telegram.ext.Application").info("Application started")
            logging.getLogger("bot.core").debug("our own debug line")
        messages = [r.getMessage() for r in caplog.records]
        assert "Application started" in messages and "our own debug line" in messages
        assert not [m for m in messages if "王小红" in m or "13812345678" in m]
    finally:
        for lg, level in zip(loggers, saved, strict=True):
            lg.setLevel(level)
