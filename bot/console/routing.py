"""How console pages declare themselves: routes with the access they need, and navigation entries.

A page module (``bot/console/pages/<page>.py``) exposes ``routes(console) -> list[Route]`` and may
expose ``NAV``; ``bot/console/pages/__init__.py`` lists the modules once. The server wraps every
handler in the checks its ``access`` asks for, so a handler never repeats them. Kept free of aiohttp
so that its imports stay light.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import MultipartReader, web

from bot.channels.web.http_common import Refusal
from bot.console.sessions import SignedIn

#: public: no account (sign-in, setup link); staff: any signed-in account; admin: admins only
Access = Literal["public", "staff", "admin"]
Handler = Callable[[Any], Awaitable[Any]]


@dataclass(frozen=True)
class Route:
    """One URL of a page. A POST route (any method but GET) always requires the CSRF token.

    ``streamed``: the body is a multipart form the handler reads as a stream (a file upload), so
    it may be far larger than the forms the server parses whole. A plain form post (no script)
    then carries its token as the form's first field, which the guard reads alone before leaving
    the rest of the stream to the handler (``MULTIPART_READER``)."""

    method: str
    path: str
    handler: Handler
    access: Access = "staff"
    streamed: bool = False


@dataclass(frozen=True)
class NavItem:
    """An entry of the navigation bar: its text is ``console.nav.<key>``; shown by ``position``."""

    key: str
    path: str
    position: int
    access: Access = "staff"


class ConsoleError(Refusal):
    """An expected refusal shown as a page: HTTP status and the text key of its message."""


#: what the guard puts on a request: the signed-in account (staff and admin routes)
SIGNED_IN = web.RequestKey("signed_in", SignedIn)
#: a streamed route's form after the guard has read its CSRF field (absent when the token came
#: in a header: the handler opens the stream itself)
MULTIPART_READER = web.RequestKey("multipart_reader", MultipartReader)
#: public routes: the CSRF token of the signed-out forms, and a new anchor cookie to set
SIGNED_OUT_CSRF = web.RequestKey("signed_out_csrf", str)
NEW_PRE_TOKEN = web.RequestKey("new_pre_token", str)


def signed_in(request: web.Request) -> SignedIn:
    """The account of a request to a ``staff`` or ``admin`` route (the guard has put it there)."""
    return request[SIGNED_IN]
