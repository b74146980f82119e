"""The plug-in shape of a feature (knowledge answers, eligibility, status, reminders…).

The conversation core routes commands, button presses, dialog text and documents to features by
name; a feature never sees the channel. Every hook has a harmless default so features implement only
what they need.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # not at run time: declaring a module (``--help``) must not load the ORM
    from bot.core.context import Context, Services
    from bot.core.messages import Inbound, Outbound

Handler = Callable[["Context", str], Awaitable[list["Outbound"]]]


class Feature:
    """Base class; override what applies."""

    name: str = ""
    #: dialog names (``DialogState.dialog``) whose text input this feature handles
    dialogs: frozenset[str] = frozenset()
    #: words the feature's dialogs read themselves (上一步, 帮助…), even where a menu item has the
    #: same label: typed inside the dialog they are the dialog's, anywhere else the menu's
    dialog_words: frozenset[str] = frozenset()
    #: commands and menu actions of this feature that leave an open dialog as it is, unpaused:
    #: /cancel ends it itself, /privacy and /lang only read or set something beside it
    keeps_dialogs: frozenset[str] = frozenset()
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

    async def repeat_question(self, ctx: Context) -> list[Outbound]:
        """The open dialog's current question again (after the language changed under it); [] when
        the feature has nothing to repeat."""
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

    async def answer(self, ctx: Context, text: str, quiet: bool = False) -> list[Outbound]:
        """The reply to free text; with ``quiet`` (group chatter not addressed to the bot) only a
        sure answer, else nothing at all, and nothing is recorded."""
        raise NotImplementedError


#: ``"package.module:attribute"``, imported only when used (so ``--help`` stays fast), or the object
Ref = str | Callable[..., Any]


def resolve(ref: Ref) -> Any:
    """The object a ``Ref`` names; a callable is returned as it is (tests pass their own)."""
    if not isinstance(ref, str):
        return ref
    module, _, attribute = ref.partition(":")
    return getattr(importlib.import_module(module), attribute)


def without_services(ref: Ref) -> Callable[[Services], Feature]:
    """A ``build`` for a feature whose constructor takes no arguments (imported when built)."""

    def build(_services: Services) -> Feature:
        return resolve(ref)()

    return build


@dataclass(frozen=True)
class MenuEntry:
    """A main-menu button: ``menu.<key>`` is its label and the feature's ``menu_actions()[key]``
    its handler; buttons are shown by ``position`` (lowest first), two per row."""

    key: str
    position: int


@dataclass(frozen=True)
class FeatureModule:
    """Everything a feature package declares about itself, in one object (``bot/<feature>/module.py``).

    ``bot/app.py`` lists the modules once, in routing order; the app, Alembic's environment,
    ``python -m bot check``, the command line and the main menu all loop over that list, so adding a
    feature is one package and one line there. References are strings so that declaring a module
    imports nothing heavy. Privacy hooks are the built feature's ``describe_user_data`` and
    ``forget_user``.
    """

    name: str
    #: builds the conversation feature from the services (None: a module without one, e.g. the outbox)
    build: Ref | None = None
    #: the built feature also answers free text outside any dialog (at most one module)
    answers_free_text: bool = False
    #: modules whose import defines this feature's tables on ``Base.metadata``
    models: tuple[str, ...] = ()
    #: content checker name → ``(root) -> list[ContentProblem]``
    checks: Mapping[str, Ref] = field(default_factory=dict)
    #: ``register(typer_app)`` functions adding this feature's commands
    cli: tuple[Ref, ...] = ()
    #: background jobs ``(app, senders_by_channel) -> None`` started beside a channel's update loop
    jobs: tuple[Ref, ...] = ()
    #: names of the terminal actions this feature's dialogs may call (checked by the dialog linter)
    dialog_actions: frozenset[str] = frozenset()
    menu: tuple[MenuEntry, ...] = ()
