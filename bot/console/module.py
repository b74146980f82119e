"""The staff console declares itself: its tables, its texts check and its commands (``console``, ``staff``)."""

from bot.core.feature import FeatureModule

module = FeatureModule(
    name="console",
    models=("bot.console.models",),
    checks={"console": "bot.console.check:check_console"},
    cli=("bot.console.cli:register",),
)
