"""Registers the content checkers of each feature with ``bot.content.check``.

One line per feature, e.g. ``register("knowledge", check_knowledge)``.
"""

from bot.content.check import register  # noqa: F401
from bot.knowledge.loader import check_knowledge  # noqa: E402

register("knowledge", check_knowledge)
from bot.rules.workdays import check_holidays  # noqa: E402
from bot.status.workflow import check_status_rules  # noqa: E402

register("status", check_status_rules)
register("holidays", check_holidays)
from bot.dialogs.linter import check_dialogs  # noqa: E402
from bot.rules.cycles import check_cycles  # noqa: E402
from bot.rules.rulebook import check_rulebook  # noqa: E402

register("dialogs", check_dialogs)
register("eligibility_rules", check_rulebook)
register("cycles", check_cycles)
from bot.reminders.rules import check_reminder_rules  # noqa: E402

register("reminders", check_reminder_rules)
from bot.outbox.config import check_outbox_config  # noqa: E402

register("outbox", check_outbox_config)
from bot.channels.web.page import check_web  # noqa: E402

register("web", check_web)
from bot.content.consistency import check_fee_agreement  # noqa: E402

register("consistency", check_fee_agreement)
from bot.content.own_words import check_own_words  # noqa: E402

register("own_words", check_own_words)
from bot.eligibility.coverage import check_inputs  # noqa: E402

register("eligibility_inputs", check_inputs)
from bot.content.consistency import check_no_later_years  # noqa: E402

register("later_years", check_no_later_years)
from bot.knowledge.personal import check_personal_cases  # noqa: E402

register("personal_cases", check_personal_cases)
