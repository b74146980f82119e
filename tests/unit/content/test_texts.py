"""Texts fill their placeholders, and a placeholder the caller forgot stays visible instead of crashing a reply."""

from __future__ import annotations

import pytest

from bot.content.texts import Texts


def test_placeholders_are_filled_and_a_missing_one_stays_visible():
    texts = Texts({"fee": "评审费{amount}元，咨询电话{phone}", "plain": "你好{"})
    assert texts.get("fee", amount=360, phone="0532-1") == "评审费360元，咨询电话0532-1"
    assert texts.get("fee", amount=160) == "评审费160元，咨询电话{phone}"
    assert texts.get("plain") == "你好{"  # no values: the template is returned untouched


def test_an_unknown_key_fails_loudly():
    with pytest.raises(KeyError):
        Texts({}).get("nope")
