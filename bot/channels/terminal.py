"""Terminal chat: the same conversation core, with buttons shown as numbered choices.

Type a number to press the matching button of the last reply, ``/quit`` (or Ctrl-D) to leave.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import TextIO

from bot.core.conversation import Conversation
from bot.core.messages import Button, Inbound, Outbound

CHANNEL = "terminal"


class TerminalChat:
    """Reads lines, hands them to the core, prints replies; no business logic here."""

    def __init__(
        self,
        conversation: Conversation,
        user_id: str = "local",
        out: TextIO | None = None,
        read_line: Callable[[str], str] | None = None,
    ) -> None:
        self.conversation = conversation
        self.user_id = user_id
        self.out = out or sys.stdout
        self.read_line = read_line or input
        self._buttons: list[Button] = []
        self._typed_answer = False

    def render(self, replies: list[Outbound]) -> None:
        for reply in replies:
            if reply.toast:
                print(self.conversation.services.texts.get("terminal.toast", text=reply.toast), file=self.out)
            if reply.text:
                print(reply.text, file=self.out)
            if reply.text or reply.buttons:
                self._typed_answer = reply.expects_typed_answer
            if reply.buttons:
                self._buttons = [b for row in reply.buttons for b in row]
                mark = "#" if reply.expects_typed_answer else ""
                choices = "  ".join(f"[{mark}{i}] {b.text}" for i, b in enumerate(self._buttons, 1))
                print(choices, file=self.out)
            if reply.text or reply.buttons:
                print(file=self.out)

    def to_inbound(self, line: str) -> Inbound:
        """A bare number presses the numbered button of the last reply, unless that reply asked for a
        typed number (then ``#N`` presses a button); anything else is text."""
        stripped = line.strip()
        base = {"channel": CHANNEL, "user_id": self.user_id, "chat_id": self.user_id, "update_id": None}
        if self._typed_answer:
            if not stripped.startswith("#"):
                return Inbound(kind="text", text=line, **base)
            stripped = stripped[1:]
        if stripped.isdigit() and 1 <= int(stripped) <= len(self._buttons):
            button = self._buttons[int(stripped) - 1]
            return Inbound(kind="callback", callback_data=button.data, **base)
        return Inbound(kind="text", text=line, **base)

    async def send(self, line: str) -> list[Outbound]:
        replies = await self.conversation.handle(self.to_inbound(line))
        self.render(replies)
        return replies

    async def run(self, greet: bool = True) -> None:
        if greet:
            await self.send("/start")
        while True:
            try:
                line = await asyncio.to_thread(self.read_line, "> ")
            except (EOFError, KeyboardInterrupt):
                print(file=self.out)
                return
            if line.strip() in {"/quit", "/exit"}:
                return
            await self.send(line)
