"""Application status declares itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.feature import Feature, FeatureModule, MenuEntry

if TYPE_CHECKING:
    from bot.core.context import Services


def build(services: Services) -> Feature:
    """The feature needs no services; imported here so declaring the module stays cheap."""
    from bot.status.feature import StatusFeature

    return StatusFeature()


module = FeatureModule(
    name="status",
    build=build,
    models=("bot.status.models",),
    checks={"status": "bot.status.workflow:check_status_rules"},
    cli=("bot.status.cli:register",),
    menu=(MenuEntry("status", 30),),
)
