"""A test-side user: sends through the emulator and reads the bot's new replies with a cursor."""

from __future__ import annotations

from tests.support.emulator.server import BotApiEmulator


class TgUser:
    """One simulated Telegram user (private chat id = user id)."""

    def __init__(self, emulator: BotApiEmulator, user_id: int, language_code: str | None = None) -> None:
        """``language_code`` is the client's language setting Telegram passes on ("en", "en-US"…)."""
        self.emu = emulator
        self.id = int(user_id)
        if language_code is not None:
            emulator.user_languages[self.id] = language_code
        self._seen = len(emulator.messages_to(self.id))

    def send_text(self, text: str) -> dict:
        return self.emu.send_text(self.id, text)

    async def say(self, text: str, expect: int = 1, timeout: float = 10.0) -> list[dict]:
        """Send ``text`` and return the next ``expect`` messages the bot sends to this chat."""
        self.send_text(text)
        return await self.replies(expect, timeout)

    async def replies(self, n: int = 1, timeout: float = 10.0) -> list[dict]:
        """The next ``n`` messages sent to this chat after the ones already read."""
        messages = await self.emu.wait_for_messages(self.id, self._seen + n, timeout)
        new = messages[self._seen : self._seen + n]
        self._seen += n
        return new

    async def press(self, message: dict, data: str, timeout: float = 10.0) -> dict:
        """Press a button; returns the bot's answerCallbackQuery parameters (waits for them)."""
        update = self.emu.press(self.id, message, data)
        return await self.emu.wait_for_answer(update["callback_query"]["id"], timeout)

    def all_messages(self) -> list[dict]:
        return self.emu.messages_to(self.id)


def button_data(message: dict) -> dict[str, str]:
    """Label → callback data of a message's inline keyboard."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return {b["text"]: b.get("callback_data", "") for row in rows for b in row}
