"""``python -m bot eligibility --profile FILE.json [--json]`` (and the ``dialogs`` command group)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

#: fields whose default is a guess worth telling the user about
_WORTH_STATING = ("person_type", "education", "current_title")

if TYPE_CHECKING:
    from bot.cli_common import AppBuilder


def register(app: typer.Typer, _build_app_or_exit: AppBuilder) -> None:
    from bot.dialogs.cli import register as register_dialogs

    register_dialogs(app)

    @app.command()
    def eligibility(
        profile: Annotated[Path, typer.Option("--profile", help="JSON file: one profile object or a list of them.")],
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
        today: Annotated[str | None, typer.Option(help="Evaluate as of this date (YYYY-MM-DD); default: today.")] = None,
        lang: Annotated[str, typer.Option("--lang", help="Language of the verdict: zh or en.")] = "zh",
    ) -> None:
        """The eligibility verdict for one or more applicant profiles."""
        from bot.cli_common import fail

        if lang not in ("zh", "en"):
            fail(f"--lang must be zh or en, not {lang!r}")
        profiles, single = _read_profiles(profile, fail)
        day = _parse_day(today, fail)
        verdicts = _evaluate_all(profiles, day, fail, lang)
        if as_json:
            payload = [v.model_dump(mode="json") for v in verdicts]
            typer.echo(json.dumps(payload[0] if single else payload, ensure_ascii=False, indent=2))
            return
        from bot.eligibility.render import render_text

        t = _texts(lang)
        for index, verdict in enumerate(verdicts):
            if not single:
                typer.echo(f"=== [{index}] ===")
            typer.echo(render_text(verdict, t))


def _read_profiles(path: Path, fail):  # noqa: ANN001, ANN202
    from bot.eligibility.profile import ProfileError, parse_profile

    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        fail(f"{path}: file not found")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        fail(f"{path}: not valid JSON ({exc})")
    single = isinstance(raw, dict)
    items = [raw] if single else raw
    if not isinstance(items, list) or not items:
        fail(f"{path}: expected a profile object or a non-empty list of them")
    profiles, errors = [], []
    for i, item in enumerate(items):
        try:
            profiles.append(parse_profile(item, where="" if single else f"[{i}]."))
        except ProfileError as exc:
            errors.extend(exc.messages)
    if errors:
        fail("invalid profile: " + "; ".join(errors))
    return profiles, single


def _parse_day(value: str | None, fail) -> date:  # noqa: ANN001
    from bot.clock import SystemClock, local_now

    if value is None:
        return local_now(SystemClock()).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"--today: not a date (YYYY-MM-DD): {value!r}")


def _texts(lang: str = "zh"):  # noqa: ANN202
    from bot.content.office import load_office
    from bot.content.texts import Texts, text_files
    from bot.paths import content_root

    root = content_root()
    texts = Texts.load(text_files(root), root)
    office = load_office(root)
    values = {"phone": office.phone, "email": office.email, "address": office.address,
              "qq_group": office.qq_group, "news_column": office.news_column}

    def t(key: str, **extra: object) -> str:
        return texts.get(key, lang, **(values | extra))

    return t


def _evaluate_all(profiles, day: date, fail, lang: str = "zh"):  # noqa: ANN001, ANN202
    from bot.content.loader import ContentError
    from bot.eligibility.evaluation import evaluate
    from bot.eligibility.rulebook import load_rulebook
    from bot.paths import content_root
    from bot.reference.cycles import CycleCalendar

    root = content_root()
    try:
        book = load_rulebook(root)
        cycles = CycleCalendar.load(root)
        t = _texts(lang)
    except ContentError as exc:
        fail(f"content is invalid (run `python -m bot check`):\n{exc}")
    view = cycles.view(day)
    verdicts = []
    for profile in profiles:
        verdict = evaluate(profile, book, view, day, t, lang=lang)
        unset = [f for f in _WORTH_STATING if f not in profile.model_fields_set]
        if unset:
            verdict.warnings.append(t("eligibility.warn.defaults", fields=t("eligibility.separator.list").join(unset)))
        verdicts.append(verdict)
    return verdicts
