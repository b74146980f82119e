"""Registers the content checkers of each feature with ``bot.content.check``.

One line per feature, e.g. ``register("knowledge", check_knowledge)``.
"""

from bot.content.check import register  # noqa: F401
