"""Imports every module that defines tables, so ``Base.metadata`` is complete (tests, Alembic).

Each feature adds one import line here for its models module.
"""

from bot.storage import models  # noqa: F401
