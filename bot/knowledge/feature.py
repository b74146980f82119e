"""The knowledge base in chat: the ``free_text`` handler of the conversation core.

Free text gets one of three replies (see ``matcher``): the answer with its source line and 👍/👎
buttons (a guided answer also starts with a header naming the question it answers and
offers the runner-ups as buttons under "不是这个？"); "您是不是想问" with the top three questions as
buttons; or the fallback with the office's phone and e-mail. Button data carries only an action, an entry id, on the votes the
answer's vote token, and, where the press teaches something, the reference of the question it was
shown for (``kb:a:<id>:<ref>``, ``kb:up:<id>:<token>``, ``kb:dn:<id>:<token>:<ref>``), checked
against the loaded entries and the stored references on arrival. A vote counts only with a token
the bot issued for that answer in that chat, once per voter (``bot.knowledge.feedback``): a made-up,
another chat's or an old one gets a short "not recorded" and stores nothing.
Suggestions and fallbacks are counted (scrubbed, no user id) for ``python -m bot kb gaps``; a
suggestion pressed, or a rephrase answered after 👎, becomes a phrasing candidate for
``python -m bot kb learn`` (see ``bot.knowledge.learning``). A personal-case question (我本科毕业8年
能报中级吗, see ``bot.knowledge.personal``) gets the level's rule and a 资格自测 button that starts the
self-check with the facts it told, kept meanwhile in a short-lived note of the user.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from datetime import timedelta

from bot.content.loader import ContentError
from bot.core.basics import menu_button
from bot.core.context import Context, Services
from bot.core.feature import FreeTextHandler, Handler
from bot.core.messages import Button, Outbound
from bot.core.textsplit import TELEGRAM_TEXT_LIMIT, split_text
from bot.eligibility.answers import (
    PREFILL_NOTE,
    PREFILL_TTL_HOURS,
    SELF_CHECK_MENU_KEY,
    prefill_button_data,
)
from bot.knowledge.answering import Answerer, Reply
from bot.knowledge.assistant_questions import ACKNOWLEDGED, AssistantQuestion, AssistantQuestions
from bot.knowledge.daily import DailyTally
from bot.knowledge.feedback import (
    VOTE_MAX_AGE,
    VOTES_NOTE,
    first_vote,
    question_key,
    record_unanswered,
    record_vote,
    scrub,
    vote_data,
    vote_day,
    vote_issued_on,
    vote_secret,
    vote_token,
)
from bot.knowledge.learning import (
    REPHRASE_NOTE,
    REPHRASE_WINDOW,
    QuestionRefs,
    question_of,
    record_candidate,
    valid_ref,
)
from bot.knowledge.personal import (
    PersonalCases,
    load_english_personal_cases,
    personal_case,
    personal_cases_of,
    personal_reply,
)
from bot.knowledge.runtime import load_runtime
from bot.reference.documents import describe
from bot.storage.user_notes import clear_note, forget_notes, get_note, set_note

log = logging.getLogger(__name__)

PREFIX = "kb"
LABEL_LIMIT = 60
#: a few digits (and X), nothing else: an ID tail or a code typed in the wrong place, never a
#: question worth keeping for ``kb gaps``
_BARE_CODE = re.compile(r"[0-9０-９xX\s]{1,12}")
#: a pressed suggestion teaches only when its entry is among this many candidates of the question
LEARN_DEPTH = 5


class KnowledgeFeature(FreeTextHandler):
    name = "knowledge"
    #: answers and votes are the same for everybody: fine in a group
    group_callbacks = frozenset({PREFIX})

    def __init__(self, services: Services) -> None:
        self.services = services
        self.answerer: Answerer | None = None
        self.personal: PersonalCases | None = None
        self.personal_en: PersonalCases | None = None
        #: questions about the assistant itself, answered with a pointer to its features
        self.assistant = AssistantQuestions()
        #: the English answerer, built at the first English question (Chinese users never pay for it)
        self._english: Answerer | None = None
        self._english_failed = False
        self._english_lock = asyncio.Lock()
        self.refs = QuestionRefs()
        self.daily = DailyTally()
        salt = services.settings.hash_salt
        self._vote_secret = vote_secret(salt.get_secret_value() if salt is not None else None)
        try:
            self.replace_content(*self.load_content())
        except ContentError as exc:
            # A broken knowledge file must not take the whole bot down (status, reminders and the
            # eligibility check still work); questions get the office's contacts meanwhile and
            # `python -m bot check` names the file, line and reason.
            log.warning("knowledge base not loaded: %d content problem(s); run `python -m bot check`", len(exc.problems))

    def load_content(self) -> tuple[Answerer, PersonalCases, PersonalCases | None, AssistantQuestions]:
        """The knowledge base, its matcher, the personal cases (Chinese, English) and the questions
        about the assistant, read and validated from the content root; raises ``ContentError`` (and
        changes nothing) when they do not validate."""
        root = self.services.content_root
        answerer = Answerer(load_runtime(root), self.services.t, self.services.cycles)
        kb = answerer.runtime.kb
        personal = personal_cases_of(root, kb)
        english = load_english_personal_cases(root, personal, set(kb.by_id))
        return answerer, personal, english, AssistantQuestions.load(root)

    def replace_content(
        self,
        answerer: Answerer,
        personal: PersonalCases,
        personal_en: PersonalCases | None,
        assistant: AssistantQuestions,
    ) -> None:
        """Answer with new content from now on (``bot.knowledge.reload``): plain assignments, so an
        update being answered keeps the objects it already holds; the English answerer is built
        again from the new content at the next English question."""
        self.answerer, self.personal, self.personal_en = answerer, personal, personal_en
        self.assistant = assistant
        self._english, self._english_failed = None, False

    def callbacks(self) -> dict[str, Handler]:
        return {PREFIX: self.on_button}

    def commands(self) -> dict[str, Handler]:
        return {"sources": self.sources}

    def bot_commands(self) -> list[tuple[str, str]]:
        return [("sources", "commands.sources")]

    async def sources(self, ctx: Context, _args: str) -> list[Outbound]:
        """Every document the answers and the self-check rest on: what is known, what is missing."""
        answerer = await self.answerer_for(ctx.language)
        if answerer is None:
            return [Outbound(text=ctx.t("knowledge.unavailable"))]
        text = describe(answerer.runtime.kb.documents.values(), ctx.t)
        return [Outbound(text=chunk) for chunk in split_text(text, TELEGRAM_TEXT_LIMIT)]

    async def answerer_for(self, language: str) -> Answerer | None:
        """The answerer of the turn's language: English questions are matched against the English
        knowledge base and answered in English; None when that language's content does not load.

        The English index is built at the first English question, in a worker thread so that other
        users' updates are not held up meanwhile (once per process)."""
        if language != "en":
            return self.answerer
        if self._english is None and not self._english_failed and self.answerer is not None:
            async with self._english_lock:
                if self._english is None and not self._english_failed:
                    await self._build_english()
        return self._english

    async def _build_english(self) -> None:
        from bot.knowledge.en_runtime import EnglishAnswerer, load_english_runtime

        services = self.services

        def t(key: str, **values: object) -> str:
            return services.t(key, "en", **values)

        try:
            runtime = await asyncio.to_thread(load_english_runtime, services.content_root)
        except ContentError as exc:
            self._english_failed = True
            log.warning("English knowledge base not loaded: %d content problem(s); run `python -m bot check`", len(exc.problems))
            return
        self._english = EnglishAnswerer(runtime, t, services.cycles)

    # ---- free text --------------------------------------------------------------------------
    async def answer(self, ctx: Context, text: str, quiet: bool = False) -> list[Outbound]:
        answerer = await self.answerer_for(ctx.language)
        if answerer is None:
            return [] if quiet else [Outbound(text=ctx.t("knowledge.unavailable"))]
        english = ctx.language == "en"
        if self.assistant.acknowledges(text, ctx.language):
            # 收到, 好的谢谢: no question, so neither "nothing found" nor a gap for staff
            return [] if quiet else [Outbound(text=ctx.t(ACKNOWLEDGED))]
        reply = answerer.respond(text, ctx.now)
        if quiet and (reply.outcome != "answer" or reply.guided):
            return []  # group chatter the bot is not sure it can answer: silence, and no gap recorded
        personal = self.personal_en if english else self.personal
        case = personal_case(personal, text, reply)
        if case is not None:
            reply = personal_reply(answerer, case, reply, ctx.now, ctx.t, english=english)
        elif (reply.outcome != "answer" or reply.guided) and (about := self.assistant.find(text, ctx.language)):
            # 你能干啥, 怎么删除我的信息: no gap of the knowledge base, a question about this assistant
            # (a guided answer is a guess, and "please delete my data" is no question on the notices)
            return [self._about_assistant(ctx, about)]
        self.daily.add(reply.outcome, ctx.now)
        if self.daily.due(ctx.now):
            await self.daily.flush(ctx.uow.execute, ctx.now)
        stored = reply.normalized
        if scrub(text) != text:
            # normalising drops the @ and dots that mark an e-mail address, so scrubbing the
            # normalised text would keep it: the stored key is the scrubbed question's normal form
            stored = answerer.matcher.score(scrub(text)).normalized
        if reply.outcome != "answer" and not _BARE_CODE.fullmatch(text.strip()):
            await record_unanswered(ctx.uow.execute, text, stored, reply.outcome, reply.top_entry_id, ctx.now)
        ref = None
        # the learning loop writes phrasings into the Chinese entries: English questions stay out
        if (reply.outcome in ("answer", "suggest") or reply.suggestions) and not english:
            key, scrubbed = question_key(text, stored)
            ref = await self.refs.remember(ctx.uow.execute, key, scrubbed, ctx.now)
            await self._learn_from_rephrase(ctx, key, reply.entry_id)
        replies = self.render(ctx, reply, ref)
        if case is not None:
            token = secrets.token_urlsafe(6)
            data = {"token": token, "answers": case.answers, "level": case.level}
            await set_note(ctx, PREFILL_NOTE, data, timedelta(hours=PREFILL_TTL_HOURS))
            check = [Button(text=ctx.t("knowledge.personal.button"), data=prefill_button_data(token))]
            replies[-1] = replies[-1].model_copy(update={"buttons": [check, *replies[-1].buttons]})
        return replies

    def render(self, ctx: Context, reply: Reply, ref: str | None = None) -> list[Outbound]:
        tail = f":{ref}" if ref else ""
        if reply.outcome == "answer" and reply.entry_id:
            chunks = split_text(reply.text, TELEGRAM_TEXT_LIMIT)
            token = vote_token(self._vote_secret, _chat_of(ctx), reply.entry_id, vote_day(ctx.now))
            votes = [
                [
                    Button(text=ctx.t("knowledge.feedback_up"), data=vote_data(PREFIX, "up", reply.entry_id, token)),
                    Button(text=ctx.t("knowledge.feedback_down"), data=vote_data(PREFIX, "dn", reply.entry_id, token, ref)),
                ]
            ]
            # a guided answer's runner-ups ("不是这个？") come first, then what this assistant can do
            # about it (查进度 under how to check the status), the votes on the answer last
            offered = [[menu_button(ctx, key)] for key in reply.offers]
            rows = self._choices(reply, tail) + offered + votes
            return [Outbound(text=c) for c in chunks[:-1]] + [Outbound(text=chunks[-1], buttons=rows)]
        if reply.outcome == "suggest" or reply.suggestions:
            # a suggestion list, or a fallback's related topics
            return [Outbound(text=reply.text, buttons=self._choices(reply, tail))]
        if reply.offers_self_check:
            # a personal circumstance the notices do not rule on: the conditions are what decide
            return [_with_menu_button(ctx, reply.text, SELF_CHECK_MENU_KEY)]
        return [Outbound(text=reply.text)]

    @staticmethod
    def _about_assistant(ctx: Context, about: AssistantQuestion) -> Outbound:
        """Where to find the feature a question about the assistant asks for, with its menu button."""
        return _with_menu_button(ctx, ctx.t(about.text_key), about.menu)

    @staticmethod
    def _choices(reply: Reply, tail: str = "") -> list[list[Button]]:
        """One button per offered entry; pressing it answers that entry (and, with the question's
        reference in ``tail``, teaches the learning loop what the question meant)."""
        return [[Button(text=_label(s.question), data=f"{PREFIX}:a:{s.id}{tail}")] for s in reply.suggestions]

    # ---- buttons ----------------------------------------------------------------------------
    async def on_button(self, ctx: Context, payload: str) -> list[Outbound]:
        action, _, rest = payload.partition(":")
        if action in {"up", "dn"}:
            return await self.on_vote(ctx, action, rest)
        entry_id, _, ref = rest.partition(":")
        answerer = await self.answerer_for(ctx.language)
        entry = answerer.entry(entry_id) if answerer else None
        if action != "a" or entry is None or answerer is None or (ref and not valid_ref(ref)):
            return [Outbound.toast_only(ctx.t("input.stale_button"))]
        if ref:
            await self._learn_from_press(ctx, entry.id, ref)
        reply = answerer.answer_entry(entry, ctx.now)
        return [Outbound.toast_only(""), *self.render(ctx, reply, ref or None)]

    async def on_vote(self, ctx: Context, action: str, rest: str) -> list[Outbound]:
        """👍 or 👎 (``<entry>:<token>[:<ref>]``): counted only for an answer given in this chat
        within ``VOTE_MAX_AGE`` (its token verifies) and only once per voter. Anything else — an
        entry this chat was never answered with, a made-up or another chat's token, an old answer —
        gets one short line and stores nothing, the vote as much as the rephrase note."""
        entry_id, _, rest = rest.partition(":")
        token, _, ref = rest.partition(":")
        answerer = await self.answerer_for(ctx.language)
        entry = answerer.entry(entry_id) if answerer else None
        day = vote_issued_on(self._vote_secret, _chat_of(ctx), entry_id, token, ctx.now) if entry else None
        if entry is None or day is None or (ref and (action == "up" or not valid_ref(ref))):
            return [Outbound.toast_only(ctx.t("knowledge.feedback_not_counted", days=VOTE_MAX_AGE.days))]
        if not await first_vote(ctx, token, day):
            return [Outbound.toast_only(ctx.t("knowledge.feedback_already"))]
        await record_vote(ctx.uow.session, entry.id, 1 if action == "up" else -1, ctx.now)
        if action == "up":
            return [Outbound.toast_only(ctx.t("knowledge.feedback_thanks"))]
        if ref and await question_of(ctx.uow.fetch, ref) is not None:
            await set_note(ctx, REPHRASE_NOTE, {"ref": ref, "entry": entry.id}, REPHRASE_WINDOW)
            return [Outbound.toast_only(ctx.t("knowledge.feedback_sorry_rephrase"))]
        return [Outbound.toast_only(ctx.t("knowledge.feedback_sorry"))]

    # ---- the learning loop --------------------------------------------------------------------
    async def _learn_from_press(self, ctx: Context, entry_id: str, ref: str) -> None:
        """A suggestion pressed: the question it was shown for meant this entry. The reference is
        checked by matching the stored question again (a forged or stale pair whose entry is not
        among the question's candidates teaches nothing)."""
        question = await question_of(ctx.uow.fetch, ref)
        if question is None or self.answerer is None:
            return
        key, text = question
        if not self._plausible(text, entry_id):
            return
        await record_candidate(ctx.uow.execute, key, text, entry_id, ctx.now)
        await self._learn_from_rephrase(ctx, key, entry_id)

    def _plausible(self, question: str, entry_id: str) -> bool:
        """A pair teaches only when the entry is among the question's first candidates: a forged
        reference, or a 👎 pressed by someone else in a group, must not teach an unrelated entry."""
        if self.answerer is None:
            return False
        return entry_id in [c.entry_id for c in self.answerer.matcher.match(question).candidates[:LEARN_DEPTH]]

    async def _learn_from_rephrase(self, ctx: Context, key: str, entry_id: str | None) -> None:
        """After 👎 the user asked again: once the new question reaches an entry other than the
        disliked one, the question they disliked the answer to meant that entry."""
        if entry_id is None:
            return
        note = await get_note(ctx, REPHRASE_NOTE)
        if note is None or note.get("entry") == entry_id:
            return
        disliked = await question_of(ctx.uow.fetch, str(note.get("ref", "")))
        if disliked is not None and disliked[0] != key and self._plausible(disliked[1], entry_id):
            await record_candidate(ctx.uow.execute, disliked[0], disliked[1], entry_id, ctx.now)
        await clear_note(ctx, REPHRASE_NOTE)

    # ---- privacy ------------------------------------------------------------------------------
    async def describe_user_data(self, ctx: Context) -> list[str]:
        lines = []
        if await get_note(ctx, REPHRASE_NOTE) is not None:
            lines.append(ctx.t("knowledge.privacy.rephrase_note"))
        if await get_note(ctx, PREFILL_NOTE) is not None:
            lines.append(ctx.t("knowledge.personal.privacy_note"))
        if await get_note(ctx, VOTES_NOTE) is not None:
            lines.append(ctx.t("knowledge.feedback_privacy_note", days=VOTE_MAX_AGE.days))
        return lines

    async def forget_user(self, ctx: Context) -> None:
        """Phrasing candidates and question references hold no user id: nothing of them is the
        user's. Their short-lived notes are."""
        await forget_notes(ctx)


def _chat_of(ctx: Context) -> str:
    """The chat an answer is given in and its votes count for: a browser session on the web (its
    chat id is the session), a Telegram chat (private or a group, where everyone who saw the
    answer may vote on it)."""
    return f"{ctx.inbound.channel}:{ctx.inbound.chat_id}"


def _label(question: str) -> str:
    return question if len(question) <= LABEL_LIMIT else question[: LABEL_LIMIT - 1] + "…"


def _with_menu_button(ctx: Context, text: str, key: str | None) -> Outbound:
    """``text`` with the button of one main-menu action under it (none without a key)."""
    return Outbound(text=text, buttons=[[menu_button(ctx, key)]] if key else [])
