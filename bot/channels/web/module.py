"""The web chat declares itself: its history feature, tables, page check and commands."""

from bot.core.feature import FeatureModule, without_services

module = FeatureModule(
    name="web",
    build=without_services("bot.channels.web.feature:WebHistoryFeature"),
    models=("bot.channels.web.models",),
    checks={"web": "bot.channels.web.page:check_web"},
    cli=("bot.channels.web.cli:register",),
)
