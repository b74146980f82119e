"""What channels hand to the core (``Inbound``) and what the core hands back (``Outbound``).

Texts in ``Outbound`` are plain text: adapters escape them for their medium (HTML for Telegram and
the web), so user-supplied text can never inject markup.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

InboundKind = Literal["text", "callback", "media", "document"]
#: where the update was written: only a private chat is the user's own (web and terminal always are)
ChatType = Literal["private", "group", "supergroup", "channel"]


class Attachment(BaseModel):
    """A file the user sent (for staff imports). ``content`` is filled only when the adapter fetched it."""

    model_config = ConfigDict(frozen=True)
    file_name: str = ""
    mime_type: str = ""
    size: int = 0
    content: bytes | None = None


class Inbound(BaseModel):
    """One thing a user did: sent text, pressed a button, or sent something that is not text."""

    model_config = ConfigDict(frozen=True)
    channel: str
    user_id: str
    chat_id: str
    kind: InboundKind = "text"
    text: str = ""
    callback_data: str = ""
    update_id: str | None = None
    #: the language the client asks for ("zh" or "en": Telegram's language_code en*, the browser's
    #: Accept-Language or the page's toggle); it sets a new user's language, after which the user's
    #: stored choice (/lang, writing in English) decides
    language: str = "zh"
    media_type: str = ""
    attachment: Attachment | None = None
    #: the client's network address where the channel knows it (the web: the peer, or
    #: X-Forwarded-For behind a trusted proxy). Limits that a new cookie must not reset use it.
    client_address: str = ""
    chat_type: ChatType = "private"
    #: in a shared chat: the message names the bot (@its_username) or replies to one of its messages.
    #: Anything else there is members talking among themselves, which the bot answers only when it
    #: is sure of the answer (a private chat is always addressed to the bot)
    addressed: bool = False

    @property
    def is_private(self) -> bool:
        return self.chat_type == "private"


class Button(BaseModel):
    """An inline button; ``data`` is a short id (≤ 64 bytes) verified by the core on arrival."""

    model_config = ConfigDict(frozen=True)
    text: str
    data: str = Field(max_length=64)


class Outbound(BaseModel):
    """One reply. ``edit`` asks the adapter to edit the message the pressed button belongs to;
    ``toast`` is shown as the answer to a button press (no message is sent when ``text`` is empty)."""

    model_config = ConfigDict(frozen=True)
    text: str = ""
    buttons: list[list[Button]] = Field(default_factory=list)
    edit: bool = False
    toast: str | None = None
    document: Attachment | None = None
    #: the reply asks for a typed answer (a number or free text): channels that map digits to
    #: buttons (the terminal) must then pass a bare number through as text
    expects_typed_answer: bool = False
    #: the user's turn this answers held a secret (an ID tail, an invite code): a channel that keeps
    #: a copy of the user's turn (the web history) stores this text in its place
    input_mask: str | None = None

    @classmethod
    def toast_only(cls, toast: str) -> Outbound:
        return cls(text="", toast=toast)
