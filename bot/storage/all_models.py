"""Imports every module that defines tables, so ``Base.metadata`` is complete (tests, Alembic).

Each feature adds one import line here for its models module.
"""

from bot.outbox import models as outbox_models  # noqa: F401
from bot.storage import models  # noqa: F401
