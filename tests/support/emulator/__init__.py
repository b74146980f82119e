"""Bot API emulator for end-to-end tests and benchmarks; see ``server.py`` for what it implements.

In-process (tests, benchmarks)::

    emu = BotApiEmulator()
    url = await emu.start()                 # http://127.0.0.1:<random port>; pass as --api-url
    user = TgUser(emu, 1001)
    welcome, menu = await user.say("/start", expect=2)
    answer = await user.press(menu, button_data(menu)["帮助"])   # answerCallbackQuery params
    emu.send_photo(1001); emu.send_document(1001, b"...", "a.xlsx")
    emu.faults.block(1001)                  # 403 "Forbidden: bot was blocked by the user"
    emu.faults.flood(retry_after=2, chat_id=1001, times=1)   # 429 with retry_after
    emu.faults.rate_limit(per_second=30, per_chat_per_second=1)
    emu.faults.stats                        # deliveries per chat, 429s, 403s, duplicates
    await emu.stop()

Out of process: ``EmulatorProcess`` (``python -m tests.support.emulator``) with a JSON control API under
``/_emu/`` (send_text, press, messages, faults, stats).
"""

from tests.support.emulator.client import TgUser, button_data
from tests.support.emulator.faults import BLOCKED_DESCRIPTION, Faults, Stats
from tests.support.emulator.server import BotApiEmulator

__all__ = ["BotApiEmulator", "TgUser", "button_data", "Faults", "Stats", "BLOCKED_DESCRIPTION"]
