"""Registers each feature's commands on the main typer app (ask, eligibility, run, web, status…).

Every feature module exposes ``register(app)``; add one line per feature below. Modules must import
their heavy dependencies inside the command functions, not at module level.
"""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach feature commands. Keep imports here light."""
