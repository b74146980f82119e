"""职称助手: a chat assistant for the Industrial Internet engineering title review.

The package is split into a channel-free core (``bot.core``), storage (``bot.storage``),
content loading (``bot.content``) and thin channel adapters (``bot.channels``).
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
