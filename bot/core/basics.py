"""The commands every user has: /start, /help, /menu, /cancel, /privacy, /forget, /lang and the main menu."""

from __future__ import annotations

from typing import Any

from bot.clock import LOCAL_TZ
from bot.content.texts import LANGUAGES
from bot.core.context import Context
from bot.core.feature import Feature, Handler
from bot.core.messages import Button, Outbound
from bot.core.unit_of_work import DialogRecord

FORGET_DIALOG = "forget"
#: in the forget confirmation's data: the dialog that was open before it, given back on 取消
KEPT_DIALOG = "kept"
#: what ``/lang …`` accepts for each language
LANGUAGE_WORDS = {
    "zh": "zh", "cn": "zh", "chinese": "zh", "中文": "zh", "汉语": "zh", "zh-cn": "zh", "zh-hans": "zh",
    "en": "en", "english": "en", "英文": "en", "英语": "en",
}


def menu_button(ctx: Context, key: str) -> Button:
    """The button of one main-menu action (``menu.<key>`` is its label), usable under any message."""
    return Button(text=ctx.t(f"menu.{key}"), data=f"menu:{key}")


def main_menu(ctx: Context, keys: tuple[str, ...]) -> list[list[Button]]:
    """The main-menu buttons (one per feature module's menu entry), two per row."""
    buttons = [menu_button(ctx, key) for key in keys]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


def _as_kept(state: DialogRecord) -> dict[str, Any]:
    """An open dialog as the forget confirmation keeps it."""
    return {"dialog": state.dialog, "step": state.step, "data": state.data, "version": state.definition_version}


class BasicsFeature(Feature):
    """Welcome, help, menu, cancel and the privacy commands."""

    name = "basics"
    dialogs = frozenset({FORGET_DIALOG})
    # /forget keeps the open dialog inside its confirmation and gives it back on 取消
    keeps_dialogs = frozenset({"cancel", "privacy", "lang", "forget"})
    group_commands = frozenset({"help"})

    def __init__(self) -> None:
        self._conversation = None

    def bind(self, conversation) -> None:  # noqa: ANN001 - avoids an import cycle
        """Give the feature the conversation it belongs to (for menus, privacy and forget)."""
        self._conversation = conversation

    def main_menu(self, ctx: Context) -> list[list[Button]]:
        return main_menu(ctx, self._conversation.menu_keys if self._conversation is not None else ())

    def commands(self) -> dict[str, Handler]:
        return {
            "start": self.start,
            "help": self.help,
            "menu": self.menu,
            "cancel": self.cancel,
            "privacy": self.privacy,
            "forget": self.forget,
            "lang": self.lang,
        }

    def callbacks(self) -> dict[str, Handler]:
        return {"menu": self.menu_pressed, "forget": self.forget_answer, "lang": self.lang_pressed}

    def menu_actions(self) -> dict[str, Handler]:
        return {"qa": self.qa_prompt, "help": self.help}

    def bot_commands(self) -> list[tuple[str, str]]:
        return [
            ("start", "commands.start"),
            ("menu", "commands.menu"),
            ("help", "commands.help"),
            ("cancel", "commands.cancel"),
            ("privacy", "commands.privacy"),
            ("forget", "commands.forget"),
            ("lang", "commands.lang"),
        ]

    # ---- handlers ---------------------------------------------------------------------------
    async def start(self, ctx: Context, _args: str) -> list[Outbound]:
        if ctx.user.consent_at is None:
            await ctx.update_user(consent_at=ctx.now)
        return [
            Outbound(text=ctx.t("start.welcome")),
            Outbound(text=ctx.t("start.menu_prompt"), buttons=self.main_menu(ctx)),
        ]

    async def help(self, ctx: Context, _args: str) -> list[Outbound]:
        return [Outbound(text=ctx.t("help.text"), buttons=self.main_menu(ctx))]

    async def menu(self, ctx: Context, _args: str) -> list[Outbound]:
        return [Outbound(text=ctx.t("start.menu_prompt"), buttons=self.main_menu(ctx))]

    async def qa_prompt(self, ctx: Context, _args: str) -> list[Outbound]:
        return [Outbound(text=ctx.t("qa.prompt"))]

    async def cancel(self, ctx: Context, _args: str) -> list[Outbound]:
        had_dialog = await ctx.clear_dialog()
        key = "cancel.done" if had_dialog else "cancel.nothing"
        return [Outbound(text=ctx.t(key), buttons=self.main_menu(ctx))]

    async def menu_pressed(self, ctx: Context, payload: str) -> list[Outbound]:
        if self._conversation is None or payload not in self._conversation.menu_keys:
            return [Outbound.toast_only(ctx.t("input.stale_button"))]
        replies = await self._conversation.run_menu(ctx, payload)
        return [Outbound.toast_only("")] + replies

    async def privacy(self, ctx: Context, _args: str) -> list[Outbound]:
        user = ctx.user
        since = user.created_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d")
        lines = [
            ctx.t("privacy.header"),
            ctx.t("privacy.user_line", channel=user.channel, role=ctx.t(f"privacy.roles.{user.role}"), since=since),
            ctx.t("privacy.language_line", language=ctx.t(f"lang.names.{ctx.language}")),
        ]
        state = await ctx.dialog()
        if state is not None:
            key = f"privacy.dialog_names.{state.dialog}"
            name = ctx.t(key) if ctx.services.texts.has(key) else state.dialog
            lines.append(ctx.t("privacy.dialog_line", dialog=name))
        extra = await self._conversation.describe_user_data(ctx) if self._conversation else []
        lines.extend(extra or [ctx.t("privacy.none_extra")])
        lines.append(ctx.t("privacy.footer"))
        return [Outbound(text="\n".join(lines))]

    # ---- language ---------------------------------------------------------------------------
    async def lang(self, ctx: Context, args: str) -> list[Outbound]:
        """``/lang`` offers both languages as buttons; ``/lang en`` / ``/lang zh`` switch at once."""
        if not args:
            buttons = [[Button(text=ctx.t("lang.button_zh"), data="lang:zh"),
                        Button(text=ctx.t("lang.button_en"), data="lang:en")]]
            return [Outbound(text=ctx.t("lang.prompt"), buttons=buttons)]
        wanted = LANGUAGE_WORDS.get(args.strip().lower())
        if wanted is None:
            return [Outbound(text=ctx.t("lang.unknown"))]
        return await self.switch_language(ctx, wanted)

    async def lang_pressed(self, ctx: Context, payload: str) -> list[Outbound]:
        if payload not in LANGUAGES:
            return [Outbound.toast_only(ctx.t("input.stale_button"))]
        return [Outbound.toast_only(""), *await self.switch_language(ctx, payload)]

    async def switch_language(self, ctx: Context, language: str) -> list[Outbound]:
        """Store the user's choice, as chosen (``language_chosen``: from now on no message written
        in the other language switches it back; confirming the current language is a choice too).
        The confirmation and the menu are already in the new language."""
        if language == ctx.language:
            if not ctx.user.language_chosen:
                await ctx.update_user(language_chosen=True)
            return [Outbound(text=ctx.t("lang.already"), buttons=self.main_menu(ctx))]
        await ctx.update_user(language=language, language_chosen=True)
        return [Outbound(text=ctx.t("lang.set"), buttons=self.main_menu(ctx))]

    async def forget(self, ctx: Context, _args: str) -> list[Outbound]:
        """Ask for confirmation. A dialog in flight (a self-check half done) is kept inside the
        confirmation, so 取消 gives it back instead of losing it."""
        state = await ctx.dialog()
        kept = (state.data.get(KEPT_DIALOG) if state.dialog == FORGET_DIALOG else _as_kept(state)) if state else None
        await ctx.set_dialog(FORGET_DIALOG, "confirm", {KEPT_DIALOG: kept} if kept else {})
        buttons = [[Button(text=ctx.t("forget.confirm_button"), data="forget:yes"), Button(text=ctx.t("forget.cancel_button"), data="forget:no")]]
        return [Outbound(text=ctx.t("forget.confirm"), buttons=buttons)]

    async def forget_answer(self, ctx: Context, payload: str) -> list[Outbound]:
        state = await ctx.dialog()
        if state is None or state.dialog != FORGET_DIALOG or payload not in {"yes", "no"}:
            return [Outbound.toast_only(ctx.t("input.stale_button"))]
        if payload == "no":
            kept = state.data.get(KEPT_DIALOG)
            if isinstance(kept, dict) and kept.get("dialog") and kept.get("step"):
                await ctx.set_dialog(str(kept["dialog"]), str(kept["step"]), dict(kept.get("data") or {}), str(kept.get("version") or ""))
            else:
                await ctx.clear_dialog()
            return [Outbound(text=ctx.t("forget.kept"), edit=True)]
        if self._conversation is not None:
            await self._conversation.forget_user(ctx)
        user_id = ctx.user.id
        await ctx.clear_dialog()
        await ctx.uow.delete_user(user_id, ctx.now)
        return [Outbound(text=ctx.t("forget.done"), edit=True)]

    async def on_dialog_text(self, ctx: Context, text: str) -> list[Outbound]:
        """Text typed while the forget confirmation is open: ask again with the buttons."""
        return await self.forget(ctx, "")
