"""The first page after sign-in: applications per state, questions per day, pushes, unanswered
questions and the next reminders, with both charts drawn on the server as SVG."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from aiohttp import web

from bot.clock import LOCAL_TZ
from bot.console import charts, figures
from bot.console.routing import NavItem, Route
from bot.knowledge.daily import OUTCOMES, local_day
from bot.reminders.scheduler import ReminderScheduler
from bot.status.service import StatusService

if TYPE_CHECKING:
    from bot.console.server import Console

NAV = (NavItem("overview", "/", 10),)
COLORS = {"answer": charts.PALETTE[3], "suggest": charts.PALETTE[1], "fallback": charts.PALETTE[2]}
REMINDERS_SHOWN = 5


def routes(console: Console) -> list[Route]:
    @cache
    def scheduler() -> ReminderScheduler:
        services = console.services
        return ReminderScheduler.from_content(console.app.db, services.clock, services.content_root, services.cycles,
                                              services.contact_values())

    async def overview(request: web.Request) -> web.StreamResponse:
        now = console.now()
        workflow = StatusService.of(console.services).workflow
        async with console.db() as session:
            data = await figures.overview(session, local_day(now))
        states = [s.id for s in workflow.data.states]
        states += sorted(set(data.states) - set(states))  # a state no longer in the rules still counts
        state_chart = charts.bar_chart([workflow.label(s) for s in states], [data.states.get(s, 0) for s in states],
                                       console.t("console.overview.states_title"), width=1000, height=290)
        series = [charts.Series(console.t(f"console.overview.outcome_{o}"), data.questions[o], COLORS[o]) for o in OUTCOMES]
        question_chart = charts.line_chart([d.strftime("%m-%d") for d in data.days], series,
                                           console.t("console.overview.questions_title"), width=620, height=260)
        reminders = [(figures.local_time(o.moment, LOCAL_TZ), o.rule.description or o.rule.id)
                     for o in scheduler().upcoming(now, REMINDERS_SHOWN)]
        return console.render(request, "overview.html", data=data, state_chart=state_chart,
                              question_chart=question_chart, questions_total=sum(sum(v) for v in data.questions.values()),
                              reminders=reminders, total_apps=sum(data.states.values()))

    return [Route("GET", "/", overview)]

