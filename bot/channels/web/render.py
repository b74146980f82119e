"""History entries → the JSON the page renders (plain text only; the page uses textContent).

An answer's source line (the knowledge base ends answers with it) is split off here so the page can
show it as its own, visually distinct line; the prefixes that mark it are data (``web.source_prefixes``).
"""

from __future__ import annotations

from typing import Any

from bot.channels.web.models import WebMessage
from bot.clock import LOCAL_TZ


def split_source(text: str, prefixes: tuple[str, ...]) -> tuple[str, str]:
    """(body, source line) when the last non-empty line starts with a source prefix, else (text, "")."""
    lines = text.rstrip().split("\n")
    if len(lines) < 2 or not prefixes:
        return text, ""
    last = lines[-1].strip()
    if last.startswith(prefixes):
        return "\n".join(lines[:-1]).rstrip(), last
    return text, ""


def entry(row: WebMessage, prefixes: tuple[str, ...]) -> dict[str, Any]:
    return message(row.payload, row.role, prefixes, row.id, row.created_at.astimezone(LOCAL_TZ).isoformat())


def message(
    payload: dict[str, Any], role: str, prefixes: tuple[str, ...], ident: int | None = None, at: str = ""
) -> dict[str, Any]:
    text = str(payload.get("text", ""))
    body, source = split_source(text, prefixes) if role != "user" else (text, "")
    buttons = [
        [{"text": str(b.get("text", "")), "data": str(b.get("data", ""))} for b in row]
        for row in payload.get("buttons", [])
    ]
    return {"id": ident, "role": role, "text": body, "source": source, "buttons": buttons, "at": at}
