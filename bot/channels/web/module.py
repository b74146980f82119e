"""The web chat declares itself: its history feature, tables, page check and commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.feature import Feature, FeatureModule

if TYPE_CHECKING:
    from bot.core.context import Services


def build(services: Services) -> Feature:
    """The feature needs no services; imported here so declaring the module stays cheap."""
    from bot.channels.web.feature import WebHistoryFeature

    return WebHistoryFeature()


module = FeatureModule(
    name="web",
    build=build,
    models=("bot.channels.web.models",),
    checks={"web": "bot.channels.web.page:check_web"},
    cli=("bot.channels.web.cli:register",),
)
