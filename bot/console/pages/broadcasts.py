"""Broadcasts: compose, preview (recipients per channel and language), confirm, progress, cancel, history.

Everything goes through ``bot.reminders.broadcast`` and ``bot.reminders.audience``, as ``/broadcast``
in chat and ``python -m bot broadcast`` do: the same segments, the same opt-outs and reachability,
one outbox row per recipient written in one transaction, figures counted from the outbox. Delivery
is the bot's outbox worker's job (the processes of ``run`` and ``web``); this page only shows it.
The draft lives in the preview form (hidden fields), so nothing is stored before "confirm", and
"confirm" checks the text and counts the recipients again.

Confirming is idempotent: the preview puts a random one-time key in the confirm form and the
broadcast is inserted carrying it, under a unique index (``Broadcast.confirm_key``). A second submit
of the same form (a double click, a browser retry, the same form sent to another console process)
finds the key taken, in the database and not in memory, and shows the first broadcast's progress;
nothing is sent twice. A form without a key (one from before this check) is sent back to preview.

A draft may carry an English version for the recipients who read English; it is optional, cleaned
and limited like the Chinese text. The preview shows what each group of readers will get, with the
text English readers get built by the same ``text_for`` as the delivery: without an English version,
that is the Chinese text under the one-line English note.
"""

from __future__ import annotations

import re
import secrets
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.console.routing import ConsoleError, NavItem, Route
from bot.content.texts import LANGUAGES, normalize_language
from bot.core.sanitize import clean_text, small_number
from bot.outbox.config import DeliveryConfig, load_delivery_config
from bot.outbox.models import OutboxMessage
from bot.reminders.audience import SEGMENT_KINDS, Segment, Subscriptions, segment_recipient_counts
from bot.reminders.broadcast import TEXT_LIMIT, Figures, cancel_broadcast, create_broadcast, figures, text_for
from bot.reminders.definitions import RemindersFile, load_reminder_rules
from bot.reminders.models import Broadcast
from bot.status.models import Unit
from bot.status.service import StatusService

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.console.server import Console

NAV = (NavItem("broadcast", "/broadcast", 40),)
HISTORY_ROWS = 30
#: seconds between two updates of a running broadcast's progress (htmx polling)
POLL_SECONDS = 1
#: the compose form's fields, carried through the preview as hidden fields
FORM_FIELDS = ("text", "text_en", "kind", "level", "state", "unit", "urgent")
#: the confirm form's one-time key (hidden field), see the module docstring
CONFIRM_KEY = "confirm_key"
_CONFIRM_KEY = re.compile(r"^[A-Za-z0-9_-]{43}$")


@dataclass(frozen=True)
class Draft:
    """A checked broadcast draft: the segment, its label for staff, the Chinese text, the English
    version ("" when there is none), quiet hours or not."""

    segment: Segment
    label: str
    text: str
    urgent: bool
    text_en: str = ""


@dataclass(frozen=True)
class Recipients:
    """How many people a draft reaches, by channel and by the language they read (one query)."""

    by_channel: dict[str, int]
    by_language: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_channel.values())


def shown_state(broadcast: Broadcast, fig: Figures) -> str:
    """The state staff see: a broadcast with every recipient settled is over, even before the bot's
    monitor has stamped it (the monitor runs in the bot process, every second)."""
    if broadcast.state == "sending" and fig.finished:
        return "done"
    return broadcast.state


class BroadcastPages:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.t = console.t

    @cached_property
    def rules(self) -> RemindersFile:
        return load_reminder_rules(self.console.services.content_root)

    @cached_property
    def subscriptions(self) -> Subscriptions:
        return Subscriptions(self.rules)

    @cached_property
    def delivery(self) -> DeliveryConfig:
        return load_delivery_config(self.console.services.content_root)

    def quiet_note(self, which: str) -> str:
        """The sentence saying that quiet hours hold non-urgent pushes now (``preview`` or
        ``progress``), or "" outside them: the outbox worker sends nothing non-urgent then, and
        "0% 发送中" alone looks like a fault."""
        quiet = self.delivery.quiet_hours
        if quiet is None or not quiet.contains(self.console.now()):
            return ""
        values = {"start": quiet.start.strftime("%H:%M"), "end": quiet.end.strftime("%H:%M")}
        return self.t(f"console.broadcast.quiet_{which}", **values)

    @property
    def workflow(self):  # noqa: ANN201
        return StatusService.of(self.console.services).workflow

    # ---- the draft -----------------------------------------------------------------------------
    def texts_of(self, form) -> tuple[str, str, str]:  # noqa: ANN001 - MultiDictProxy
        """The cleaned Chinese text and English version of a form, and what is wrong with them ("" if
        nothing): the Chinese text is required, the English one optional, both within ``TEXT_LIMIT``."""
        text = clean_text(str(form.get("text", "")))
        text_en = clean_text(str(form.get("text_en", "")))
        if not text:
            return text, text_en, self.t("console.broadcast.text_empty")
        if len(text) > TEXT_LIMIT:
            return text, text_en, self.t("console.broadcast.text_too_long", length=len(text), limit=TEXT_LIMIT)
        if len(text_en) > TEXT_LIMIT:
            return text, text_en, self.t("console.broadcast.text_en_too_long", length=len(text_en), limit=TEXT_LIMIT)
        return text, text_en, ""

    async def draft(self, session: AsyncSession, form) -> tuple[Draft | None, str]:  # noqa: ANN001 - MultiDictProxy
        """The draft of a submitted form, or None and the reason (a sentence for the page)."""
        text, text_en, problem = self.texts_of(form)
        if problem:
            return None, problem
        segment, label, problem = await self.segment_of(session, form)
        if segment is None:
            return None, problem
        return Draft(segment, label, text, form.get("urgent") == "1", text_en), ""

    async def segment_of(self, session: AsyncSession, form) -> tuple[Segment | None, str, str]:  # noqa: ANN001
        """The chosen segment and its label for staff, or None, "" and the reason."""
        kind = str(form.get("kind", ""))
        if kind in ("all", "applicants", "hr"):
            return Segment(kind), self.t(f"reminders.broadcast.segments.{kind}"), ""
        if kind == "level":
            value = str(form.get("level", ""))
            if value in self.workflow.levels:
                return Segment("level", value), self.t("reminders.broadcast.segment_level",
                                                       value=self.workflow.level_label(value)), ""
            return None, "", self.t("console.broadcast.choose_level")
        if kind == "state":
            value = str(form.get("state", ""))
            if value in self.workflow.states:
                return Segment("state", value), self.t("reminders.broadcast.segment_state",
                                                       value=self.workflow.label(value)), ""
            return None, "", self.t("console.broadcast.choose_state")
        if kind == "unit":
            unit_id = small_number(str(form.get("unit", "")))
            unit = await session.get(Unit, unit_id) if unit_id is not None else None
            if unit is not None:
                return Segment("unit", str(unit.id)), self.t("reminders.broadcast.segment_unit", value=unit.name), ""
            return None, "", self.t("console.broadcast.choose_unit")
        return None, "", self.t("console.broadcast.choose_segment")

    async def recipients(self, session: AsyncSession, segment: Segment) -> Recipients:
        """The segment's recipients counted by channel and by language, as ``create_broadcast`` will
        choose them (same opt-outs, same reachability, same language rule), counted by the database."""
        counts = await segment_recipient_counts(session, segment, self.subscriptions, self.rules.push_channels)
        channels: Counter[str] = Counter()
        languages: Counter[str] = Counter()
        for (channel, language), n in counts.items():
            channels[channel] += n
            languages[normalize_language(language)] += n
        return Recipients(by_channel={channel: channels.get(channel, 0) for channel in self.rules.push_channels},
                          by_language={lang: languages.get(lang, 0) for lang in LANGUAGES})

    def english_reading(self, draft: Draft) -> str:
        """What an English reader will get for this draft (the English version, or the note + Chinese)."""
        note = self.console.services.texts.get("reminders.broadcast.english_note", "en")
        return text_for("en", draft.text, draft.text_en or None, note)

    # ---- pages ---------------------------------------------------------------------------------
    async def compose_page(self, request: web.Request, status: int = 200, message: str = "",
                           form: dict[str, str] | None = None) -> web.Response:
        async with self.console.db() as session:
            units = (await session.execute(select(Unit).order_by(Unit.name))).scalars().all()
            history = await self.history(session)
        return self.console.render(
            request, "broadcast.html", status=status, message=message, form=form or {}, kinds=SEGMENT_KINDS,
            levels=[(lv.id, lv.label) for lv in self.workflow.data.levels],
            states=[(sid, self.workflow.label(sid)) for sid in self.workflow.states], units=units,
            history=history, limit=TEXT_LIMIT,
        )

    async def history(self, session: AsyncSession) -> list[tuple[Broadcast, Figures, str]]:
        """The latest broadcasts with their figures (live from the outbox while they run)."""
        rows = (await session.execute(select(Broadcast).order_by(Broadcast.id.desc()).limit(HISTORY_ROWS))).scalars().all()
        out = []
        for b in rows:
            if b.finished_at is None:
                fig = await figures(session, b.id)
            else:
                fig = Figures(total=b.total, sent=b.sent, blocked=b.blocked, failed=b.failed, cancelled=b.cancelled,
                              reasons=dict(b.reasons or {}))
            out.append((b, fig, shown_state(b, fig)))
        return out

    async def compose(self, request: web.Request) -> web.StreamResponse:
        return await self.compose_page(request)

    async def preview(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        values = {key: str(form.get(key, "")) for key in FORM_FIELDS}
        async with self.console.db() as session:
            draft, problem = await self.draft(session, form)
            recipients = await self.recipients(session, draft.segment) if draft else None
        if draft is None or recipients is None:
            return await self.compose_page(request, 400, problem, values)
        return self.console.render(request, "broadcast_preview.html", draft=draft, recipients=recipients,
                                   total=recipients.total, english_reading=self.english_reading(draft), form=values,
                                   confirm_key=secrets.token_urlsafe(32),
                                   quiet="" if draft.urgent else self.quiet_note("preview"))

    async def confirmed(self, key: str) -> int | None:
        """The id of the broadcast a confirm form with this key already created, or None."""
        async with self.console.db() as session:
            found = await session.scalar(select(Broadcast.id).where(Broadcast.confirm_key == key))
        return int(found) if found is not None else None

    async def send(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        values = {key: str(form.get(key, "")) for key in FORM_FIELDS}
        if form.get("back"):
            return await self.compose_page(request, form=values)
        key = str(form.get(CONFIRM_KEY, ""))
        if not _CONFIRM_KEY.match(key):
            return await self.compose_page(request, 400, self.t("console.broadcast.preview_again"), values)
        done = await self.confirmed(key)
        if done is not None:
            raise web.HTTPSeeOther(f"/broadcast/{done}")
        try:
            async with self.console.db() as session:
                draft, problem = await self.draft(session, form)
                if draft is not None and not (await self.recipients(session, draft.segment)).total:
                    problem = self.t("console.broadcast.nobody", segment=draft.label)
                elif draft is not None:
                    broadcast = await create_broadcast(
                        session, text=draft.text, segment=draft.segment, segment_label=draft.label,
                        subscriptions=self.subscriptions, now=self.console.now(), source="console",
                        urgent=draft.urgent, channels=self.rules.push_channels, texts=self.console.services.texts,
                        text_en=draft.text_en or None, confirm_key=key,
                    )
                    self.console.audit(session, request, "broadcast_create", target=str(broadcast.id),
                                       details={"segment": draft.segment.as_dict(), "total": broadcast.total,
                                                "urgent": draft.urgent, "english": bool(draft.text_en)})
        except IntegrityError:
            # The same form was confirmed at the same moment elsewhere, and that transaction won.
            done = await self.confirmed(key)
            if done is None:
                raise
            raise web.HTTPSeeOther(f"/broadcast/{done}") from None
        if draft is None or problem:
            return await self.compose_page(request, 400, problem, values)
        raise web.HTTPSeeOther(f"/broadcast/{broadcast.id}")

    async def load(self, session: AsyncSession, request: web.Request) -> Broadcast:
        number = small_number(request.match_info["id"])
        broadcast = await session.get(Broadcast, number) if number is not None else None
        if broadcast is None:
            raise ConsoleError(404, "console.broadcast.not_found")
        return broadcast

    async def progress_context(self, request: web.Request) -> dict[str, object]:
        async with self.console.db() as session:
            broadcast = await self.load(session, request)
            fig = await figures(session, broadcast.id)
            quiet = self.quiet_note("progress") if not fig.finished and broadcast.state == "sending" else ""
            if quiet:  # only while non-urgent rows of this broadcast are waiting
                held = await session.scalar(select(OutboxMessage.id).where(
                    OutboxMessage.broadcast_id == broadcast.id, OutboxMessage.state == "pending",
                    OutboxMessage.urgent.is_(False)).limit(1))
                quiet = quiet if held is not None else ""
        return {"b": broadcast, "fig": fig, "running": not fig.finished, "state": shown_state(broadcast, fig),
                "poll": POLL_SECONDS, "quiet": quiet}

    async def progress_page(self, request: web.Request) -> web.StreamResponse:
        return self.console.render(request, "broadcast_progress.html", **await self.progress_context(request))

    async def progress_fragment(self, request: web.Request) -> web.StreamResponse:
        return self.console.render(request, "broadcast_figures.html", **await self.progress_context(request))

    async def cancel(self, request: web.Request) -> web.StreamResponse:
        async with self.console.db() as session:
            broadcast = await self.load(session, request)
            if broadcast.state == "sending":
                cancelled = await cancel_broadcast(session, broadcast, self.console.now())
                self.console.audit(session, request, "broadcast_cancel", target=str(broadcast.id),
                                   details={"cancelled": cancelled})
        raise web.HTTPSeeOther(f"/broadcast/{broadcast.id}")


def routes(console: Console) -> list[Route]:
    pages = BroadcastPages(console)
    return [
        Route("GET", "/broadcast", pages.compose),
        Route("POST", "/broadcast/preview", pages.preview),
        Route("POST", "/broadcast/send", pages.send),
        Route("GET", r"/broadcast/{id:\d+}", pages.progress_page),
        Route("GET", r"/broadcast/{id:\d+}/progress", pages.progress_fragment),
        Route("POST", r"/broadcast/{id:\d+}/cancel", pages.cancel),
    ]
