"""Application status declares itself."""

from bot.core.feature import FeatureModule, MenuEntry

module = FeatureModule(
    name="status",
    build="bot.status.feature:StatusFeature",
    models=("bot.status.models",),
    checks={"status": "bot.status.workflow:check_status_rules"},
    cli=("bot.status.cli:register",),
    menu=(MenuEntry("status", 30),),
)
