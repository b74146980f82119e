"""The knowledge base in chat: the ``free_text`` handler of the conversation core.

Free text gets one of three replies (see ``matcher``): the answer with its source line and 👍/👎
buttons (a guided answer also starts with a header naming the question it answers and offers the
runner-ups as buttons under "不是这个？"); "您是不是想问" with the top three questions as buttons; or the fallback with the office's
phone and e-mail. Button data carries only an action and an entry id (``kb:a:<id>``, ``kb:up:<id>``,
``kb:dn:<id>``), checked against the loaded entries on arrival. Suggestions and fallbacks are
counted (scrubbed, no user id) for ``python -m bot kb gaps``.
"""

from __future__ import annotations

import logging

from bot.content.loader import ContentError
from bot.core.context import Context, Services
from bot.core.feature import FreeTextHandler, Handler
from bot.core.messages import Button, Outbound
from bot.core.textsplit import split_text
from bot.knowledge.answering import Answerer, Reply
from bot.knowledge.feedback import record_unanswered, record_vote
from bot.knowledge.runtime import load_runtime
from bot.paths import content_root

log = logging.getLogger(__name__)

PREFIX = "kb"
TELEGRAM_LIMIT = 4096
LABEL_LIMIT = 60


class KnowledgeFeature(FreeTextHandler):
    name = "knowledge"

    def __init__(self, services: Services) -> None:
        root = services.extras.get("content_root") or content_root()
        self.answerer: Answerer | None = None
        try:
            self.answerer = Answerer(load_runtime(root), services.t, root)
        except ContentError as exc:
            # A broken knowledge file must not take the whole bot down (status, reminders and the
            # eligibility check still work); questions get the office's contacts meanwhile and
            # `python -m bot check` names the file, line and reason.
            log.warning("knowledge base not loaded: %d content problem(s); run `python -m bot check`", len(exc.problems))

    def callbacks(self) -> dict[str, Handler]:
        return {PREFIX: self.on_button}

    # ---- free text --------------------------------------------------------------------------
    async def answer(self, ctx: Context, text: str) -> list[Outbound]:
        if self.answerer is None:
            return [Outbound(text=ctx.t("knowledge.unavailable"))]
        reply = self.answerer.respond(text, ctx.now)
        if reply.outcome != "answer":
            await record_unanswered(ctx.run_text, text, reply.normalized, reply.outcome, reply.top_entry_id, ctx.now)
        return self.render(ctx, reply)

    def render(self, ctx: Context, reply: Reply) -> list[Outbound]:
        if reply.outcome == "answer" and reply.entry_id:
            chunks = split_text(reply.text, TELEGRAM_LIMIT)
            votes = [
                [
                    Button(text=ctx.t("knowledge.feedback_up"), data=f"{PREFIX}:up:{reply.entry_id}"),
                    Button(text=ctx.t("knowledge.feedback_down"), data=f"{PREFIX}:dn:{reply.entry_id}"),
                ]
            ]
            # a guided answer's runner-ups ("不是这个？") come first, the votes on the answer last
            rows = self._choices(reply) + votes
            return [Outbound(text=c) for c in chunks[:-1]] + [Outbound(text=chunks[-1], buttons=rows)]
        if reply.outcome == "suggest":
            return [Outbound(text=reply.text, buttons=self._choices(reply))]
        return [Outbound(text=reply.text)]

    @staticmethod
    def _choices(reply: Reply) -> list[list[Button]]:
        """One button per offered entry; pressing it answers that entry."""
        return [[Button(text=_label(s.question), data=f"{PREFIX}:a:{s.id}")] for s in reply.suggestions]

    # ---- buttons ----------------------------------------------------------------------------
    async def on_button(self, ctx: Context, payload: str) -> list[Outbound]:
        action, _, entry_id = payload.partition(":")
        entry = self.answerer.entry(entry_id) if self.answerer else None
        if action not in {"a", "up", "dn"} or entry is None:
            return [Outbound.toast_only(ctx.t("input.stale_button"))]
        if action == "a" and self.answerer is not None:
            reply = self.answerer.answer_entry(entry, ctx.now)
            return [Outbound.toast_only(""), *self.render(ctx, reply)]
        await record_vote(ctx.session, entry.id, 1 if action == "up" else -1, ctx.now)
        key = "knowledge.feedback_thanks" if action == "up" else "knowledge.feedback_sorry"
        return [Outbound.toast_only(ctx.t(key))]


def _label(question: str) -> str:
    return question if len(question) <= LABEL_LIMIT else question[: LABEL_LIMIT - 1] + "…"
