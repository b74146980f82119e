"""Reminders declare themselves: the scheduler writes due reminders into the outbox and the
broadcast monitor reports progress of staff broadcasts."""

from bot.core.feature import FeatureModule, MenuEntry

module = FeatureModule(
    name="reminders",
    build="bot.reminders.feature:RemindersFeature",
    models=("bot.reminders.models",),
    checks={"reminders": "bot.reminders.definitions:check_reminder_rules"},
    cli=("bot.reminders.cli:register",),
    jobs=("bot.reminders.scheduler:scheduler_job", "bot.reminders.broadcast:monitor_job"),
    menu=(MenuEntry("reminders", 40),),
)
