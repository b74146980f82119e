"""The bot token and webhook secret never reach a log line, whoever logs them (frameworks included)."""

from __future__ import annotations

import io
import logging

from bot.process import RedactSecrets

TOKEN = "123456:AAE-secret-token"


def _logger_into(buffer: io.StringIO) -> logging.Logger:
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets((TOKEN, "hook-secret")))
    logger = logging.getLogger("test.redaction")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger


def test_a_token_in_the_message_its_arguments_or_a_traceback_is_hidden():
    buffer = io.StringIO()
    log = _logger_into(buffer)
    log.error("Failed to fetch updates - %s", f"Can not write request body for http://api/bot{TOKEN}/getUpdates")
    log.warning("secret %s in plain text", "hook-secret")
    try:
        raise ConnectionError(f"http://api/bot{TOKEN}/sendMessage refused")
    except ConnectionError:
        log.exception("send failed")
    text = buffer.getvalue()
    assert TOKEN not in text and "hook-secret" not in text
    assert "http://api/bot***/getUpdates" in text and "secret *** in plain text" in text
    assert "Traceback" in text and "bot***/sendMessage refused" in text  # the traceback is kept, redacted


def test_lines_without_a_secret_are_left_as_they_are():
    buffer = io.StringIO()
    _logger_into(buffer).info("telegram (%s): long polling", "ptb")
    assert buffer.getvalue() == "INFO test.redaction: telegram (ptb): long polling\n"


def test_a_malformed_log_call_is_left_to_loggings_own_error_report(capsys):
    buffer = io.StringIO()
    _logger_into(buffer).warning("two placeholders %s %s", "one")  # the filter must not raise into the caller
    assert buffer.getvalue() == ""
    assert "Logging error" in capsys.readouterr().err
