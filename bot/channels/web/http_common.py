"""What the two browser-facing applications (web chat, staff console) share over HTTP: the
security headers, and the refusal a handler raises to answer with a status and a worded message.

Both serve only their own files and call only their own origin, so they share one strict policy:
no inline script or style, no framing, no referrer, no camera or location. They differ in one
directive: the console posts forms to itself, the chat page posts none.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web


def security_headers(form_action: str) -> dict[str, str]:
    """The headers every response carries; ``form_action`` is the CSP source list forms may post to."""
    return {
        "Content-Security-Policy": (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
            f"form-action {form_action}; base-uri 'none'; frame-ancestors 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        "Cross-Origin-Opener-Policy": "same-origin",
    }


def add_headers(response: web.StreamResponse, headers: dict[str, str]) -> None:
    """``headers`` on ``response``, except those a handler has set itself."""
    for name, value in headers.items():
        response.headers.setdefault(name, value)


class Refusal(Exception):
    """An expected refusal: HTTP status and the text key (with its values) of the message shown to
    the user; each application words and renders it its own way."""

    def __init__(self, status: int, key: str, **values: Any) -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.values = values
