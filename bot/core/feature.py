"""The plug-in shape of a feature (knowledge answers, eligibility, status, reminders…).

The conversation core routes commands, button presses, dialog text and documents to features by
name; a feature never sees the channel. Every hook has a harmless default so features implement only
what they need.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.core.context import Context, Services
from bot.core.messages import Inbound, Outbound

Handler = Callable[[Context, str], Awaitable[list[Outbound]]]


class Feature:
    """Base class; override what applies."""

    name: str = ""
    #: dialog names (``DialogState.dialog``) whose text input this feature handles
    dialogs: frozenset[str] = frozenset()
    #: commands and callback prefixes that may answer in a group (nothing personal in them); all
    #: others answer only in a private chat, so a new command is private unless declared here
    group_commands: frozenset[str] = frozenset()
    group_callbacks: frozenset[str] = frozenset()

    def commands(self) -> dict[str, Handler]:
        """Command name (no slash, lower case) → handler(ctx, arguments)."""
        return {}

    def callbacks(self) -> dict[str, Handler]:
        """Callback prefix (the part before the first ':') → handler(ctx, payload after ':')."""
        return {}

    def menu_actions(self) -> dict[str, Handler]:
        """Main-menu keys (qa, eligibility, status, reminders) this feature serves."""
        return {}

    def bot_commands(self) -> list[tuple[str, str]]:
        """(command, text key of its description) for the channel's command menu."""
        return []

    async def on_dialog_text(self, ctx: Context, text: str) -> list[Outbound] | None:
        """Text typed while the user is inside one of ``dialogs``; None hands it on (the dialog
        is over and the text is a question, a menu label…), routed as if no dialog were open."""
        return []

    def prepare_document(self, inbound: Inbound, services: Services) -> Callable[[], object] | None:
        """Work on a document that needs no database (reading and checking a file), or None.

        The core runs it in a worker thread before the update's transaction, for staff only, and
        hands the result to ``on_document`` as ``ctx.prepared``: a slow file then never holds the
        transaction (on SQLite the one writer turn every other user's update waits for).
        """
        return None

    async def on_document(self, ctx: Context) -> list[Outbound] | None:
        """A document the user sent; None when this feature does not take documents."""
        return None

    async def describe_user_data(self, ctx: Context) -> list[str]:
        """Lines for /privacy: what this feature keeps about the user."""
        return []

    async def forget_user(self, ctx: Context) -> None:
        """Delete or anonymise what this feature keeps about the user (/forget)."""


class FreeTextHandler(Feature):
    """A feature that also answers free text outside any dialog (the knowledge base)."""

    async def answer(self, ctx: Context, text: str) -> list[Outbound]:
        raise NotImplementedError
