"""The console's page modules, in one list: adding a page is one module here and one line below.

Each module exposes ``routes(console) -> list[Route]`` (``bot.console.routing``) and may expose
``NAV: tuple[NavItem, ...]``.
"""

PAGE_MODULES: tuple[str, ...] = (
    "bot.console.pages.signin",
    "bot.console.pages.overview",
    "bot.console.pages.audit",
    "bot.console.pages.accounts",
    "bot.console.pages.applications",
    "bot.console.pages.units",
    "bot.console.pages.imports",
    "bot.console.pages.broadcasts",
    "bot.console.pages.knowledge",
)
