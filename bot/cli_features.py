"""Registers each feature's commands on the main typer app (ask, eligibility, run, web, status…).

Every feature module exposes ``register(app)``; add one line per feature below. Modules must import
their heavy dependencies inside the command functions, not at module level.
"""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach feature commands. Keep imports here light."""
    from bot.knowledge.cli import register as register_knowledge

    register_knowledge(app)
    from bot.channels.web.cli import register as register_web

    register_web(app)
    from bot.cli_run import register as register_run

    register_run(app)
    from bot.status.cli import register as register_status

    register_status(app)
    from bot.eligibility.cli import register as register_eligibility

    register_eligibility(app)
    from bot.reminders.cli import register as register_reminders

    register_reminders(app)
