"""The 资格自测 feature: ``/eligibility``, the main-menu action, the dialog and the verdict.

The dialog runs purely through the conversation core (``DialogEngine``), so Telegram, the terminal
chat and tests share one path. Answers live only in the dialog row while the check is in progress;
the verdict is computed and shown, never stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.clock import LOCAL_TZ
from bot.core.context import Context, Services
from bot.core.feature import Feature, Handler
from bot.core.messages import Button, Outbound
from bot.dialogs.loader import load_dialog
from bot.dialogs.runner import CONTROL_WORDS, DialogEngine
from bot.eligibility.answers import (
    PREFILL_NOTE,
    PREFILL_PAYLOAD,
    describe_facts,
    profile_from_answers,
    whole_years,
)
from bot.eligibility.evaluation import evaluate
from bot.eligibility.render import detail_lines, summary_lines
from bot.eligibility.rulebook import load_rulebook
from bot.storage.user_notes import clear_note, get_note

DIALOG = "eligibility"
PREFIX = "elg"


def text_fn(ctx: Context) -> Callable[..., str]:
    """``ctx.t`` plus the office's news column, which the cycle texts mention."""
    extra = {"news_column": ctx.services.office.news_column}

    def t(key: str, **values: Any) -> str:
        return ctx.t(key, **(extra | values))

    return t


class EligibilityFeature(Feature):
    name = "eligibility"
    dialogs = frozenset({DIALOG})
    dialog_words = CONTROL_WORDS

    def __init__(self, services: Services) -> None:
        root = services.content_root
        self.book = load_rulebook(root)
        self.cycles = services.cycles
        self.engine = DialogEngine(load_dialog(root, DIALOG), PREFIX, {"eligibility_verdict": self.verdict})

    def commands(self) -> dict[str, Handler]:
        return {"eligibility": self.start}

    def callbacks(self) -> dict[str, Handler]:
        return {PREFIX: self.pressed}

    def menu_actions(self) -> dict[str, Handler]:
        return {"eligibility": self.start}

    def bot_commands(self) -> list[tuple[str, str]]:
        return [("eligibility", "commands.eligibility")]

    # ---- handlers ---------------------------------------------------------------------------
    async def start(self, ctx: Context, _args: str) -> list[Outbound]:
        """Resume a check in flight, or begin a new one with a short introduction."""
        state = await ctx.dialog()
        if state is not None and state.dialog == DIALOG:
            return await self.engine.resume_or_start(ctx)
        return await self.engine.start(ctx, note=self._intro(ctx))

    def _intro(self, ctx: Context) -> str:
        return ctx.t("eligibility.intro", max_steps=self.engine.dialog.max_steps)

    async def start_prefilled(self, ctx: Context, token: str) -> list[Outbound]:
        """资格自测 under a personal-case answer: begin with what the question told (kept for the
        user in a short-lived note under the button's token), those questions skipped."""
        note = await get_note(ctx, PREFILL_NOTE)
        answers = note.get("answers") if note is not None and note.get("token") == token else None
        if not isinstance(answers, dict) or not answers:
            state = await ctx.dialog()
            if state is not None and state.dialog == DIALOG:
                # a second press (a double tap, or the button pressed again later) goes on with the
                # check the first one started: starting afresh would drop what the question told
                return [Outbound.toast_only(""), *await self.engine.resume_or_start(ctx)]
            intro = ctx.t("eligibility.prefill.expired") + "\n\n" + self._intro(ctx)
            return [Outbound.toast_only(""), *await self.engine.start(ctx, note=intro)]
        await clear_note(ctx, PREFILL_NOTE)
        prefill = self.engine.usable_prefill(whole_years(answers))
        facts = describe_facts(ctx.t, prefill)
        intro = self._intro(ctx) + "\n" + ctx.t("eligibility.prefill.applied", facts=facts)
        level = note.get("level") if note is not None else None
        if isinstance(level, str) and ctx.services.texts.has(f"eligibility.names.title.{level}"):
            intro += ctx.t("eligibility.prefill.wanted", level=ctx.t(f"eligibility.names.title.{level}"))
        return [Outbound.toast_only(""), *await self.engine.start(ctx, note=intro, prefill=prefill)]

    async def pressed(self, ctx: Context, payload: str) -> list[Outbound]:
        action, _, token = payload.partition(":")
        if action == PREFILL_PAYLOAD:
            return await self.start_prefilled(ctx, token)
        # The core expires idle dialogs on text; a button pressed after a day is expired here too.
        if await ctx.expire_idle_dialog(DIALOG):
            return [Outbound.toast_only(""), Outbound(text=ctx.t("dialog.expired"))]
        return await self.engine.on_callback(ctx, payload)

    async def on_dialog_text(self, ctx: Context, text: str) -> list[Outbound]:
        return await self.engine.on_text(ctx, text)

    async def repeat_question(self, ctx: Context) -> list[Outbound]:
        return await self.engine.repeat_in_new_language(ctx)

    async def verdict(self, ctx: Context, answers: dict[str, Any]) -> list[Outbound]:
        """The terminal action: evaluate the answers and show the verdict with next steps."""
        profile, ce_report = profile_from_answers(answers)
        today = ctx.now.astimezone(LOCAL_TZ).date()
        t = text_fn(ctx)
        view = self.cycles.view(today)
        result = evaluate(profile, self.book, view, today, t, ce_self_report=ce_report, lang=ctx.language)
        row = [Button(text=ctx.t("eligibility.verdict.again_button"), data="menu:eligibility")]
        details = "\n".join(detail_lines(result, t))
        if result.excluded is None:
            # before the deadline: its reminders; after it, word of the next year's notice (someone
            # this review excludes gets neither)
            offer = "reminders" if view is not None and view.is_open else "notices"
            row.append(Button(text=ctx.t(f"eligibility.verdict.{offer}_button"), data="menu:reminders"))
            details += "\n\n" + ctx.t(f"eligibility.verdict.{offer}_offer")
        buttons = [row]
        return [
            Outbound(text="\n".join(summary_lines(result, t))),
            Outbound(text=details, buttons=buttons),
        ]

    # ---- privacy ------------------------------------------------------------------------------
    async def describe_user_data(self, ctx: Context) -> list[str]:
        state = await ctx.dialog()
        if state is None or state.dialog != DIALOG:
            return []
        answers = (state.data or {}).get("answers") or {}
        return [ctx.t("eligibility.privacy.in_progress", count=len(answers))]

    async def forget_user(self, ctx: Context) -> None:
        """Nothing beyond the dialog row (deleted by the core) is kept: no verdicts are stored."""
