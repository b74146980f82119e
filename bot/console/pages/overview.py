"""The first page after sign-in (phase 1: who is signed in and what the console will offer)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from bot.console.routing import NavItem, Route

if TYPE_CHECKING:
    from bot.console.server import Console

NAV = (NavItem("overview", "/", 10),)


def routes(console: Console) -> list[Route]:
    async def overview(request: web.Request) -> web.StreamResponse:
        return console.render(request, "overview.html")

    return [Route("GET", "/", overview)]
