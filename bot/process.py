"""Process-wide set-up every long-running command shares: logging with secrets redacted, and the
garbage collector told to skip what start-up built."""

from __future__ import annotations

import gc
import logging


class RedactSecrets(logging.Filter):
    """Replace each secret in a record's message and traceback with ``***`` (records are rewritten
    in place, so every handler after this one sees the redacted text)."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self.secrets = secrets

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed call: the handler reports it ("--- Logging error ---")
            return True
        cleaned = self._clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        return True


def freeze_startup_objects() -> None:
    """Exclude everything built at start-up from later garbage collections.

    The knowledge index, texts, SQLAlchemy metadata and framework classes live as long as the
    process; without this every full collection walks them again (``gc.freeze``, Python ≥ 3.7).
    Call once, after the app and the channel are built and before the first update.
    """
    gc.collect()
    gc.freeze()


def configure_logging(level: str, secrets: tuple[str, ...] = ()) -> None:
    """Log lines to stderr; ``secrets`` (the bot token, the webhook secret) never appear in them.

    The frameworks put request URLs in their error messages, and a Bot API URL carries the token
    (aiogram logs "Failed to fetch updates - …/bot<token>/getUpdates" while Telegram is unreachable).
    """
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    hidden = tuple(s for s in secrets if s)
    if hidden:
        for handler in logging.getLogger().handlers:
            handler.addFilter(RedactSecrets(hidden))
    for noisy in ("aiosqlite", "httpx", "httpcore", "alembic.runtime.migration", "bm25s", "aiogram.event", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
