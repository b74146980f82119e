"""The web channel's part in /privacy and /forget: it keeps a short history of each web session."""

from __future__ import annotations

from bot.channels.web import history, issued
from bot.core.context import Context
from bot.core.feature import Feature

CHANNEL = "web"


class WebHistoryFeature(Feature):
    """Describes and deletes the web history; does nothing for users of other channels."""

    name = "web"

    def __init__(self) -> None:
        #: session keys whose user just ran /forget in this process; the web channel, which called
        #: the core, takes the key back out and then stores nothing of that exchange
        self._forgotten: set[str] = set()

    def take_forgotten(self, key: str) -> bool:
        if key in self._forgotten:
            self._forgotten.discard(key)
            return True
        return False

    async def describe_user_data(self, ctx: Context) -> list[str]:
        if ctx.user.channel != CHANNEL:
            return []
        n = await history.count(ctx.uow.session, ctx.user.external_id)
        return [ctx.t("web.privacy_line", count=n, days=history.RETENTION_DAYS)]

    async def forget_user(self, ctx: Context) -> None:
        if ctx.user.channel == CHANNEL:
            await history.forget(ctx.uow.session, ctx.user.external_id)
            await issued.revoke(ctx.uow.session, ctx.user.external_id)
            self._forgotten.add(ctx.user.external_id)
