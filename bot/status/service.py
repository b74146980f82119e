"""The status feature's service, in parts, built once per process.

- ``workflow`` / ``rules``: ``rules/status.yaml`` and the dates it implies (``bot.status.workflow``,
  ``bot.status.calendar``)
- ``queries``: read-only lookups (``bot.status.queries``)
- ``commands``: every write — state changes, binding, invites, /forget (``bot.status.commands``)
- ``lockout``: the bind and HR-code lock (``bot.status.lockout``)
- ``cards``: the status card and next steps (``bot.status.cards``)
- ``notices``: the ``StatusChanged`` handler that writes notices into the outbox
  (``bot.status.notices``)

Every part works inside the caller's transaction and keeps no per-call state, so one instance
serves every update; the feature builds it when the app is built (``StatusService.of``).
"""

from __future__ import annotations

from bot.core.context import Services
from bot.status.calendar import StatusCalendar
from bot.status.cards import StatusCards
from bot.status.commands import NOTE_MAX, ChangeOutcome, StatusCommands, StatusInputError
from bot.status.lockout import Lockout, attempt_source, salt_of
from bot.status.notices import Recipients, StatusChanged, StatusNotices
from bot.status.queries import StatusQueries
from bot.status.workflow import TransitionRefused, parse_due


class StatusService:
    """The parts of the status feature, wired together once."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.rules = StatusCalendar.load(services.content_root, services.cycles)
        self.workflow = self.rules.workflow
        self.queries = StatusQueries()
        self.cards = StatusCards(services, self.rules)
        self.notices = StatusNotices(services, self.cards)
        self.lockout = Lockout(services)
        self.commands = StatusCommands(services, self.workflow, self.queries, self.lockout, self.notices.on_changed)

    @classmethod
    def of(cls, services: Services) -> StatusService:
        """The process's one ``StatusService`` (built on first use when no feature built it)."""
        return services.component(cls, lambda: cls(services))

    @property
    def salt(self) -> str:
        return salt_of(self.services)


__all__ = [
    "NOTE_MAX", "ChangeOutcome", "Recipients", "StatusChanged", "StatusInputError", "StatusService", "TransitionRefused",
    "attempt_source", "parse_due",
]
