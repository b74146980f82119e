"""``Conversation.handle(inbound) -> list[Outbound]``: the single path every channel uses.

One update = one unit of work (``bot.core.unit_of_work``, opened by storage's ``run_update``): the
update id is recorded (a redelivery is ignored), the user row is loaded or created, the update is
routed to a feature, and dialog state is written before the transaction commits. No exception
escapes: users get a short message in their language, the log gets the exception class and the
channel (never the message text).
"""

from __future__ import annotations

import asyncio
import logging
import os
import traceback
from dataclasses import replace
from datetime import timedelta
from typing import Any

from bot.content.texts import DEFAULT_LANGUAGE, normalize_language
from bot.core.context import DIALOG_IDLE_LIMIT, STAFF_ROLES, Context, Services
from bot.core.feature import Feature, FreeTextHandler, Handler
from bot.core.language import detect_language
from bot.core.locks import KeyedLocks
from bot.core.messages import Inbound, Outbound
from bot.core.sanitize import clean_inbound, clean_text
from bot.core.unit_of_work import DialogRecord, StorageFailed, UnitOfWork, UserRecord

log = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 1000
LAST_SEEN_GRANULARITY = timedelta(minutes=10)


def raised_at(exc: BaseException) -> str:
    """``file.py:line in function`` of the innermost frame of the exception's traceback."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    last = frames[-1]
    return f"{os.path.basename(last.filename)}:{last.lineno} in {last.name}"


#: set in a dialog's data while another feature has the user's attention (see
#: ``Conversation._pause_or_resume_dialog``); the dialog's own next save drops it
PAUSED = "paused"
#: in a dialog's data: the paused dialogs of other features it took the place of (a self-check paused
#: for /bind), oldest first, each as ``{"dialog", "step", "data", "version"}``. A user has one dialog
#: row, so the one in front carries them; when it ends the last comes back, still paused, for its
#: own command or menu item to resume (``Conversation._keep_held``)
HELD = "held"


def _snapshot(state: DialogRecord) -> dict[str, Any]:
    """A dialog as another one holds it (without what it held itself: that moves to the holder)."""
    data = {k: v for k, v in state.data.items() if k != HELD}
    return {"dialog": state.dialog, "step": state.step, "data": data, "version": state.definition_version}


def _held(state: DialogRecord | None) -> list[dict[str, Any]]:
    """The dialogs ``state`` holds; anything malformed is skipped (the data comes from the database)."""
    held = state.data.get(HELD) if state is not None else None
    if not isinstance(held, list):
        return []
    return [h for h in held if isinstance(h, dict) and isinstance(h.get("dialog"), str)
            and isinstance(h.get("step"), str) and isinstance(h.get("data"), dict)]


class Conversation:
    """Routes inbound updates to features; see the module docstring for the guarantees."""

    def __init__(
        self,
        services: Services,
        features: list[Feature],
        free_text: FreeTextHandler | None = None,
        max_concurrency: int | None = None,
        menu_keys: tuple[str, ...] = (),
    ) -> None:
        self.services = services
        self.features = list(features)
        self.free_text = free_text
        if free_text is not None and free_text not in self.features:
            self.features.append(free_text)
        self._commands: dict[str, Handler] = {}
        self._callbacks: dict[str, Handler] = {}
        self._menu: dict[str, Handler] = {}
        self._dialog_owner: dict[str, Feature] = {}
        #: the feature behind each command and menu action: any other one pauses an open dialog
        self._owner: dict[tuple[str, str], Feature] = {}
        self._group_commands: set[str] = set()
        self._group_callbacks: set[str] = set()
        for feature in self.features:
            self._register(feature)
        #: the main menu's buttons in order (from the feature modules' menu entries); by default
        #: every registered menu action in registration order
        self.menu_keys: tuple[str, ...] = menu_keys or tuple(self._menu)
        #: a menu label (in every language: a keyboard may predate a switch) → its menu entry
        self._menu_labels = {label: key for key in reversed(self.menu_keys)
                             for label in services.texts.variants(f"menu.{key}")}
        self._locks = KeyedLocks()
        limit = max_concurrency or services.settings.max_concurrent_updates
        self._slots = asyncio.Semaphore(limit)
        #: documents are read one at a time (each may take the import limits' worth of memory)
        self._documents = asyncio.Semaphore(1)

    # ---- registration -----------------------------------------------------------------------
    def _register(self, feature: Feature) -> None:
        for kind, table, items in (
            ("command", self._commands, feature.commands()),
            ("callback", self._callbacks, feature.callbacks()),
            ("menu", self._menu, feature.menu_actions()),
        ):
            for key, handler in items.items():
                if key in table:
                    raise ValueError(f"{feature.name}: {key!r} is already registered")
                table[key] = handler
                self._owner[(kind, key)] = feature
        for dialog in feature.dialogs:
            self._dialog_owner[dialog] = feature
        self._group_commands |= feature.group_commands
        self._group_callbacks |= feature.group_callbacks

    def menu_action(self, key: str) -> Handler | None:
        return self._menu.get(key)

    def bot_commands(self, lang: str = DEFAULT_LANGUAGE) -> list[tuple[str, str]]:
        """(command, description in ``lang``) pairs for the channel's command menu."""
        texts = self.services.texts
        out: list[tuple[str, str]] = []
        for feature in self.features:
            for command, key in feature.bot_commands():
                out.append((command, texts.get(key, lang)))
        return out

    # ---- entry point ------------------------------------------------------------------------
    async def handle(self, inbound: Inbound) -> list[Outbound]:
        """Handle one update; never raises."""
        texts = self.services.texts
        #: the user's language once their row is read (errors are told in it); Chinese before that
        spoken = [DEFAULT_LANGUAGE]
        try:
            inbound = clean_inbound(inbound)
            async with self._locks.hold(f"{inbound.channel}:{inbound.user_id}"):
                prepared = await self._prepare_document(inbound) if inbound.kind == "document" else None
                async with self._slots:
                    return await self.services.db.run_update(
                        f"user:{inbound.channel}:{inbound.user_id}",
                        lambda uow: self._handle_in_transaction(uow, inbound, prepared, spoken),
                    )
        except (StorageFailed, OSError) as exc:
            cause = exc.cause if isinstance(exc, StorageFailed) else type(exc).__name__
            log.error("storage error while handling %s update: %s", inbound.channel, cause)
            return [Outbound(text=texts.get("errors.storage", spoken[0], **self.services.contact_values()))]
        except Exception as exc:  # noqa: BLE001 - the user must never see a stack trace
            # One line: the class and where it was raised. Not the message (it may quote what the
            # user sent) and not the traceback (crafted input repeated would flood the log).
            log.error("handler failed for a %s %s update: %s at %s", inbound.channel, inbound.kind,
                      type(exc).__name__, raised_at(exc))
            return [Outbound(text=texts.get("errors.internal", spoken[0], **self.services.contact_values()))]

    async def _handle_in_transaction(self, uow: UnitOfWork, inbound: Inbound, prepared: object = None,
                                     spoken: list[str] | None = None) -> list[Outbound]:
        now = self.services.clock.now()
        if inbound.update_id is not None and not await uow.record_update(inbound.channel, str(inbound.update_id), now):
            return []  # a redelivery: handled the first time
        user, dialog, has_notes = await self._load_user(uow, inbound)
        ctx = Context(inbound, user, self.services, uow, dialog=dialog, dialog_known=True, prepared=prepared,
                      has_notes=has_notes)
        if spoken is not None:
            spoken[0] = ctx.language
        return await self._route(ctx)

    async def _load_user(self, uow: UnitOfWork, inbound: Inbound) -> tuple[UserRecord, DialogRecord | None, bool]:
        """The user row, their dialog row and whether they have notes, in one query; creates the
        user on first contact.

        ``last_seen_at`` is refreshed at most every few minutes so a busy user does not turn every
        read-only question into a row update.
        """
        now = self.services.clock.now()
        loaded = await uow.load_turn(inbound.channel, inbound.user_id)
        private = inbound.is_private
        if loaded is None:
            language = normalize_language(inbound.language or self.services.settings.default_language)
            # first seen in a group: no private chat is known yet, so nothing may be pushed to them
            chat_id = inbound.chat_id if private else ""
            created = await uow.create_user(inbound.channel, inbound.user_id, chat_id, language, now, active=private)
            return created, None, False
        user, dialog = loaded.user, loaded.dialog
        changes: dict[str, object] = {}
        if now - user.last_seen_at > LAST_SEEN_GRANULARITY:
            changes["last_seen_at"] = now
        # only the user's private chat is theirs: a group's id must never become where pushes go
        if private and user.chat_id != inbound.chat_id:
            changes["chat_id"] = inbound.chat_id
        if private and (user.blocked or not user.active):  # writing to us again means they unblocked the bot
            changes.update(blocked=False, active=True)
        if changes:
            await uow.update_user(user.id, **changes)
            user = replace(user, **changes)
        return user, dialog, loaded.has_notes

    # ---- routing ----------------------------------------------------------------------------
    async def _route(self, ctx: Context) -> list[Outbound]:
        inbound = ctx.inbound
        if not inbound.is_private:
            return await self._route_shared_chat(ctx)
        if inbound.kind == "callback":
            return await self._route_callback(ctx)
        if inbound.kind == "document":
            for feature in self.features:
                replies = await feature.on_document(ctx)
                if replies is not None:
                    return replies
            return [Outbound(text=ctx.t("input.non_text"))]
        if inbound.kind == "media":
            return [Outbound(text=ctx.t("input.non_text"))]

        text = clean_text(inbound.text)
        if not text:
            return [Outbound(text=ctx.t("input.empty"))]
        if len(text) > MAX_TEXT_LENGTH:
            return [Outbound(text=ctx.t("input.too_long", length=len(text), limit=MAX_TEXT_LENGTH))]
        prefix = await self._expire_idle_dialog(ctx)
        if text.startswith("/"):
            return prefix + await self._route_command(ctx, text)
        state = await ctx.dialog()
        open_dialog = state is not None and not state.data.get(PAUSED)
        owner = self._dialog_owner.get(state.dialog) if state is not None else None
        menu_key = self._menu_key_for_label(text)
        if menu_key is not None and not (open_dialog and owner is not None and text.strip().lower() in owner.dialog_words):
            # a menu label typed (or sent by a reply keyboard) is the menu's, unless the open
            # dialog reads that word itself (帮助 explains the current question)
            return prefix + await self.run_menu(ctx, menu_key)
        held_back: list[Outbound] = []
        if open_dialog:
            if owner is None:
                await ctx.clear_dialog()  # a dialog nobody owns any more: drop it quietly
            else:
                if self.free_text is not None:
                    free_text = self.free_text
                    ctx.aside = lambda typed: free_text.answer(ctx, typed, quiet=True)
                replies = await owner.on_dialog_text(ctx, text)
                held_back = await self._keep_held(ctx, state)
                if replies is not None:
                    return prefix + replies + held_back
        prefix += await self._follow_written_language(ctx, text)
        if self.free_text is None:
            return prefix + [Outbound(text=ctx.t("fallback.not_ready"))] + held_back
        return prefix + await self.free_text.answer(ctx, text) + held_back

    async def _follow_written_language(self, ctx: Context, text: str) -> list[Outbound]:
        """A question written clearly in the other language switches the user to it, with one line
        (in the new language) saying so and how to switch back. Only questions count: a dialog's
        typed answers are numbers and codes, and a message that does not tell (digits, emoji, "ok",
        an acronym, pinyin, letters that spell no English word) keeps the language; a message with
        Chinese in it is Chinese (``bot.core.language``), so a Chinese user is never switched by an
        English acronym or by "asdfgh". The written language is a guess: a language the user chose
        themselves (/lang, the web page's toggle: ``language_chosen``) is never changed by it. Such
        a user's question in the other language is still understood: this one message is answered
        in the language it was written in (the knowledge base of each language reads its own), with
        a line saying that their choice stands and how to change it."""
        written = detect_language(text)
        if written is None or written == ctx.language:
            return []
        if ctx.user.language_chosen:
            chosen = ctx.language
            ctx.user = replace(ctx.user, language=written)  # this turn only: nothing is stored
            return [Outbound(text=ctx.t("lang.answered_once", chosen=ctx.t(f"lang.names.{chosen}")))]
        await ctx.update_user(language=written)
        return [Outbound(text=ctx.t("lang.switched"))]

    async def _route_shared_chat(self, ctx: Context) -> list[Outbound]:
        """A group, supergroup or channel: only what is not personal answers there (questions to the
        knowledge base, /help); everything else gets a short "write to me privately". Dialogs are
        not continued (a step's answer may be personal) and files are not taken."""
        inbound = ctx.inbound
        private_only = [Outbound(text=ctx.t("input.private_only"))]
        if inbound.kind == "callback":
            prefix = inbound.callback_data.partition(":")[0]
            if prefix in self._group_callbacks and len(inbound.callback_data.encode()) <= 64:
                return await self._route_callback(ctx)
            return [Outbound.toast_only(ctx.t("input.private_only"))]
        if inbound.kind == "media":
            return []  # a photo in a group is not addressed to the bot
        if inbound.kind == "document":
            return private_only
        text = clean_text(inbound.text)
        if not text or len(text) > MAX_TEXT_LENGTH:
            return []
        if text.startswith("/"):
            name = text.partition(" ")[0][1:].split("@", 1)[0].lower()
            if name in self._group_commands:
                return await self._route_command(ctx, text)
            return private_only if name in self._commands else []
        if self._menu_key_for_label(text) is not None or self.free_text is None:
            return private_only
        # members talking among themselves (哈哈, 收到, 明天开会) get no "nothing found": only a message
        # that names the bot or replies to it gets every reply, the rest only a sure answer
        return await self.free_text.answer(ctx, text, quiet=not inbound.addressed)

    async def _expire_idle_dialog(self, ctx: Context) -> list[Outbound]:
        if await ctx.expire_idle_dialog():
            return [Outbound(text=ctx.t("dialog.expired"))]
        return []

    async def _route_command(self, ctx: Context, text: str) -> list[Outbound]:
        head, _, args = text.partition(" ")
        name = head[1:].split("@", 1)[0].lower()
        handler = self._commands.get(name)
        if handler is None:
            shown = head if len(head) <= 32 else head[:32] + "…"
            return [Outbound(text=ctx.t("help.unknown_command", command=shown))]
        owner = self._owner.get(("command", name))
        paused = await self._pause_or_resume_dialog(ctx, owner, name)
        prior = await ctx.dialog()
        language = ctx.language
        replies = await handler(ctx, args.strip())
        replies = await self._in_new_language(ctx, language, replies)
        return paused + replies + await self._keep_held(ctx, prior, self._displacing(owner, name))

    async def _route_callback(self, ctx: Context) -> list[Outbound]:
        data = ctx.inbound.callback_data
        prefix, _, payload = data.partition(":")
        handler = self._callbacks.get(prefix)
        if handler is None or len(data.encode()) > 64:
            return [Outbound.toast_only(ctx.t("input.stale_button"))]
        prior = await ctx.dialog()
        owner = self._owner.get(("callback", prefix))
        if prior is not None and self._dialog_owner.get(prior.dialog) is not owner:
            # a button of a dialog held under the one in front (the self-check's, pressed while a
            # /bind is open) brings that dialog forward, as its command or menu item would
            if await self._bring_held_forward(ctx, prior, owner):
                prior = await ctx.dialog()
        language = ctx.language
        replies = await handler(ctx, payload)
        replies = await self._in_new_language(ctx, language, replies)
        return replies + await self._keep_held(ctx, prior)

    async def _in_new_language(self, ctx: Context, before: str, replies: list[Outbound]) -> list[Outbound]:
        """After /lang (or its button) switched the language in the middle of a dialog: the dialog's
        current question again, in the new language, instead of the main menu under the
        confirmation (the question's buttons are what the user answers next)."""
        if ctx.language == before:
            return replies
        state = await ctx.dialog()
        owner = self._dialog_owner.get(state.dialog) if state is not None and not state.data.get(PAUSED) else None
        question = await owner.repeat_question(ctx) if owner is not None else []
        if not question:
            return replies
        return [r.model_copy(update={"buttons": []}) for r in replies] + question

    def _menu_key_for_label(self, text: str) -> str | None:
        return self._menu_labels.get(text)

    async def run_menu(self, ctx: Context, key: str) -> list[Outbound]:
        handler = self._menu.get(key)
        if handler is None:
            return [Outbound(text=ctx.t("input.feature_unavailable"))]
        owner = self._owner.get(("menu", key))
        paused = await self._pause_or_resume_dialog(ctx, owner, key)
        prior = await ctx.dialog()
        replies = await handler(ctx, "")
        return paused + replies + await self._keep_held(ctx, prior, self._displacing(owner, key))

    async def _pause_or_resume_dialog(self, ctx: Context, owner: Feature | None, key: str) -> list[Outbound]:
        """Another feature's command or menu item pauses the open dialog: what the user types next
        is for that feature (a question after 问答), not an answer the dialog would refuse. The
        dialog keeps its place; its own command or menu item (or any of its buttons) resumes it.

        When the feature's own dialog is held under the one in front (``HELD``: the self-check under
        a /bind started while it was paused), its command or menu item brings it to the front and
        holds the other one, paused, in its place."""
        if owner is not None and key in owner.keeps_dialogs:
            return []
        state = await ctx.dialog()
        if state is None:
            return []
        mine = self._dialog_owner.get(state.dialog) is owner
        if mine and state.data.get(PAUSED):
            data = {k: v for k, v in state.data.items() if k != PAUSED}
            await ctx.set_dialog(state.dialog, state.step, data, state.definition_version)
        elif not mine:
            if await self._bring_held_forward(ctx, state, owner):
                return [] if state.data.get(PAUSED) else [Outbound(text=ctx.t("dialog.paused"))]
            if not state.data.get(PAUSED):
                await ctx.set_dialog(state.dialog, state.step, {**state.data, PAUSED: True}, state.definition_version)
                return [Outbound(text=ctx.t("dialog.paused"))]
        return []

    async def _bring_held_forward(self, ctx: Context, state: DialogRecord, owner: Feature | None) -> bool:
        """When ``owner``'s dialog is held under ``state`` (the self-check under a /bind), put it in
        front, resumed, and hold ``state`` paused in its place; whether it did."""
        held = _held(state)
        back = next((h for h in reversed(held) if owner is not None and self._dialog_owner.get(h["dialog"]) is owner), None)
        if back is None:
            return False
        front = _snapshot(state)
        front["data"][PAUSED] = True
        data = {k: v for k, v in back["data"].items() if k != PAUSED}
        data[HELD] = [*(h for h in held if h is not back), front]
        await ctx.set_dialog(back["dialog"], back["step"], data, str(back.get("version") or ""))
        return True

    @staticmethod
    def _displacing(owner: Feature | None, key: str) -> Feature | None:
        """The feature whose command or menu item ran, when a dialog it starts may take the place of
        a paused one (None for /cancel, /forget… which leave dialogs to themselves)."""
        return None if owner is None or key in owner.keeps_dialogs else owner

    async def _keep_held(self, ctx: Context, prior: DialogRecord | None, owner: Feature | None = None) -> list[Outbound]:
        """After a handler ran: the paused dialogs of other features stay with the user, whatever it
        did to the dialog in front (one row per user, so that row carries them, ``HELD``).

        ``prior`` is the dialog row the handler found; ``owner`` the feature of the command or menu
        item that ran (None for a button, a dialog's text, /cancel…). A dialog that feature starts in
        place of another feature's paused one holds that one. The held dialogs go on with each step
        the dialog in front saves (a step writes its data afresh); when it ends (done, cancelled,
        exited), the last held one comes back, still paused, with a word on how to resume it. A
        dialog the feature started and ended within the same turn (``/bind NUMBER TAIL``) leaves
        the paused one where it was. A dialog idle past the limit takes its held ones with it, and a
        button or /forget that puts another dialog in front keeps what it needs itself (/forget
        keeps the whole row in its confirmation)."""
        if prior is None:
            return []
        after = await ctx.dialog()
        held = _held(prior)
        displaced = owner is not None and bool(prior.data.get(PAUSED)) and self._dialog_owner.get(prior.dialog) is not owner
        if after is None:
            if prior.updated_at is not None and ctx.now - prior.updated_at > DIALOG_IDLE_LIMIT:
                return []
            if displaced:  # started and finished in this turn: the paused dialog stays as it was
                await ctx.set_dialog(prior.dialog, prior.step, dict(prior.data), prior.definition_version)
                return []
            if not held:
                return []
            back = held[-1]
            data = {**back["data"], PAUSED: True, HELD: held[:-1]}
            await ctx.set_dialog(back["dialog"], back["step"], data, str(back.get("version") or ""))
            return [Outbound(text=ctx.t("dialog.paused"))]
        if HELD in after.data:
            return []  # carried on by the handler itself (a step built from the row's data), or settled
        if after.dialog == prior.dialog:
            keep = held
        elif displaced:
            keep = [*held, _snapshot(prior)]
        elif owner is not None and self._dialog_owner.get(prior.dialog) is owner:
            keep = held  # the feature moved on to another of its own dialogs
        else:
            return []
        keep = [h for h in keep if h["dialog"] != after.dialog]
        if keep:
            await ctx.set_dialog(after.dialog, after.step, {**after.data, HELD: keep}, after.definition_version)
        return []

    # ---- documents ----------------------------------------------------------------------------
    async def _prepare_document(self, inbound: Inbound) -> object:
        """A staff member's document, read before the update's transaction (see
        ``Feature.prepare_document``), one at a time, in a worker thread so the event loop keeps
        answering everyone else meanwhile."""
        attachment = inbound.attachment
        if attachment is None or attachment.content is None or not await self.wants_document(inbound):
            return None
        for feature in self.features:
            work = feature.prepare_document(inbound, self.services)
            if work is not None:
                async with self._documents:
                    return await asyncio.to_thread(work)
        return None

    async def wants_document(self, inbound: Inbound) -> bool:
        """Whether a document from this sender is worth downloading: only staff send files (the
        status import), so anyone else's is declined by the core without fetching it. One read
        outside any update transaction; an unknown sender is not staff."""
        if self.services.is_configured_staff(inbound.channel, inbound.user_id):
            return True
        try:
            role = await self.services.db.role_of(inbound.channel, inbound.user_id)
        except (StorageFailed, OSError) as exc:
            cause = exc.cause if isinstance(exc, StorageFailed) else type(exc).__name__
            log.warning("role lookup for a %s document failed: %s", inbound.channel, cause)
            return False
        return role in STAFF_ROLES

    # ---- used by the basics feature ---------------------------------------------------------
    async def describe_user_data(self, ctx: Context) -> list[str]:
        lines: list[str] = []
        for feature in self.features:
            lines.extend(await feature.describe_user_data(ctx))
        # the paused dialogs held under the one in front are kept too (their answers with them)
        for held in _held(await ctx.dialog()):
            key = f"privacy.dialog_names.{held['dialog']}"
            name = ctx.t(key) if ctx.services.texts.has(key) else held["dialog"]
            lines.append(ctx.t("privacy.dialog_line", dialog=name))
        return lines

    async def forget_user(self, ctx: Context) -> None:
        for feature in self.features:
            await feature.forget_user(ctx)
