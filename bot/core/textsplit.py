"""Split long texts for channels with a length cap (Telegram: 4096 characters).

Telegram counts a message's length in UTF-16 code units, so a character outside the Basic
Multilingual Plane (most emoji) counts twice: a text of 3,500 emoji is 7,000 units long. Lengths here
are measured the same way (``units``), and a cut never falls inside such a character.
"""

from __future__ import annotations

#: the longest text one Telegram message may carry; features that answer at length split to it too,
#: so a reply reaches every channel in the same pieces
TELEGRAM_TEXT_LIMIT = 4096


def units(text: str) -> int:
    """The length of ``text`` as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def _cut(line: str, limit: int) -> tuple[str, str]:
    """The longest head of ``line`` within ``limit`` units (at least one character), and the rest."""
    if len(line) * 2 <= limit or units(line) <= limit:
        return line, ""
    used = 0
    for index, ch in enumerate(line):
        width = 2 if ord(ch) > 0xFFFF else 1
        if used + width > limit:
            index = max(index, 1)
            return line[:index], line[index:]
        used += width
    return line, ""


def split_text(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Split on paragraph, then line, then hard boundaries so no chunk exceeds ``limit`` units."""
    if limit < 2:
        raise ValueError("limit must be at least 2 (one character may take two units)")
    if units(text) <= limit:
        return [text]
    chunks: list[str] = []
    current = ""
    for para in _pieces(text, limit):
        candidate = f"{current}\n\n{para}" if current else para
        if units(candidate) <= limit:
            current = candidate
        else:
            if current:
                chunks.append(current)
            current = para
    if current:
        chunks.append(current)
    return chunks


def _pieces(text: str, limit: int) -> list[str]:
    out: list[str] = []
    for para in text.split("\n\n"):
        if units(para) <= limit:
            out.append(para)
            continue
        line_buf = ""
        for line in para.split("\n"):
            while units(line) > limit:
                if line_buf:
                    out.append(line_buf)
                    line_buf = ""
                head, line = _cut(line, limit)
                out.append(head)
            candidate = f"{line_buf}\n{line}" if line_buf else line
            if units(candidate) <= limit:
                line_buf = candidate
            else:
                out.append(line_buf)
                line_buf = line
        if line_buf:
            out.append(line_buf)
    return out
