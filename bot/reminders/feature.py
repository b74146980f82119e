"""Chat side of reminders: /subscribe, /unsubscribe, the 提醒订阅 menu action, and staff broadcasts.

Broadcast flow (staff only, checked on every step): /broadcast → segment buttons (all, bound
applicants, HR contacts, by level, by state, by unit; ``bot.reminders.audience`` says who each holds) → the text → its English version when some recipients
read English (or a button to go without) → a preview with the recipient counts by language → confirm
→ outbox rows, each in its reader's language; progress and the final report arrive as pushes (``bot.reminders.broadcast``).
/broadcast_cancel stops what has not been sent; /broadcasts lists the history with figures.

Callback data stays short and holds ids only: ``sub:t:<topic>``, ``sub:x:<topic|all>``,
``bc:s:<kind>``, ``bc:l:<level>``, ``bc:st:<state>``, ``bc:u:<unit id>``, ``bc:skip``, ``bc:ok``, ``bc:no``.
Everything pending lives in the dialog state, so a restart between steps loses nothing.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from sqlalchemy import delete, select

from bot.clock import LOCAL_TZ
from bot.content.localized import pick
from bot.core.context import Context, Services
from bot.core.feature import Feature, Handler
from bot.core.messages import Button, Outbound
from bot.core.sanitize import clean_text, small_number
from bot.reminders.audience import SEGMENT_KINDS, Segment, Subscriptions
from bot.reminders.broadcast import (
    TEXT_LIMIT,
    cancel_broadcast,
    count_by_language,
    count_recipients,
    create_broadcast,
    figures,
)
from bot.reminders.definitions import RemindersFile, load_reminder_rules
from bot.reminders.models import Broadcast, ReminderLog, Subscription
from bot.status.models import Unit

DIALOG = "broadcast"
UNIT_BUTTON_LIMIT = 30


class RemindersFeature(Feature):
    name = "reminders"
    dialogs = frozenset({DIALOG})

    def __init__(self, services: Services) -> None:
        self.services = services
        # loaded now, so a broken rules/reminders.yaml stops start-up with file and line, not a reply
        self.rules: RemindersFile = load_reminder_rules(self._root)

    @property
    def _root(self) -> Path:
        return self.services.content_root

    @cached_property
    def workflow(self):  # noqa: ANN201
        from bot.status.workflow import load_workflow

        return load_workflow(self._root)

    @cached_property
    def subscriptions(self) -> Subscriptions:
        return Subscriptions(self.rules)

    def commands(self) -> dict[str, Handler]:
        return {
            "subscribe": self.subscribe,
            "unsubscribe": self.unsubscribe,
            "broadcast": self.broadcast,
            "broadcast_cancel": self.broadcast_cancel,
            "broadcasts": self.broadcast_history,
        }

    def callbacks(self) -> dict[str, Handler]:
        return {"sub": self.sub_pressed, "bc": self.bc_pressed}

    def menu_actions(self) -> dict[str, Handler]:
        return {"reminders": self.subscribe}

    def bot_commands(self) -> list[tuple[str, str]]:
        return [("subscribe", "reminders.commands.subscribe"), ("unsubscribe", "reminders.commands.unsubscribe")]

    # ---- subscriptions -------------------------------------------------------------------------
    async def _view(self, ctx: Context, edit: bool = False, note: str | None = None) -> list[Outbound]:
        lines = [note] if note else []
        lines.append(ctx.t("reminders.subscribe.header"))
        buttons = []
        for topic in self.rules.topics:
            on = await self.subscriptions.is_subscribed(ctx.uow.session, ctx.user, topic.id)
            mark = ctx.t("reminders.subscribe.on_mark" if on else "reminders.subscribe.off_mark")
            label = pick(topic, "label", ctx.language)
            lines.append(ctx.t("reminders.subscribe.line", mark=mark, label=label, description=pick(topic, "description", ctx.language)))
            key = "reminders.subscribe.button_on" if on else "reminders.subscribe.button_off"
            buttons.append([Button(text=ctx.t(key, label=label), data=f"sub:t:{topic.id}")])
        lines.append(ctx.t("reminders.subscribe.footer"))
        return [Outbound(text="\n".join(lines), buttons=buttons, edit=edit)]

    async def subscribe(self, ctx: Context, _args: str) -> list[Outbound]:
        return await self._view(ctx)

    async def unsubscribe(self, ctx: Context, _args: str) -> list[Outbound]:
        active = [t for t in self.rules.topics if await self.subscriptions.is_subscribed(ctx.uow.session, ctx.user, t.id)]
        if not active:
            return [Outbound(text=ctx.t("reminders.unsubscribe.none"))]
        buttons = [[Button(text=ctx.t("reminders.subscribe.button_on", label=pick(t, "label", ctx.language)), data=f"sub:x:{t.id}")]
                   for t in active]
        buttons.append([Button(text=ctx.t("reminders.unsubscribe.all_button"), data="sub:x:all")])
        return [Outbound(text=ctx.t("reminders.unsubscribe.header"), buttons=buttons)]

    async def sub_pressed(self, ctx: Context, payload: str) -> list[Outbound]:
        action, _, topic_id = payload.partition(":")
        if action == "x" and topic_id == "all":
            for topic in self.rules.topics:
                await self.subscriptions.set(ctx.uow.session, ctx.user, topic.id, False, ctx.now)
            return [Outbound.toast_only(""), Outbound(text=ctx.t("reminders.unsubscribe.all_done"), edit=True)]
        topic = self.rules.topic(topic_id)
        if action not in ("t", "x") or topic is None:
            return [Outbound.toast_only(ctx.t("input.stale_button"))]
        on = await self.subscriptions.is_subscribed(ctx.uow.session, ctx.user, topic.id)
        new = False if action == "x" else not on
        await self.subscriptions.set(ctx.uow.session, ctx.user, topic.id, new, ctx.now)
        await ctx.audit("reminders.subscription", subject=topic.id, active=new)
        note = ctx.t("reminders.subscribe.subscribed" if new else "reminders.subscribe.unsubscribed", label=pick(topic, "label", ctx.language))
        return [Outbound.toast_only(note), *await self._view(ctx, edit=True, note=note)]

    # ---- broadcasts ----------------------------------------------------------------------------
    async def _deny(self, ctx: Context, what: str, pressed: bool = False) -> list[Outbound] | None:
        """Staff rights are checked on every step; a refusal is audited. Only a broadcast draft is
        dropped (a user's own self-check stays). A broadcast button pressed by someone with no
        draft was never shown to them (forged): it gets the neutral "button expired", which tells
        nothing about staff functions."""
        if ctx.is_staff:
            return None
        await ctx.audit("broadcast.denied", subject=what)
        state = await ctx.dialog()
        drafting = state is not None and state.dialog == DIALOG
        if drafting:  # staff rights withdrawn mid-draft: the draft goes, and they are told why
            await ctx.clear_dialog()
        elif pressed:
            return [Outbound.toast_only(ctx.t("input.stale_button"))]
        return [Outbound(text=ctx.t("reminders.broadcast.not_staff"))]

    async def broadcast(self, ctx: Context, _args: str) -> list[Outbound]:
        if denied := await self._deny(ctx, "broadcast"):
            return denied
        await ctx.set_dialog(DIALOG, "segment")
        labels = [Button(text=ctx.t(f"reminders.broadcast.segments.{k}"), data=f"bc:s:{k}") for k in SEGMENT_KINDS]
        groups = "\n".join(
            ctx.t("reminders.broadcast.segment_line", label=ctx.t(f"reminders.broadcast.segments.{k}"),
                  who=ctx.t(f"reminders.broadcast.segment_who.{k}"))
            for k in SEGMENT_KINDS
        )
        text = ctx.t("reminders.broadcast.choose_segment", groups=groups)
        return [Outbound(text=text, buttons=[labels[i:i + 2] for i in range(0, 6, 2)])]

    async def bc_pressed(self, ctx: Context, payload: str) -> list[Outbound]:
        if denied := await self._deny(ctx, "broadcast", pressed=True):
            return denied
        state = await ctx.dialog()
        if state is None or state.dialog != DIALOG:
            return [Outbound.toast_only(ctx.t("input.stale_button"))]
        kind, _, value = payload.partition(":")
        if kind == "s" and state.step == "segment":
            return await self._segment_chosen(ctx, value)
        if kind in ("l", "st", "u") and state.step == "value":
            return await self._value_chosen(ctx, kind, value)
        if kind == "skip" and state.step == "text_en":
            return [Outbound.toast_only(""), *await self._preview(ctx, state.data)]
        if kind == "ok" and state.step == "confirm":
            return await self._confirm(ctx, state.data)
        if kind == "no":
            await ctx.clear_dialog()
            return [Outbound.toast_only(""), Outbound(text=ctx.t("reminders.broadcast.cancelled_draft"), edit=True)]
        return [Outbound.toast_only(ctx.t("input.stale_button"))]

    async def _segment_chosen(self, ctx: Context, kind: str) -> list[Outbound]:
        if kind not in SEGMENT_KINDS:
            return [Outbound.toast_only(ctx.t("input.stale_button"))]
        if kind in ("all", "applicants", "hr"):
            return await self._ask_text(ctx, Segment(kind), ctx.t(f"reminders.broadcast.segments.{kind}"))
        if kind == "level":
            buttons = [Button(text=pick(lv, "label", ctx.language), data=f"bc:l:{lv.id}") for lv in self.workflow.levels.values()]
            text = ctx.t("reminders.broadcast.choose_level")
        elif kind == "state":
            buttons = [Button(text=pick(s, "label", ctx.language), data=f"bc:st:{s.id}") for s in self.workflow.states.values()]
            text = ctx.t("reminders.broadcast.choose_state")
        else:
            units = (await ctx.uow.session.execute(select(Unit).order_by(Unit.name).limit(UNIT_BUTTON_LIMIT + 1))).scalars().all()
            if not units:
                await ctx.clear_dialog()
                return [Outbound.toast_only(""), Outbound(text=ctx.t("reminders.broadcast.no_units"))]
            if len(units) > UNIT_BUTTON_LIMIT:
                await ctx.set_dialog(DIALOG, "unit_name")
                return [Outbound.toast_only(""), Outbound(text=ctx.t("reminders.broadcast.type_unit"))]
            buttons = [Button(text=u.name[:40], data=f"bc:u:{u.id}") for u in units]
            text = ctx.t("reminders.broadcast.choose_unit")
        await ctx.set_dialog(DIALOG, "value", {"kind": kind})
        rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
        return [Outbound.toast_only(""), Outbound(text=text, buttons=rows, edit=True)]

    async def _value_chosen(self, ctx: Context, kind: str, value: str) -> list[Outbound]:
        if kind == "l" and value in self.workflow.levels:
            label = ctx.t("reminders.broadcast.segment_level", value=self.workflow.level_label(value))
            return await self._ask_text(ctx, Segment("level", value), label)
        if kind == "st" and value in self.workflow.states:
            label = ctx.t("reminders.broadcast.segment_state", value=self.workflow.label(value))
            return await self._ask_text(ctx, Segment("state", value), label)
        unit_id = small_number(value) if kind == "u" else None
        if unit_id is not None:
            unit = await ctx.uow.session.get(Unit, unit_id)
            if unit is not None:
                label = ctx.t("reminders.broadcast.segment_unit", value=unit.name)
                return await self._ask_text(ctx, Segment("unit", str(unit.id)), label)
        return [Outbound.toast_only(ctx.t("input.stale_button"))]

    async def _ask_text(self, ctx: Context, segment: Segment, label: str) -> list[Outbound]:
        count = await count_recipients(ctx.uow.session, segment, self.subscriptions, self.rules.push_channels)
        await ctx.set_dialog(DIALOG, "text", {"segment": segment.as_dict(), "label": label})
        text = ctx.t("reminders.broadcast.ask_text", segment=label, count=count, limit=TEXT_LIMIT)
        out = [Outbound(text=text)]
        return [Outbound.toast_only(""), *out] if ctx.inbound.kind == "callback" else out

    async def on_dialog_text(self, ctx: Context, text: str) -> list[Outbound]:
        if denied := await self._deny(ctx, "broadcast"):
            return denied
        state = await ctx.dialog()
        if state is None:
            return []
        if state.step == "unit_name":
            unit = await ctx.uow.session.scalar(select(Unit).where(Unit.name == text.strip()))
            if unit is None:
                return [Outbound(text=ctx.t("reminders.broadcast.unit_not_found", name=text.strip()[:50]))]
            label = ctx.t("reminders.broadcast.segment_unit", value=unit.name)
            return await self._ask_text(ctx, Segment("unit", str(unit.id)), label)
        if state.step not in ("text", "text_en"):
            return await self.broadcast(ctx, "")  # buttons expected: show the start again
        body = clean_text(text)
        if not body:
            return [Outbound(text=ctx.t("reminders.broadcast.text_empty"))]
        if len(body) > TEXT_LIMIT:
            return [Outbound(text=ctx.t("reminders.broadcast.text_too_long", length=len(body), limit=TEXT_LIMIT))]
        if state.step == "text_en":
            return await self._preview(ctx, {**state.data, "text_en": body})
        segment = Segment.from_dict(state.data["segment"])
        counts = await count_by_language(ctx.uow.session, segment, self.subscriptions, self.rules.push_channels)
        data = {**state.data, "text": body}
        if counts["en"]:
            await ctx.set_dialog(DIALOG, "text_en", data)
            skip = [[Button(text=ctx.t("reminders.broadcast.skip_english_button"), data="bc:skip")]]
            return [Outbound(text=ctx.t("reminders.broadcast.ask_text_en", count_en=counts["en"], limit=TEXT_LIMIT),
                             buttons=skip)]
        return await self._preview(ctx, data, counts)

    async def _preview(self, ctx: Context, data: dict, counts: dict[str, int] | None = None) -> list[Outbound]:
        """The preview with the recipients by language and what English readers get; then confirm."""
        segment = Segment.from_dict(data["segment"])
        label = data["label"]
        if counts is None:
            counts = await count_by_language(ctx.uow.session, segment, self.subscriptions, self.rules.push_channels)
        count = sum(counts.values())
        if count == 0:
            await ctx.clear_dialog()
            return [Outbound(text=ctx.t("reminders.broadcast.preview_empty", segment=label))]
        await ctx.set_dialog(DIALOG, "confirm", {**data, "count": count})
        lines = [ctx.t("reminders.broadcast.preview", segment=label, count=count, text=data["text"]),
                 ctx.t("reminders.broadcast.preview_languages", count_zh=counts["zh"], count_en=counts["en"])]
        if data.get("text_en"):
            lines.append(ctx.t("reminders.broadcast.preview_english", text_en=data["text_en"]))
        elif counts["en"]:
            lines.append(ctx.t("reminders.broadcast.preview_no_english"))
        buttons = [[Button(text=ctx.t("reminders.broadcast.confirm_button"), data="bc:ok"),
                    Button(text=ctx.t("reminders.broadcast.cancel_button"), data="bc:no")]]
        return [Outbound(text="\n".join(lines), buttons=buttons)]

    async def _confirm(self, ctx: Context, data: dict) -> list[Outbound]:
        segment = Segment.from_dict(data["segment"])
        label = data["label"]
        broadcast = await create_broadcast(
            ctx.uow.session, text=data["text"], segment=segment, segment_label=label, subscriptions=self.subscriptions,
            now=ctx.now, created_by=ctx.user, source="chat", texts=ctx.services.texts, channels=self.rules.push_channels,
            text_en=data.get("text_en"),
        )
        await ctx.clear_dialog()
        await ctx.audit("broadcast.created", subject=str(broadcast.id), segment=segment.as_dict(), total=broadcast.total)
        return [Outbound.toast_only(""),
                Outbound(text=ctx.t("reminders.broadcast.started", id=broadcast.id, count=broadcast.total), edit=True)]

    async def broadcast_cancel(self, ctx: Context, args: str) -> list[Outbound]:
        if denied := await self._deny(ctx, "broadcast_cancel"):
            return denied
        wanted = args.strip().lstrip("#")
        number = small_number(wanted)
        if wanted.isdigit():  # an id was given: that one or none (never the latest instead)
            broadcast = await ctx.uow.session.get(Broadcast, number) if number is not None else None
            if broadcast is None:
                return [Outbound(text=ctx.t("reminders.broadcast.cancel_not_found", id=args.strip()[:12]))]
        else:
            broadcast = await ctx.uow.session.scalar(
                select(Broadcast).where(Broadcast.state == "sending").order_by(Broadcast.id.desc()).limit(1)
            )
        if broadcast is None or broadcast.state != "sending":
            return [Outbound(text=ctx.t("reminders.broadcast.cancel_none"))]
        cancelled = await cancel_broadcast(ctx.uow.session, broadcast, ctx.now)
        fig = await figures(ctx.uow.session, broadcast.id)
        await ctx.audit("broadcast.cancelled", subject=str(broadcast.id), cancelled=cancelled)
        return [Outbound(text=ctx.t("reminders.broadcast.cancel_done", id=broadcast.id, cancelled=cancelled, sent=fig.sent))]

    async def broadcast_history(self, ctx: Context, _args: str) -> list[Outbound]:
        if denied := await self._deny(ctx, "broadcasts"):
            return denied
        rows = (await ctx.uow.session.execute(select(Broadcast).order_by(Broadcast.id.desc()).limit(10))).scalars().all()
        if not rows:
            return [Outbound(text=ctx.t("reminders.broadcast.history_empty"))]
        lines = [ctx.t("reminders.broadcast.history_header")]
        for b in rows:
            fig = await figures(ctx.uow.session, b.id) if b.finished_at is None else None
            lines.append(ctx.t(
                "reminders.broadcast.history_line", id=b.id, when=b.created_at.astimezone(LOCAL_TZ).strftime("%m-%d %H:%M"),
                segment=b.segment_label, state=ctx.t(f"reminders.broadcast.states.{b.state}"), total=b.total,
                sent=fig.sent if fig else b.sent, blocked=fig.blocked if fig else b.blocked,
                failed=fig.failed if fig else b.failed, cancelled=fig.cancelled if fig else b.cancelled,
            ))
        return [Outbound(text="\n".join(lines))]

    # ---- privacy -------------------------------------------------------------------------------
    async def describe_user_data(self, ctx: Context) -> list[str]:
        """The subscriptions stored for the user, and the topics they receive by default without a
        stored choice (通知公告 for everyone): what /privacy shows."""
        stored = dict((await ctx.uow.session.execute(
            select(Subscription.topic, Subscription.active).where(Subscription.user_id == ctx.user.id)
        )).all())
        separator = ctx.t("reminders.privacy_separator")
        lines = []
        if stored:
            labels = [pick(t, "label", ctx.language) for t in self.rules.topics if stored.get(t.id)]
            lines.append(ctx.t("reminders.privacy_line", topics=separator.join(labels) or ctx.t("reminders.privacy_none")))
        defaults = [
            pick(t, "label", ctx.language) for t in self.rules.topics
            if t.id not in stored and await self.subscriptions.is_subscribed(ctx.uow.session, ctx.user, t.id)
        ]
        if defaults:
            lines.append(ctx.t("reminders.privacy_default_line", topics=separator.join(defaults)))
        return lines

    async def forget_user(self, ctx: Context) -> None:
        await ctx.uow.session.execute(delete(Subscription).where(Subscription.user_id == ctx.user.id))
        await ctx.uow.session.execute(delete(ReminderLog).where(ReminderLog.user_id == ctx.user.id))
