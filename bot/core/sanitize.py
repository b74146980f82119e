"""Clean what users type before anything else sees it: control characters out, length known."""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")


def clean_text(text: str) -> str:
    """NFC-normalise, drop control and invisible formatting characters, trim whitespace."""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.strip()
