"""Split long texts for channels with a length cap (Telegram: 4096 characters)."""

from __future__ import annotations

#: the longest text one Telegram message may carry; features that answer at length split to it too,
#: so a reply reaches every channel in the same pieces
TELEGRAM_TEXT_LIMIT = 4096


def split_text(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Split on paragraph, then line, then hard boundaries so no chunk exceeds ``limit``."""
    if limit < 1:
        raise ValueError("limit must be positive")
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    current = ""
    for para in _pieces(text, limit):
        candidate = f"{current}\n\n{para}" if current else para
        if len(candidate) <= limit:
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
        if len(para) <= limit:
            out.append(para)
            continue
        line_buf = ""
        for line in para.split("\n"):
            while len(line) > limit:
                if line_buf:
                    out.append(line_buf)
                    line_buf = ""
                out.append(line[:limit])
                line = line[limit:]
            candidate = f"{line_buf}\n{line}" if line_buf else line
            if len(candidate) <= limit:
                line_buf = candidate
            else:
                out.append(line_buf)
                line_buf = line
        if line_buf:
            out.append(line_buf)
    return out
