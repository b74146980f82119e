"""Plays a dialog through the conversation core: one step per update, state saved every step.

Stored with ``ctx.set_dialog(name, state, data, version)``: ``data`` holds the answers and the path
taken (``history``), ``version`` the hash of the definition. Because everything lives in the
database row, a restarted process continues where the user stopped; a changed definition restarts
the dialog politely instead of resuming in a state that may no longer mean the same.

Answers known up front (``start(prefill=…)``, e.g. what a question already told) are applied when
their state is reached: the state is recorded in ``history`` as if answered and not asked, so 上一步
still leads back to it (then it is asked, and its prefilled value is used up). The unused rest
waits in ``data["prefill"]``.

Buttons carry ``<prefix>:<step>.<state>.<choice>`` — the step number, the index of the state and the
option index (or ``b`` back, ``r`` restart, ``x`` exit, ``h`` help). A press is honoured only when
step and state match the user's current position. A button of an earlier question of the dialog in
flight brings the current question back (its message may have been lost when the process died
between saving the step and sending the reply); a forged press gets a toast.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Awaitable, Callable
from typing import Any

from bot.core.context import Context
from bot.core.messages import Button, Outbound
from bot.core.numbers import parse_years
from bot.core.sanitize import small_number
from bot.dialogs.schema import ButtonsInput, Dialog, NumberInput, State, TextInput, YesNoInput

Action = Callable[[Context, dict[str, Any]], Awaitable[list[Outbound]]]

T = "dialog_engine"
BACK_WORDS = frozenset({"上一步", "返回", "back", "go back", "previous"})
RESTART_WORDS = frozenset({"重新开始", "重来", "restart", "start over", "start again"})
EXIT_WORDS = frozenset({"退出", "取消", "exit", "quit", "cancel", "stop"})
HELP_WORDS = frozenset({"?", "？", "帮助", "说明", "help"})
#: a label's bracketed gloss (（学士）, (大专)) and the alternatives of a "A / B" label
_LABEL_PARTS = re.compile(r"[（(]([^）)]*)[）)]|\s*/\s*")


def letters_only(text: str) -> str:
    """Letters, digits and ideographs only: a label typed without its commas and brackets."""
    return re.sub(r"[\W_]+", "", text)


def label_parts(label: str) -> set[str]:
    """What a person may type for a button, compared letters-only: the whole label, the part before
    its bracket, the bracket's gloss, and each side of a slash (在职（企业…） → 在职; 内地（大陆）居民 →
    大陆; 没有/不清楚 → 没有, 不清楚; Junior college (大专) → 大专). A part is never a mere piece of a
    word: "bachelor's degree" is no part of "Second bachelor's degree", nor "no" of "not sure"."""
    return {letters_only(p) for p in (label, *_LABEL_PARTS.split(label)) if p} - {""}


#: every word the engine reads itself at any question (see ``Feature.dialog_words``)
CONTROL_WORDS = BACK_WORDS | RESTART_WORDS | EXIT_WORDS | HELP_WORDS
YES_WORDS = frozenset({"是", "是的", "有", "对", "y", "yes"})
NO_WORDS = frozenset({"否", "不是", "没有", "无", "不", "n", "no"})


class InvalidAnswer(Exception):
    """The input does not fit the question; ``reason`` is shown before the question is asked again."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DialogEngine:
    """Runs one dialog definition for a feature; ``actions`` implement its terminal states."""

    def __init__(self, dialog: Dialog, prefix: str, actions: dict[str, Action]) -> None:
        self.dialog = dialog
        self.prefix = prefix
        self.actions = actions

    # ---- entry points ------------------------------------------------------------------------
    async def start(self, ctx: Context, note: str | None = None, prefill: dict[str, Any] | None = None) -> list[Outbound]:
        """Begin at the start state (discarding any earlier answers); ``prefill`` holds answers
        given up front, by answer name: their questions are skipped when reached."""
        if prefill:
            return await self._settle(ctx, [self.dialog.start], {}, self.usable_prefill(prefill), note)
        await self._save(ctx, [self.dialog.start], {})
        return self._ask(ctx, self.dialog.start, 1, note=note)

    async def resume_or_start(self, ctx: Context, note: str | None = None) -> list[Outbound]:
        """Re-ask the current question of a dialog in flight (under ``note``, by default "carrying
        on where you stopped"), or start a new one."""
        position = await self._position(ctx)
        if position is None:
            return await self.start(ctx)
        if position == "changed":
            return await self.start(ctx, note=ctx.t(f"{T}.version_changed"))
        history, answers = position
        note = note or ctx.t(f"{T}.resumed", title=ctx.t(self.dialog.title))
        return self._ask(ctx, history[-1], len(history), note=note, answers=answers)

    async def repeat_in_new_language(self, ctx: Context) -> list[Outbound]:
        """The current question again after the user switched the language (/lang) in the middle."""
        return await self.resume_or_start(ctx, note=ctx.t(f"{T}.language_switched"))

    async def on_text(self, ctx: Context, text: str) -> list[Outbound]:
        position = await self._position(ctx)
        if position is None:
            return await self.start(ctx)
        if position == "changed":
            return await self.start(ctx, note=ctx.t(f"{T}.version_changed"))
        history, answers = position
        word = text.strip().lower()
        if word in BACK_WORDS:
            return await self._back(ctx, history, answers)
        if word in RESTART_WORDS:
            return await self.start(ctx, note=ctx.t(f"{T}.restarted"))
        if word in EXIT_WORDS:
            return await self._exit(ctx)
        current = history[-1]
        if word in HELP_WORDS:
            return self._help(ctx, current, len(history), answers)
        state = self.dialog.states[current]
        try:
            value = self.parse_text(ctx, state, text, answers)
        except InvalidAnswer as exc:
            if not isinstance(state.input, TextInput) and ctx.aside is not None and (aside := await ctx.aside(text)):
                # a question typed in passing (纸质表交到哪) that the knowledge base is sure of: its
                # answer, then this question again, the answers so far kept
                back = ctx.t(f"{T}.aside_back", title=ctx.t(self.dialog.title))
                return aside + self._ask(ctx, current, len(history), note=back, answers=answers)
            return self._ask(ctx, current, len(history), note=exc.reason, answers=answers)
        return await self._advance(ctx, history, answers, value, note=self._rounded_note(ctx, state, text, value))

    async def on_callback(self, ctx: Context, payload: str) -> list[Outbound]:
        stale = [Outbound.toast_only(ctx.t("input.stale_button"))]
        position = await self._position(ctx)
        if position is None:
            return stale
        if position == "changed":
            return [Outbound.toast_only("")] + await self.start(ctx, note=ctx.t(f"{T}.version_changed"))
        history, answers = position
        parts = payload.split(".")
        current = history[-1]
        if len(parts) != 3 or small_number(parts[0]) is None or small_number(parts[1]) is None:
            return stale
        if parts[0] != str(len(history)) or parts[1] != str(self.dialog.state_index(current)):
            # A button of an earlier question of this dialog: the reply that asked the current one
            # may never have arrived (the process died after saving the step), so ask it again.
            return [Outbound.toast_only(ctx.t(f"{T}.stale_reasked"))] + self._ask(ctx, current, len(history), answers=answers)
        code = parts[2]
        state = self.dialog.states[current]
        if code == "b":
            return [Outbound.toast_only("")] + await self._back(ctx, history, answers)
        if code == "r":
            return [Outbound.toast_only("")] + await self.start(ctx, note=ctx.t(f"{T}.restarted"))
        if code == "x":
            return [Outbound.toast_only("")] + await self._exit(ctx)
        if code == "h":
            return [Outbound.toast_only("")] + self._help(ctx, current, len(history), answers)
        choices = self.choices(ctx, state)
        index = small_number(code)
        if index is None or index >= len(choices):
            return stale
        value, label = choices[index]
        echo = Outbound(text=ctx.t(f"{T}.answered", question=ctx.t(state.prompt or ""), answer=label), edit=True)
        return [echo] + await self._advance(ctx, history, answers, value)

    # ---- parsing -----------------------------------------------------------------------------
    def choices(self, ctx: Context, state: State) -> list[tuple[Any, str]]:
        """(value, label) of each button of a buttons or yes/no question."""
        if isinstance(state.input, ButtonsInput):
            return [(o.value, ctx.t(o.label)) for o in state.input.options]
        if isinstance(state.input, YesNoInput):
            return [(True, ctx.t(f"{T}.yes")), (False, ctx.t(f"{T}.no"))]
        return []

    def parse_text(self, ctx: Context, state: State, text: str, answers: dict[str, Any] | None = None) -> Any:
        """The answer a typed text stands for, or ``InvalidAnswer`` with the reason in Chinese."""
        spec = state.input
        typed = unicodedata.normalize("NFKC", text).strip()
        if isinstance(spec, NumberInput):
            return self._number(ctx, spec, typed, answers or {})
        if isinstance(spec, TextInput):
            if len(typed) > spec.max_length:
                raise InvalidAnswer(ctx.t(f"{T}.invalid_too_long", limit=spec.max_length))
            if not re.fullmatch(spec.pattern, typed):
                raise InvalidAnswer(ctx.t(spec.invalid) if spec.invalid else ctx.t(f"{T}.invalid_text"))
            return typed
        lowered = typed.lower()
        if isinstance(spec, YesNoInput):
            if lowered in YES_WORDS:
                return True
            if lowered in NO_WORDS:
                return False
        labelled = [(value, unicodedata.normalize("NFKC", label).strip().lower()) for value, label in self.choices(ctx, state)]
        for value, label in labelled:
            if lowered == label:
                return value
        # a part of one label, as people type it on a phone (在职, 本科, 大陆): that option; a part
        # of several labels is no choice
        compact = letters_only(lowered)
        holding = [value for value, label in labelled if compact in label_parts(label)]
        if len(holding) == 1:
            return holding[0]
        raise InvalidAnswer(ctx.t(f"{T}.invalid_choice"))

    def _number(self, ctx: Context, spec: NumberInput, typed: str, answers: dict[str, Any]) -> int:
        """A typed number within bounds (whole years; a fraction only where the question allows it)."""
        lo, hi = self.number_bounds(spec, answers)
        parsed = parse_years(typed)
        if parsed is None or (parsed.rounded and not spec.rounded_note):
            raise InvalidAnswer(ctx.t(f"{T}.invalid_number", min=lo, max=hi))
        if not lo <= parsed.years <= hi:
            floor = answers.get(spec.min_answer or "")
            if spec.below_answer and isinstance(floor, int | float) and parsed.years < floor:
                raise InvalidAnswer(ctx.t(spec.below_answer, min=lo, max=hi))
            raise InvalidAnswer(ctx.t(f"{T}.invalid_number", min=lo, max=hi))
        return parsed.years

    @staticmethod
    def _rounded_note(ctx: Context, state: State, text: str, value: Any) -> str | None:
        """"3年半" was taken as 3: say that only whole years count."""
        spec = state.input
        if not isinstance(spec, NumberInput) or not spec.rounded_note:
            return None
        parsed = parse_years(text)
        return ctx.t(spec.rounded_note, value=value) if parsed is not None and parsed.rounded else None

    @staticmethod
    def number_bounds(spec: NumberInput, answers: dict[str, Any]) -> tuple[int, int]:
        """[min, max] of a number question, raised to the earlier answer named by ``min_answer``."""
        lo, hi = spec.min if spec.min is not None else 0, spec.max if spec.max is not None else 10**6
        floor = answers.get(spec.min_answer) if spec.min_answer else None
        if isinstance(floor, int | float) and not isinstance(floor, bool):
            lo = max(lo, min(int(floor), hi))
        return lo, hi

    # ---- moves -------------------------------------------------------------------------------
    def next_state(self, current: str, answers: dict[str, Any]) -> str | None:
        for transition in self.dialog.states[current].next:
            if transition.matches(answers):
                return transition.goto
        return None

    async def _advance(self, ctx: Context, history: list[str], answers: dict[str, Any], value: Any,
                       note: str | None = None) -> list[Outbound]:
        current = history[-1]
        answers = {**answers, self.dialog.answer_name(current): value}
        return await self._settle(ctx, history, answers, await self._pending_prefill(ctx), note)

    async def _settle(
        self, ctx: Context, history: list[str], answers: dict[str, Any], prefill: dict[str, Any], note: str | None = None
    ) -> list[Outbound]:
        """Move on from the last state of ``history`` while its answer is known (answered, or
        given up front), then ask the next question or run the terminal action."""
        for _ in range(len(self.dialog.states) + 1):
            current = history[-1]
            name = self.dialog.answer_name(current)
            if name not in answers:
                if name not in prefill or not self.accepts(self.dialog.states[current], prefill[name], answers):
                    break
                answers = {**answers, name: prefill[name]}
                prefill = {k: v for k, v in prefill.items() if k != name}
            target = self.next_state(current, answers)
            if target is None or target not in self.dialog.states:  # the linter rules this out; stay safe
                await ctx.clear_dialog()
                return [Outbound(text=ctx.t(f"{T}.broken"))]
            state = self.dialog.states[target]
            if state.terminal:
                await ctx.clear_dialog()
                action = self.actions.get(state.action or "")
                if action is None:
                    return [Outbound(text=ctx.t(f"{T}.broken"))]
                return ([Outbound(text=note)] if note else []) + await action(ctx, answers)
            history = [*history, target]
        await self._save(ctx, history, answers, prefill)
        return self._ask(ctx, history[-1], len(history), note=note, answers=answers)

    def accepts(self, state: State, value: Any, answers: dict[str, Any] | None = None) -> bool:
        """Whether a value given up front is a valid answer to the state (else it is asked): held to
        the same bounds as a typed one, an earlier answer's floor included (8 years of work is no
        answer after 10 years in the title)."""
        spec = state.input
        if isinstance(spec, ButtonsInput):
            return any(o.value == value and type(o.value) is type(value) for o in spec.options)
        if isinstance(spec, YesNoInput):
            return isinstance(value, bool)
        if isinstance(spec, NumberInput):
            lo, hi = self.number_bounds(spec, answers or {})
            return isinstance(value, int | float) and not isinstance(value, bool) and lo <= value <= hi
        if isinstance(spec, TextInput):
            return isinstance(value, str) and len(value) <= spec.max_length and bool(re.fullmatch(spec.pattern, value))
        return False

    def usable_prefill(self, prefill: dict[str, Any]) -> dict[str, Any]:
        """The given answers whose name is a question of this dialog."""
        names = {self.dialog.answer_name(s) for s, st in self.dialog.states.items() if not st.terminal}
        return {k: v for k, v in prefill.items() if k in names}

    async def _pending_prefill(self, ctx: Context) -> dict[str, Any]:
        state = await ctx.dialog()
        pending = (state.data or {}).get("prefill") if state is not None else None
        return dict(pending) if isinstance(pending, dict) else {}

    async def _back(self, ctx: Context, history: list[str], answers: dict[str, Any]) -> list[Outbound]:
        if len(history) <= 1:
            return self._ask(ctx, history[-1], 1, note=ctx.t(f"{T}.at_start"))
        history = history[:-1]
        kept = {self.dialog.answer_name(s) for s in history[:-1]}
        answers = {k: v for k, v in answers.items() if k in kept}
        await self._save(ctx, history, answers, await self._pending_prefill(ctx))
        return self._ask(ctx, history[-1], len(history), answers=answers)

    async def _exit(self, ctx: Context) -> list[Outbound]:
        await ctx.clear_dialog()
        return [Outbound(text=ctx.t(f"{T}.exited", title=ctx.t(self.dialog.title)))]

    # ---- storage -----------------------------------------------------------------------------
    async def _save(
        self, ctx: Context, history: list[str], answers: dict[str, Any], prefill: dict[str, Any] | None = None
    ) -> None:
        data: dict[str, Any] = {"history": history, "answers": answers}
        if prefill:
            data["prefill"] = prefill
        await ctx.set_dialog(self.dialog.dialog, history[-1], data, version=self.dialog.version)

    async def _position(self, ctx: Context) -> tuple[list[str], dict[str, Any]] | str | None:
        """(history, answers) of this dialog in flight; "changed" when stored under another
        definition (or unreadable); None when the user is not in this dialog."""
        state = await ctx.dialog()
        if state is None or state.dialog != self.dialog.dialog:
            return None
        data = state.data or {}
        history = data.get("history")
        answers = data.get("answers")
        if (
            state.definition_version != self.dialog.version
            or not isinstance(history, list)
            or not history
            or not isinstance(answers, dict)
            or any(h not in self.dialog.states for h in history)
            or history[-1] != state.step
        ):
            return "changed"
        return history, answers

    # ---- rendering ---------------------------------------------------------------------------
    def _data(self, step: int, state_name: str, code: str) -> str:
        return f"{self.prefix}:{step}.{self.dialog.state_index(state_name)}.{code}"

    def _ask(
        self, ctx: Context, state_name: str, step: int, note: str | None = None, answers: dict[str, Any] | None = None
    ) -> list[Outbound]:
        """The question with its hint and buttons; a number's range is the one its answer is held
        to (raised by an earlier answer), so a refusal and the hint under it agree."""
        state = self.dialog.states[state_name]
        choices = self.choices(ctx, state)
        if isinstance(state.input, NumberInput):
            lo, hi = self.number_bounds(state.input, answers or {})
            hint = ctx.t(f"{T}.hint_number", min=lo, max=hi)
        elif isinstance(state.input, TextInput):
            hint = ctx.t(f"{T}.hint_text")
        else:
            hint = ctx.t(f"{T}.hint_buttons")
        body = ctx.t(f"{T}.question", step=step, prompt=ctx.t(state.prompt or ""), hint=hint)
        rows: list[list[Button]] = []
        row: list[Button] = []
        for index, (_value, label) in enumerate(choices):
            row.append(Button(text=label, data=self._data(step, state_name, str(index))))
            if len(row) == 2 or len(label) > 8:
                rows.append(row)
                row = []
        if row:
            rows.append(row)
        rows.append([
            Button(text=ctx.t(f"{T}.nav_back"), data=self._data(step, state_name, "b")),
            Button(text=ctx.t(f"{T}.nav_restart"), data=self._data(step, state_name, "r")),
            Button(text=ctx.t(f"{T}.nav_exit"), data=self._data(step, state_name, "x")),
        ])
        text = f"{note}\n\n{body}" if note else body
        typed = isinstance(state.input, NumberInput | TextInput)
        return [Outbound(text=text, buttons=rows, expects_typed_answer=typed)]

    def _help(self, ctx: Context, state_name: str, step: int, answers: dict[str, Any] | None = None) -> list[Outbound]:
        state = self.dialog.states[state_name]
        explanation = ctx.t(state.help) if state.help else ctx.t(f"{T}.no_help")
        return self._ask(ctx, state_name, step, note=explanation, answers=answers)
