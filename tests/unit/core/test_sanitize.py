"""The core's sanitiser: personal numbers masked whatever separates their groups; text and button
data that cannot be encoded never get past the door."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.messages import Attachment, Inbound
from bot.core.sanitize import MASK, clean_inbound, clean_text, mask_personal
from bot.knowledge.feedback import scrub

SEPARATORS = [" ", "  ", "   ", "-", ".", "/", "．", "／", "－", "—", "\u3000", "\t", " - ", "(", ")", "_"]


def digits_of(text: str) -> str:
    return re.sub(r"\D", "", text)


def test_dotted_slashed_and_double_spaced_phones_are_masked():
    for phone in ("138.1234.5678", "138/1234/5678", "138  1234  5678", "138 - 1234 - 5678", "(0532) 8516 1632",
                  "１３８．１２３４．５６７８", "370202 1990 0101 123X"):
        masked = mask_personal(f"我的号码{phone}谢谢")
        assert digits_of(masked) == "" and MASK in masked and masked.endswith(f"{MASK}谢谢"), phone
    assert scrub("电话 138.1234.5678") == f"电话 {MASK}"


def test_years_dates_and_small_numbers_stay():
    assert mask_personal("2024年 5个工作日 360元 第3.2条") == "2024年 5个工作日 360元 第3.2条"


@settings(max_examples=300, deadline=None)
@given(
    groups=st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=6),
    seps=st.lists(st.sampled_from(SEPARATORS), min_size=6, max_size=6),
    digits=st.text(alphabet="0123456789", min_size=11, max_size=11),
    before=st.text(alphabet="我的电话是号码：，请联系abc", max_size=8),
    after=st.text(alphabet="谢谢。急！xyz", max_size=8),
)
def test_no_phone_survives_whatever_the_separators(groups, seps, digits, before, after):
    """An 11-digit number cut into groups and joined by any separators is masked as a whole."""
    parts, start = [], 0
    for size in groups:
        if start >= len(digits):
            break
        parts.append(digits[start:start + size])
        start += size
    parts[-1] += digits[start:]
    written = parts[0] + "".join(seps[i % len(seps)] + part for i, part in enumerate(parts[1:]))
    masked = mask_personal(before + written + after)
    assert digits not in digits_of(masked)
    assert not re.search(r"\d{4}", digits_of(masked.replace(before, "", 1)))


def test_lone_surrogates_and_controls_leave_text_button_data_and_file_names():
    inbound = Inbound(channel="t", user_id="1", chat_id="1", text="a\ud800b\x00",
                      callback_data="unit:\udfff2:0", attachment=Attachment(file_name="x\ud800.csv"))
    cleaned = clean_inbound(inbound)
    assert cleaned.text == "ab" and cleaned.callback_data == "unit:2:0"
    assert cleaned.attachment is not None and cleaned.attachment.file_name == "x.csv"
    cleaned.text.encode(), cleaned.callback_data.encode()
    assert clean_text("\ud800") == ""
