"""How console pages declare themselves: routes with the access they need, and navigation entries.

A page module (``bot/console/pages/<page>.py``) exposes ``routes(console) -> list[Route]`` and may
expose ``NAV``; ``bot/console/pages/__init__.py`` lists the modules once. The server wraps every
handler in the checks its ``access`` asks for, so a handler never repeats them. Kept free of aiohttp
so that ``python -m bot check`` can read the navigation cheaply.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from bot.console.sessions import SignedIn

#: public: no account (sign-in, setup link); staff: any signed-in account; admin: admins only
Access = Literal["public", "staff", "admin"]
Handler = Callable[[Any], Awaitable[Any]]


@dataclass(frozen=True)
class Route:
    """One URL of a page. A POST route (any method but GET) always requires the CSRF token."""

    method: str
    path: str
    handler: Handler
    access: Access = "staff"


@dataclass(frozen=True)
class NavItem:
    """An entry of the navigation bar: its text is ``console.nav.<key>``; shown by ``position``."""

    key: str
    path: str
    position: int
    access: Access = "staff"


class ConsoleError(Exception):
    """An expected refusal shown as a page: HTTP status and the text key of its message."""

    def __init__(self, status: int, key: str, **values: Any) -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.values = values


def signed_in(request: Any) -> SignedIn:
    """The account of a request to a ``staff`` or ``admin`` route (the guard has put it there)."""
    return request["signed_in"]
