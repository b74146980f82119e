"""Pages not built yet: each shows a plain, clearly marked "not yet" page under its final address.

A later phase that builds one of them removes its key from ``NOT_YET`` and adds its own module (with
the same ``NavItem``) to ``bot.console.pages.PAGE_MODULES``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from bot.console.routing import NavItem, Route

if TYPE_CHECKING:
    from bot.console.server import Console

#: key → (address, navigation position)
NOT_YET: dict[str, tuple[str, int]] = {
    "applications": ("/applications", 20),
    "units": ("/units", 60),
}
NAV = tuple(NavItem(key, path, position) for key, (path, position) in NOT_YET.items())


def routes(console: Console) -> list[Route]:
    def page(key: str):  # noqa: ANN202
        async def not_yet(request: web.Request) -> web.StreamResponse:
            return console.render(request, "not_yet.html", title=console.t(f"console.nav.{key}"))

        return not_yet

    return [Route("GET", path, page(key)) for key, (path, _position) in NOT_YET.items()]
