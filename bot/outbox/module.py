"""The outbox declares its table and its worker (delivers every push, whichever feature wrote it)."""

from bot.core.feature import FeatureModule

module = FeatureModule(
    name="outbox",
    models=("bot.outbox.models",),
    jobs=("bot.outbox.worker:outbox_job",),
)
