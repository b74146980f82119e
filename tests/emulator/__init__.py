"""Bot API emulator for end-to-end tests and benchmarks; see ``server.py``.

In-process: ``emu = BotApiEmulator(); url = await emu.start()``; out of process:
``EmulatorProcess`` (``python -m tests.emulator``) with the same user-side calls over HTTP.
"""

from tests.emulator.client import TgUser, button_data
from tests.emulator.faults import BLOCKED_DESCRIPTION, Faults, Stats
from tests.emulator.server import BotApiEmulator

__all__ = ["BotApiEmulator", "TgUser", "button_data", "Faults", "Stats", "BLOCKED_DESCRIPTION"]
