"""The eligibility self-check declares itself, with the dialog action its verdict runs as."""

from bot.core.feature import FeatureModule, MenuEntry
from bot.eligibility.answers import SELF_CHECK_MENU_KEY

module = FeatureModule(
    name="eligibility",
    build="bot.eligibility.feature:EligibilityFeature",
    checks={"eligibility_rules": "bot.eligibility.rulebook_check:check_rulebook", "eligibility_inputs": "bot.eligibility.coverage:check_inputs"},
    cli=("bot.eligibility.cli:register",),
    dialog_actions=frozenset({"eligibility_verdict"}),
    menu=(MenuEntry(SELF_CHECK_MENU_KEY, 20),),
)
