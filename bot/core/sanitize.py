"""Clean what users type before anything else sees it: control characters out, length known.

Every channel's inbound text and button data goes through ``clean_inbound`` in the core, so a lone
surrogate (``\\ud800``, which cannot be encoded, stored or logged) or an invisible control character
never reaches a feature, the database or the log. ``mask_personal`` hides what could identify a
person (phone, ID and account numbers, e-mail addresses, names typed into a question) before text is kept anywhere.
"""

from __future__ import annotations

import re
import unicodedata

from bot.core.messages import Inbound
from bot.core.names import mask_names

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
#: what people put between the digit groups of a phone or ID number: spaces (also several, also
#: the ideographic space), dashes, dots, slashes, brackets and their full-width forms
_SEPARATOR = r"[\s\-－—–‐‑.．·・/／\\_()（）\[\]]"
_DIGIT = r"[0-9０-９]"
#: 7 digits or more, with up to three separator characters between any two of them; an ID
#: number's final X included
_LONG_DIGITS = re.compile(rf"(?<!{_DIGIT}){_DIGIT}(?:{_SEPARATOR}{{0,3}}{_DIGIT}){{6,}}(?:{_SEPARATOR}{{0,3}}[xX])?")
MASK = "＊"


def drop_unencodable(text: str) -> str:
    """Lone surrogates out: they cannot be encoded as UTF-8, so no database or log could take them."""
    return _SURROGATE.sub("", text) if _SURROGATE.search(text) else text


def clean_text(text: str) -> str:
    """NFC-normalise, drop control and invisible formatting characters, trim whitespace."""
    text = unicodedata.normalize("NFC", drop_unencodable(text))
    text = _CONTROL.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.strip()


def clean_inbound(inbound: Inbound) -> Inbound:
    """The update with its text, button data and file name cleaned (one place for every channel)."""
    changes: dict[str, object] = {}
    if inbound.text:
        text = clean_text(inbound.text)
        if text != inbound.text:
            changes["text"] = text
    if inbound.callback_data:
        data = _CONTROL.sub("", drop_unencodable(inbound.callback_data))
        if data != inbound.callback_data:
            changes["callback_data"] = data
    attachment = inbound.attachment
    if attachment is not None and attachment.file_name:
        name = _CONTROL.sub("", drop_unencodable(attachment.file_name))
        if name != attachment.file_name:
            changes["attachment"] = attachment.model_copy(update={"file_name": name})
    return inbound.model_copy(update=changes) if changes else inbound


def mask_personal(text: str) -> str:
    """E-mail addresses, long digit runs (whatever separates the groups) and the names people put
    into a question (我叫王小红, 张三明的进度; see ``bot.core.names``) replaced by ＊."""
    text = _EMAIL.sub(MASK, text)
    return mask_names(_LONG_DIGITS.sub(MASK, text), MASK)


#: the longest digit string taken as a row id or page number from a button or command (fits any
#: database integer column; Python's int() would take "²" or a hundred digits and fail later)
ID_DIGITS_MAX = 9


def small_number(text: str) -> int | None:
    """A non-negative id or page number typed by a user or carried by a button, or None.

    Only ASCII digits count, at most ``ID_DIGITS_MAX`` of them: ``str.isdigit`` also accepts
    superscripts (``int("²")`` raises) and no id is longer, so a crafted value is just "not an id".
    """
    if not text or len(text) > ID_DIGITS_MAX or not text.isascii() or not text.isdigit():
        return None
    return int(text)
