"""The outbox declares its table, its config check (``rules/outbox.yaml``) and its worker (delivers
every push, whichever feature wrote it)."""

from bot.core.feature import FeatureModule

module = FeatureModule(
    name="outbox",
    models=("bot.outbox.models",),
    checks={"outbox": "bot.outbox.config:check_outbox_config"},
    jobs=("bot.outbox.worker:outbox_job",),
)
