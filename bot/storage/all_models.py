"""Imports every module that defines tables, so ``Base.metadata`` is complete (tests, Alembic).

Each feature adds one import line here for its models module.
"""

from bot.channels.web import models as web_models  # noqa: F401
from bot.knowledge import models as knowledge_models  # noqa: F401
from bot.outbox import models as outbox_models  # noqa: F401
from bot.reminders import models as reminder_models  # noqa: F401
from bot.status import models as status_models  # noqa: F401
from bot.storage import models  # noqa: F401
