"""Splitting long replies for Telegram's 4096-character cap."""

from hypothesis import given
from hypothesis import strategies as st

from bot.core.textsplit import split_text, units


def test_short_text_is_one_chunk():
    assert split_text("abc") == ["abc"]


def test_splits_on_paragraphs():
    paras = ["甲" * 3000, "乙" * 3000, "丙" * 100]
    chunks = split_text("\n\n".join(paras))
    assert chunks == [paras[0], paras[1] + "\n\n" + paras[2]]


@given(st.text(min_size=0, max_size=20000), st.integers(min_value=2, max_value=5000))
def test_no_chunk_exceeds_limit_and_nothing_is_lost(text, limit):
    chunks = split_text(text, limit)
    assert all(units(c) <= limit for c in chunks)
    assert "".join(chunks).replace("\n", "") == text.replace("\n", "")


def test_emoji_count_twice_as_telegram_counts_them():
    # 3,000 emoji are 6,000 UTF-16 units: over one message, though under 4,096 characters
    text = "👍" * 3000
    chunks = split_text(text)
    assert len(chunks) == 2 and all(units(c) <= 4096 for c in chunks) and "".join(chunks) == text
    assert split_text("评审费" * 1000) == ["评审费" * 1000]  # 3,000 units: one message
