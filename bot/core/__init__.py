"""The channel-free conversation core. Nothing here imports a Telegram or web framework."""
