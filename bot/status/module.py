"""Application status declares itself."""

from bot.core.feature import FeatureModule, MenuEntry, without_services

module = FeatureModule(
    name="status",
    build=without_services("bot.status.feature:StatusFeature"),
    models=("bot.status.models",),
    checks={"status": "bot.status.workflow:check_status_rules"},
    cli=("bot.status.cli:register",),
    menu=(MenuEntry("status", 30),),
)
