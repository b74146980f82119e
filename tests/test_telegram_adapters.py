"""Each adapter maps its framework's exceptions onto the shared delivery policy the same way."""

from __future__ import annotations

import datetime as dt

import pytest

pytestmark = pytest.mark.timeout(120)


def test_ptb_exceptions_are_classified():
    from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

    from bot.channels.ptb_adapter import classify

    assert classify(RetryAfter(dt.timedelta(seconds=3))).retry_after == 3.0
    assert classify(RetryAfter(dt.timedelta(seconds=3))).kind == "retry"
    assert classify(Forbidden("Forbidden: bot was blocked by the user")).kind == "blocked"
    assert classify(BadRequest("Message is not modified: specified new message content")).kind == "not_modified"
    assert classify(BadRequest("Message to edit not found")).kind == "bad_request"
    assert classify(NetworkError("boom")).kind == "other"
    assert classify(RuntimeError("x")).kind == "other"


def test_aiogram_exceptions_are_classified():
    from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
    from aiogram.methods import SendMessage

    from bot.channels.aiogram_adapter import classify

    method = SendMessage(chat_id=1, text="x")
    assert classify(TelegramRetryAfter(method, "Too Many Requests", retry_after=4)).retry_after == 4.0
    assert classify(TelegramForbiddenError(method, "Forbidden: bot was blocked by the user")).kind == "blocked"
    assert classify(TelegramBadRequest(method, "Bad Request: message is not modified")).kind == "not_modified"
    assert classify(TelegramBadRequest(method, "Bad Request: message to edit not found")).kind == "bad_request"


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
