"""The background jobs this feature adds to ``App.background``.

``python -m bot run`` starts each job with the app and the senders by channel name: the reminder
scheduler (writes due reminders into the outbox) and the broadcast monitor (progress edits and final
reports for staff broadcasts). The outbox worker that delivers them is the outbox's own job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import App
    from bot.core.sending import Sender


async def scheduler_job(app: App, senders: dict[str, Sender]) -> None:
    from bot.reminders.scheduler import scheduler_job as run

    await run(app, senders)


async def broadcast_monitor_job(app: App, senders: dict[str, Sender]) -> None:
    from bot.reminders.broadcast import monitor_job as run

    await run(app, senders)


def register_background(app: App) -> None:
    """Add the two jobs once (idempotent, so a rebuilt app does not start them twice)."""
    for job in (scheduler_job, broadcast_monitor_job):
        if job not in app.background:
            app.background.append(job)
