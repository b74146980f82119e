"""Parse Bot API "HTML" parse mode the way Telegram does: allowed tags only, entities decoded.

The emulator rejects what Telegram would reject (an unescaped ``<`` from user text is the classic
bug), so an adapter that forgets to escape fails the end-to-end tests instead of production.
"""

from __future__ import annotations

from html.parser import HTMLParser

ALLOWED_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "span",
     "tg-spoiler", "tg-emoji", "blockquote"}
)


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; the message mirrors Telegram's wording."""


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            raise EntityParseError(f"Bad Request: can't parse entities: Unsupported start tag \"{tag}\"")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise EntityParseError(f"Bad Request: can't parse entities: Unmatched end tag \"{tag}\"")
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(markup: str) -> str:
    """The plain text Telegram would show for ``markup``; raises ``EntityParseError`` when invalid."""
    if "<" not in markup and "&" not in markup:
        return markup
    # A bare "<" followed by a non-tag character is what Telegram rejects outright.
    for i, ch in enumerate(markup):
        if ch == "<":
            nxt = markup[i + 1 : i + 2]
            if not (nxt.isalpha() or nxt == "/"):
                raise EntityParseError(
                    f"Bad Request: can't parse entities: Unexpected character at byte offset {i}"
                )
    parser = _Parser()
    parser.feed(markup)
    parser.close()
    if parser.stack:
        raise EntityParseError(f"Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"{parser.stack[-1]}\"")
    return "".join(parser.parts)
