"""The status feature in chat: /bind, /status, /hr, /unit, staff /setstatus and document imports.

Roles are checked on every command (``ctx.is_staff`` reads configuration and the database each
time). Replies before a successful verification never depend on whether an application number
exists, so the bot cannot be used to probe numbers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from bot.clock import LOCAL_TZ
from bot.content.texts import local_date
from bot.core.context import Context, Services
from bot.core.feature import Feature, Handler
from bot.core.messages import Button, Inbound, Outbound
from bot.core.sanitize import small_number
from bot.dialogs.runner import EXIT_WORDS
from bot.status.calendar import format_time
from bot.status.cards import Audience
from bot.status.importer import Importer, PreparedImport, render_report
from bot.status.models import Application, Unit
from bot.status.personal import mask_name, normalize_id_tail, normalize_invite
from bot.status.service import StatusInputError, StatusService, TransitionRefused
from bot.storage.models import add_audit

BIND_DIALOG = "status_bind"
HR_DIALOG = "status_hr"
#: the payload of the "绑定申报" button (one action, so the payload only names it)
BIND_BUTTON = "start"
PAGE_SIZE = 10
IMPORT_SUFFIXES = (".xlsx", ".csv", ".xls")
MAX_REPORT_ERRORS = 30
#: what a stored copy of a secret turn shows instead of it
SECRET_MASK = "****"
#: what may be an invite code (letters and digits, no CJK): typed after an HR lock, it stays masked
_INVITE_LIKE = re.compile(r"[A-Z0-9]{4,20}")


def _until(ctx: Context, moment) -> str:  # noqa: ANN001
    local = moment.astimezone(LOCAL_TZ)
    return f"{local.hour:02d}:{local.minute:02d}" if local.date() == ctx.now.astimezone(LOCAL_TZ).date() else format_time(moment, ctx.language)


def _day(ctx: Context, moment) -> str:  # noqa: ANN001
    """The day of a moment as the unit list shows it: 2024-07-01, or 1 July 2024 in English."""
    if ctx.language == "en":
        return local_date(moment.astimezone(LOCAL_TZ).date(), "en")
    return format_time(moment)[:10]


def _masked(replies: list[Outbound], mask: str) -> list[Outbound]:
    """Replies to a turn that held a secret: channels store ``mask`` instead of what was typed."""
    return [reply.model_copy(update={"input_mask": mask}) for reply in replies]


def _looks_secret(text: str) -> bool:
    """Short input of digits and X (a mistyped ID tail): never a question for the knowledge base."""
    compact = "".join(text.split()).upper()
    return 0 < len(compact) <= 8 and all(c.isdigit() or c == "X" for c in compact)


def _source(ctx: Context, service: StatusService) -> str:
    """Who the bind lock counts for this update (``bot.status.lockout.attempt_source``), hashed."""
    return service.lockout.source_hash(ctx.user.channel, ctx.user.external_id, ctx.inbound.client_address)


class StatusFeature(Feature):
    name = "status"
    dialogs = frozenset({BIND_DIALOG, HR_DIALOG})

    def __init__(self, services: Services | None = None) -> None:
        # built with the app, so a broken rules/status.yaml stops start-up, not the first /status
        if services is not None:
            StatusService.of(services)

    def commands(self) -> dict[str, Handler]:
        return {
            "bind": self.bind,
            "status": self.status,
            "hr": self.hr,
            "unit": self.unit,
            "setstatus": self.setstatus,
        }

    def callbacks(self) -> dict[str, Handler]:
        return {"unit": self.unit_page, "bind": self.bind_pressed}

    def menu_actions(self) -> dict[str, Handler]:
        return {"status": self.status}

    def bot_commands(self) -> list[tuple[str, str]]:
        return [
            ("status", "commands.status"),
            ("bind", "status.commands.bind"),
            ("hr", "status.commands.hr"),
            ("unit", "status.commands.unit"),
        ]

    # ---- /bind ------------------------------------------------------------------------------
    async def bind(self, ctx: Context, args: str) -> list[Outbound]:
        """``/bind``, ``/bind NUMBER`` or the one-liner ``/bind NUMBER TAIL``."""
        parts = args.split()
        if not parts:
            await ctx.set_dialog(BIND_DIALOG, "number")
            return [Outbound(text=ctx.t("status.bind.ask_number"))]
        if len(parts) > 1:
            return _masked(await self._bind_number(ctx, parts[0], " ".join(parts[1:])), f"/bind {parts[0][:40]} {SECRET_MASK}")
        return await self._bind_number(ctx, parts[0])

    async def bind_pressed(self, ctx: Context, _payload: str) -> list[Outbound]:
        """The "绑定申报" button under "not bound yet": the binding starts and asks for the number (on a
        phone, typing "/bind" and the number on one line is the hard part)."""
        return [Outbound.toast_only(""), *await self.bind(ctx, "")]

    async def _bind_number(self, ctx: Context, number: str, tail: str | None = None) -> list[Outbound]:
        service = StatusService.of(ctx.services)
        number = service.workflow.normalize_number(number)
        if not service.workflow.valid_number(number):
            await ctx.set_dialog(BIND_DIALOG, "number")
            return [Outbound(text=ctx.t("status.bind.bad_number", hint=service.workflow.number_hint(ctx.language)))]
        locked = await service.lockout.locked_until(ctx.uow.session, "bind", _source(ctx, service), service.lockout.target_hash("bind", number))
        if locked is not None:
            await ctx.audit("status.bind.locked")
            return await self._locked(ctx, number, locked)
        await ctx.set_dialog(BIND_DIALOG, "tail", {"number": number})
        if tail is not None:
            return await self._bind_tail(ctx, number, tail)
        return [Outbound(text=ctx.t("status.bind.ask_tail"))]

    async def _locked(self, ctx: Context, number: str, until) -> list[Outbound]:  # noqa: ANN001
        """The lock message. The dialog stays open at a ``locked`` step, so a tail typed next (people
        type it anyway) is answered here and masked, instead of reaching the knowledge base."""
        await ctx.set_dialog(BIND_DIALOG, "locked", {"number": number})
        return [Outbound(text=ctx.t("status.bind.locked", until=_until(ctx, until)))]

    async def _bind_tail(self, ctx: Context, number: str, text: str) -> list[Outbound]:
        tail = normalize_id_tail(text)
        if tail is None:
            return [Outbound(text=ctx.t("status.bind.bad_tail"))]
        service = StatusService.of(ctx.services)
        source, target = _source(ctx, service), service.lockout.target_hash("bind", number)
        await service.lockout.hold_attempt_locks(ctx.uow.session, "bind", source, target)
        locked = await service.lockout.locked_until(ctx.uow.session, "bind", source, target)
        if locked is not None:
            await ctx.audit("status.bind.locked")
            return await self._locked(ctx, number, locked)
        app = await service.commands.verify_and_bind(ctx.uow.session, ctx.user, number, tail, source)
        if app is None:
            locked = await service.lockout.locked_until(ctx.uow.session, "bind", source, target)
            if locked is not None:
                return await self._locked(ctx, number, locked)
            return [Outbound(text=ctx.t("status.bind.failed"))]
        await ctx.clear_dialog()
        # notices are promised only where they can arrive (not in the terminal chat)
        done = "status.bind.done" if service.notices.reaches(ctx.user.channel) else "status.bind.done_no_push"
        return [Outbound(text=ctx.t(done)), Outbound(text=await self._card(ctx, service, app))]

    # ---- /hr --------------------------------------------------------------------------------
    async def hr(self, ctx: Context, args: str) -> list[Outbound]:
        if not args.strip():
            await ctx.set_dialog(HR_DIALOG, "code")
            return [Outbound(text=ctx.t("status.hr.ask_code"))]
        return _masked(await self._hr_code(ctx, args.strip()), f"/hr {SECRET_MASK}")

    async def _hr_code(self, ctx: Context, code: str) -> list[Outbound]:
        service = StatusService.of(ctx.services)
        source = _source(ctx, service)
        await service.lockout.hold_attempt_locks(ctx.uow.session, "hr", source, None)
        locked = await service.lockout.locked_until(ctx.uow.session, "hr", source, None)
        if locked is not None:
            # the dialog stays open (step "locked"), so a code typed next is answered here, masked
            await ctx.set_dialog(HR_DIALOG, "locked")
            return [Outbound(text=ctx.t("status.hr.locked", until=_until(ctx, locked)))]
        unit = await service.commands.redeem_invite(ctx.uow.session, ctx.user, code[:64], source)
        if unit is None:
            await ctx.set_dialog(HR_DIALOG, "code")
            return [Outbound(text=ctx.t("status.hr.failed"))]
        await ctx.clear_dialog()
        if ctx.user.role == "applicant":  # the service made them an HR contact
            await ctx.update_user(role="hr")
        done = "status.hr.done" if service.notices.reaches(ctx.user.channel) else "status.hr.done_no_push"
        return [Outbound(text=ctx.t(done, unit=unit.name))]

    # ---- dialog text ------------------------------------------------------------------------
    async def on_dialog_text(self, ctx: Context, text: str) -> list[Outbound] | None:
        """Text inside the bind or HR dialog. Whatever is typed at a secret step (the invite code,
        the ID tail, and anything tail-shaped after a lock) is answered with ``input_mask`` set."""
        state = await ctx.dialog()
        if state is None:
            return []
        if text.strip().lower() in EXIT_WORDS:  # 取消 or "cancel" typed: no number, no code
            await ctx.clear_dialog()
            return [Outbound(text=ctx.t("cancel.done"))]
        if state.dialog == HR_DIALOG:
            if state.step == "locked" and not _INVITE_LIKE.fullmatch(normalize_invite(text)):
                await ctx.clear_dialog()
                return None  # a question after the lock message: route it as usual
            return _masked(await self._hr_code(ctx, text.strip()), SECRET_MASK)
        number = str(state.data.get("number") or "")
        if state.step == "locked":
            if normalize_id_tail(text) is None and not _looks_secret(text):
                await ctx.clear_dialog()
                return None  # a question after the lock message: route it as usual
            service = StatusService.of(ctx.services)
            locked = await service.lockout.locked_until(ctx.uow.session, "bind", _source(ctx, service), service.lockout.target_hash("bind", number))
            if locked is None:
                return _masked(await self._bind_tail(ctx, number, text), SECRET_MASK)
            return _masked(await self._locked(ctx, number, locked), SECRET_MASK)
        if state.step == "tail" and number:
            return _masked(await self._bind_tail(ctx, number, text), SECRET_MASK)
        parts = text.split()
        if len(parts) > 1:  # number and tail on one line
            return _masked(await self._bind_number(ctx, parts[0], " ".join(parts[1:])), f"{parts[0][:40]} {SECRET_MASK}")
        return await self._bind_number(ctx, parts[0] if parts else "")

    # ---- /status ----------------------------------------------------------------------------
    async def status(self, ctx: Context, args: str) -> list[Outbound]:
        service = StatusService.of(ctx.services)
        number = service.workflow.normalize_number(args.split()[0]) if args.split() else ""
        is_staff = ctx.is_staff
        if number:
            if not service.workflow.valid_number(number):
                return [Outbound(text=ctx.t("status.lookup.bad_number", hint=service.workflow.number_hint(ctx.language)))]
            app = await service.queries.find(ctx.uow.session, number)
            if app is None or not await service.queries.may_view(ctx.uow.session, ctx.user, is_staff, app):
                await ctx.audit("status.lookup.denied" if not is_staff else "status.lookup.missing")
                key = "status.lookup.not_found_staff" if is_staff else "status.lookup.not_found"
                return [Outbound(text=ctx.t(key, number=number))]
            await ctx.audit("status.lookup", app.number)
            return [Outbound(text=await self._card(ctx, service, app, await self._audience(ctx, service, app)))]
        apps = await service.queries.bound_applications(ctx.uow.session, ctx.user)
        if apps:
            return [Outbound(text=await self._card(ctx, service, app)) for app in apps]
        if is_staff:
            return [Outbound(text=ctx.t("status.lookup.staff_hint"))]
        if await service.queries.hr_units(ctx.uow.session, ctx.user):
            return [Outbound(text=ctx.t("status.lookup.none_bound_hr"))]
        bind = [[Button(text=ctx.t("status.lookup.bind_button"), data=f"bind:{BIND_BUTTON}")]]
        return [Outbound(text=ctx.t("status.lookup.none_bound"), buttons=bind)]

    async def _card(self, ctx: Context, service: StatusService, app: Application, audience: Audience = "applicant") -> str:
        history = await service.queries.history(ctx.uow.session, app)
        unit = await service.queries.unit_of(ctx.uow.session, app)
        return service.cards.render(app, history, unit, ctx.language, today=ctx.now.astimezone(LOCAL_TZ).date(),
                                    audience=audience)

    @staticmethod
    async def _audience(ctx: Context, service: StatusService, app: Application) -> Audience:
        """Whom a card looked up by number speaks to: an HR contact of the application's unit reads
        the next step about the applicant, unless it is their own bound application; everyone else
        (the applicant, staff) reads it as the applicant would."""
        units = {unit.id for unit in await service.queries.hr_units(ctx.uow.session, ctx.user)}
        if app.unit_id not in units:
            return "applicant"
        own = {bound.id for bound in await service.queries.bound_applications(ctx.uow.session, ctx.user)}
        return "applicant" if app.id in own else "hr"

    # ---- /unit ------------------------------------------------------------------------------
    async def unit(self, ctx: Context, args: str) -> list[Outbound]:
        service = StatusService.of(ctx.services)
        if ctx.is_staff and args.strip():
            unit = await service.queries.unit_named(ctx.uow.session, args)
            if unit is None:
                return [Outbound(text=ctx.t("status.unit.unknown_unit", unit=args.strip()[:100]))]
            return [await self._page(ctx, service, unit, 0)]
        units = await service.queries.hr_units(ctx.uow.session, ctx.user)
        if not units:
            key = "status.unit.staff_usage" if ctx.is_staff else "status.unit.not_hr"
            return [Outbound(text=ctx.t(key))]
        return [await self._page(ctx, service, unit, 0) for unit in units]

    async def unit_page(self, ctx: Context, payload: str) -> list[Outbound]:
        unit_part, _, page_part = payload.partition(":")
        unit_id, page_no = small_number(unit_part), small_number(page_part)
        if unit_id is None or page_no is None:
            return [Outbound.toast_only(ctx.t("input.stale_button"))]
        service = StatusService.of(ctx.services)
        unit = await ctx.uow.session.get(Unit, unit_id)
        allowed = unit is not None and (ctx.is_staff or unit.id in {u.id for u in await service.queries.hr_units(ctx.uow.session, ctx.user)})
        if not allowed or unit is None:
            return [Outbound.toast_only(ctx.t("input.stale_button"))]
        page = await self._page(ctx, service, unit, page_no)
        return [Outbound.toast_only(""), page.model_copy(update={"edit": True})]

    async def _page(self, ctx: Context, service: StatusService, unit: Unit, page: int) -> Outbound:
        apps, total = await service.queries.unit_page(ctx.uow.session, unit.id, page, PAGE_SIZE)
        if total == 0:
            return Outbound(text=ctx.t("status.unit.empty", unit=unit.name))
        pages = max(1, math.ceil(total / PAGE_SIZE))
        page = min(page, pages - 1)
        if not apps:
            apps, total = await service.queries.unit_page(ctx.uow.session, unit.id, page, PAGE_SIZE)
        workflow = service.workflow
        lines = [ctx.t("status.unit.header", unit=unit.name, total=total, page=page + 1, pages=pages)]
        for app in apps:
            lines.append(
                ctx.t(
                    "status.unit.line",
                    number=app.number,
                    name=mask_name(app.applicant_name),
                    level=workflow.level_label(app.level, ctx.language),
                    state=workflow.label(app.state, ctx.language),
                    since=_day(ctx, app.state_at),
                )
            )
        row: list[Button] = []
        if page > 0:
            row.append(Button(text=ctx.t("status.unit.prev"), data=f"unit:{unit.id}:{page - 1}"))
        if page + 1 < pages:
            row.append(Button(text=ctx.t("status.unit.next"), data=f"unit:{unit.id}:{page + 1}"))
        await ctx.audit("status.unit.view", unit.name, page=page)
        return Outbound(text="\n".join(lines), buttons=[row] if row else [])

    # ---- staff: /setstatus and imports ------------------------------------------------------
    async def setstatus(self, ctx: Context, args: str) -> list[Outbound]:
        if not ctx.is_staff:
            await ctx.audit("status.setstatus.denied")
            return [Outbound(text=ctx.t("status.no_permission"))]
        parts = args.split(maxsplit=2)
        if len(parts) < 2:
            return [Outbound(text=ctx.t("status.setstatus.usage"))]
        number, state_name = parts[0], parts[1]
        note = parts[2] if len(parts) > 2 else ""
        service = StatusService.of(ctx.services)
        workflow = service.workflow
        number = workflow.normalize_number(number)
        if not workflow.valid_number(number):
            return [Outbound(text=ctx.t("status.lookup.bad_number", hint=service.workflow.number_hint(ctx.language)))]
        target = workflow.state_id(state_name)
        if target is None:
            states = ctx.t("status.separator").join(workflow.label(s.id, ctx.language) for s in workflow.data.states)
            return [Outbound(text=ctx.t("status.setstatus.unknown_state", state=state_name[:20], states=states))]
        app = await service.queries.find(ctx.uow.session, number, for_update=True)
        if app is None:
            return [Outbound(text=ctx.t("status.lookup.not_found_staff", number=number))]
        if app.state == target:
            return [Outbound(text=ctx.t("status.setstatus.same_state", number=number, state=workflow.label(target, ctx.language)))]
        source = app.state
        try:
            outcome = await service.commands.change_state(
                ctx.uow.session, app, target, actor=f"user:{ctx.user.id}", actor_user_id=ctx.user.id, note=note
            )
        except (TransitionRefused, StatusInputError) as exc:
            await ctx.audit("status.setstatus.refused", number, source=source, target=target)
            return [Outbound(text=ctx.t("status.setstatus.refused", reason=exc.in_language(ctx.language)))]
        return [
            Outbound(
                text=ctx.t(
                    "status.setstatus.done",
                    number=number,
                    source=workflow.label(source, ctx.language),
                    target=workflow.label(target, ctx.language),
                    notices=outcome.notices,
                )
            )
        ]

    def prepare_document(self, inbound: Inbound, services: Services) -> Callable[[], PreparedImport] | None:
        attachment = inbound.attachment
        if attachment is None or attachment.content is None or not attachment.file_name.lower().endswith(IMPORT_SUFFIXES):
            return None
        importer = Importer(services, actor="", actor_user_id=None)
        name, content = attachment.file_name, attachment.content
        return lambda: importer.prepare(name, content)

    async def on_document(self, ctx: Context) -> list[Outbound] | None:
        attachment = ctx.inbound.attachment
        if attachment is None or not attachment.file_name.lower().endswith(IMPORT_SUFFIXES):
            return None
        if not ctx.is_staff:
            await ctx.audit("status.import.denied")
            return [Outbound(text=ctx.t("status.import.denied_document"))]
        if attachment.content is None:
            return [Outbound(text=ctx.t("status.import.not_downloaded"))]
        caption = ctx.inbound.text or ""
        partial = "部分导入" in caption or "partial" in caption.lower()
        importer = Importer(ctx.services, actor=f"user:{ctx.user.id}", actor_user_id=ctx.user.id)
        prepared = ctx.prepared if isinstance(ctx.prepared, PreparedImport) else None
        if prepared is None:  # not read ahead (a role granted since): read it here
            prepared = importer.prepare(attachment.file_name, attachment.content)
        report = await importer.apply(ctx.uow.session, prepared, partial=partial)
        return [Outbound(text=render_report(report, ctx.t, max_errors=MAX_REPORT_ERRORS, lang=ctx.language))]

    # ---- privacy ----------------------------------------------------------------------------
    async def describe_user_data(self, ctx: Context) -> list[str]:
        service = StatusService.of(ctx.services)
        lines = [
            ctx.t("status.privacy.binding_line", number=app.number, name=mask_name(app.applicant_name))
            for app in await service.queries.bound_applications(ctx.uow.session, ctx.user)
        ]
        lines += [ctx.t("status.privacy.hr_line", unit=unit.name) for unit in await service.queries.hr_units(ctx.uow.session, ctx.user)]
        return lines

    async def forget_user(self, ctx: Context) -> None:
        await StatusService.of(ctx.services).commands.forget(ctx.uow.session, ctx.user)
        # No actor id: after /forget the audit log must not point back at the person.
        add_audit(ctx.uow.session, ctx.now, None, "status.forget")
