"""Vote tokens (bot/knowledge/feedback.py): only the server makes them, for one chat, one entry and
one day, and they verify for ``VOTE_MAX_AGE`` only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.clock import LOCAL_TZ
from bot.knowledge.feedback import (
    VOTE_MAX_AGE,
    VOTE_TOKEN_LENGTH,
    vote_data,
    vote_day,
    vote_issued_on,
    vote_secret,
    vote_token,
)

SECRET = b"deployment secret"
NOW = datetime(2024, 8, 1, 9, 30, tzinfo=UTC)
CHAT = "web:w0123456789abcdef0123456789abcdef"


def test_a_token_verifies_for_its_chat_entry_and_day_only():
    token = vote_token(SECRET, CHAT, "fee-amounts", vote_day(NOW))
    assert len(token) == VOTE_TOKEN_LENGTH
    assert vote_issued_on(SECRET, CHAT, "fee-amounts", token, NOW) == vote_day(NOW)
    assert vote_issued_on(SECRET, CHAT, "paper-address", token, NOW) is None  # another entry
    assert vote_issued_on(SECRET, "web:wffffffffffffffffffffffffffffffff", "fee-amounts", token, NOW) is None
    assert vote_issued_on(SECRET, "telegram:" + CHAT[4:], "fee-amounts", token, NOW) is None  # another channel
    assert vote_issued_on(b"another deployment", CHAT, "fee-amounts", token, NOW) is None


def test_a_token_verifies_within_the_window_and_not_after_it():
    token = vote_token(SECRET, CHAT, "fee-amounts", vote_day(NOW))
    last = NOW + VOTE_MAX_AGE
    assert vote_issued_on(SECRET, CHAT, "fee-amounts", token, last) == vote_day(NOW)
    assert vote_issued_on(SECRET, CHAT, "fee-amounts", token, last + timedelta(days=1)) is None
    # a token dated after today was never issued
    tomorrow = vote_token(SECRET, CHAT, "fee-amounts", vote_day(NOW) + 1)
    assert vote_issued_on(SECRET, CHAT, "fee-amounts", tomorrow, NOW) is None


def test_made_up_and_malformed_tokens_do_not_verify():
    for token in ("", "AAAAAAA", "x" * 40, vote_token(SECRET, CHAT, "fee-amounts", vote_day(NOW)) + "A"):
        assert vote_issued_on(SECRET, CHAT, "fee-amounts", token, NOW) is None


def test_the_day_is_the_same_in_every_zone():
    """Processes may run in different zones; one moment is one day (UTC) for all of them."""
    early_in_shanghai = datetime(2024, 8, 1, 1, 0, tzinfo=LOCAL_TZ)  # still 31 July in UTC
    assert vote_day(early_in_shanghai) == vote_day(datetime(2024, 7, 31, 17, 0, tzinfo=UTC))
    assert vote_day(early_in_shanghai) == vote_day(datetime(2024, 7, 31, 0, 0, tzinfo=UTC))


def test_vote_data_puts_the_reference_last():
    assert vote_data("kb", "up", "fee-amounts", "abcdefg") == "kb:up:fee-amounts:abcdefg"
    assert vote_data("kb", "dn", "fee-amounts", "abcdefg", "aaaaaaaaa") == "kb:dn:fee-amounts:abcdefg:aaaaaaaaa"


def test_the_secret_is_the_salt_or_random_per_process():
    assert vote_secret("salt") == b"salt"
    assert vote_secret(None) != vote_secret(None)
