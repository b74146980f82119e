"""The core's own declaration: the user/dialog/audit tables, the shared content checks, the basic
menu entries and the pruning of old update ids. The basics feature itself is built by ``bot.app``
(it needs the conversation it belongs to)."""

from bot.core.feature import FeatureModule, MenuEntry

module = FeatureModule(
    name="core",
    models=("bot.storage.models",),
    checks={
        "texts": "bot.content.check:check_texts",
        "translations": "bot.content.texts:check_translations",
        "office": "bot.content.check:check_office",
        "dialogs": "bot.dialogs.linter:check_dialogs",
        "holidays": "bot.reference.workdays:check_holidays",
        "cycles": "bot.reference.cycles:check_cycles",
        "own_words": "bot.content.own_words:check_own_words",
        "later_years": "bot.reference.later_years:check_no_later_years",
    },
    jobs=("bot.storage.housekeeping:prune_job",),
    menu=(MenuEntry("qa", 10), MenuEntry("help", 90)),
)
