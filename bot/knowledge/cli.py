"""Command line of the knowledge base: ``ask``, ``kb eval``, ``kb calibrate``, ``kb gaps``.

``ask`` never touches the database and imports no chat framework or SQLAlchemy: it loads the
content, builds the index and answers (a cold process answers in well under the 3-second budget).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

kb_app = typer.Typer(help="Knowledge base: evaluation, calibration, unanswered questions.", no_args_is_help=True)


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _answerer():  # noqa: ANN202
    from bot.content.loader import ContentError
    from bot.knowledge.answering import standalone_answerer
    from bot.paths import content_root

    try:
        return standalone_answerer(content_root())
    except ContentError as exc:
        _fail(f"content is invalid (run `python -m bot check`):\n{exc}")


def _now():  # noqa: ANN202
    from bot.clock import SystemClock

    return SystemClock().now()


def _print_reply(reply, as_json: bool, question: str | None = None) -> None:  # noqa: ANN001
    if as_json:
        data = reply.as_json()
        if question is not None:
            data = {"question": question} | data
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    if question is not None:
        typer.echo(f"问：{question}")
    typer.echo(reply.text)
    if question is not None:
        typer.echo("")


def ask(
    question: Annotated[str | None, typer.Argument(help="The question, in Chinese.")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="One question per line; JSON Lines with --json.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Answer one question (or every line of --file) from the knowledge base."""
    if (question is None) == (file is None):
        _fail("give either a question or --file FILE")
    if file is not None:
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            _fail(f"cannot read {file}: {type(exc).__name__}")
        answerer = _answerer()
        now = _now()
        for line in lines:
            if line.strip():
                _print_reply(answerer.respond(line.strip(), now), as_json, question=line.strip())
        return
    answerer = _answerer()
    _print_reply(answerer.respond(question, _now()), as_json)


def _load_groups(files: list[Path]):  # noqa: ANN202
    """The matcher and, per file or directory named, its scored dev questions."""
    from bot.content.loader import ContentError
    from bot.knowledge.evaluate import load_dev, score_cases

    answerer = _answerer()
    matcher = answerer.matcher
    groups = []
    for path in files:
        try:
            pairs = load_dev([path])
        except ContentError as exc:
            _fail(f"no dev questions in {path}" if not exc.problems else str(exc))
        groups.append((str(path), score_cases(matcher, pairs)))
    return matcher, groups


def _load_cases(files: list[Path]):  # noqa: ANN202
    matcher, groups = _load_groups(files)
    return matcher, [case for _, cases in groups for case in cases]


_IN_SCOPE_LABELS = (
    ("direct_right", "direct right"),
    ("direct_wrong", "direct wrong"),
    ("suggested_right", "suggested, right one among them"),
    ("suggested_wrong", "suggested, right one missing"),
    ("fallback", "fallback"),
)
_OUT_OF_SCOPE_LABELS = (
    ("out_of_scope_answered", "answered (bad)"),
    ("out_of_scope_suggested", "suggested"),
    ("out_of_scope_fallback", "fallback"),
)


def _group_line(name: str, s: dict) -> str:
    """One per-topic or per-source line: what in-scope and out-of-scope askers saw, in percent."""
    parts = [f"  {name:22s} n={int(s['n']):3d}"]
    if s.get("in_scope"):
        parts.append("  " + " / ".join(f"{s[k] * 100:5.1f}" for k, _ in _IN_SCOPE_LABELS))
    if s.get("out_of_scope"):
        parts.append("  oos " + " / ".join(f"{s[k] * 100:5.1f}" for k, _ in _OUT_OF_SCOPE_LABELS))
    return "".join(parts)


def _print_report(report, as_json: bool) -> None:  # noqa: ANN001
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "figures": report.figures,
                    "per_topic": report.per_topic,
                    "per_source": report.per_source,
                    "wrong_confident": report.wrong_confident,
                    "top3_misses": report.top3_misses,
                    "unknown_expect": report.unknown_expect,
                },
                ensure_ascii=False,
            )
        )
        return
    f = report.figures
    typer.echo(f"questions: {f['questions']} ({f['in_scope']} in scope, {f['out_of_scope']} out of scope)")
    typer.echo("what in-scope askers see:")
    for key, label in _IN_SCOPE_LABELS:
        typer.echo(f"  {label:36s} {f[key] * 100:6.1f}%")
    typer.echo("what out-of-scope askers see:")
    for key, label in _OUT_OF_SCOPE_LABELS:
        typer.echo(f"  {label:36s} {f[key] * 100:6.1f}%")
    typer.echo("ranking and details:")
    for key, label in (
        ("top1", "top-1"),
        ("top3", "top-3"),
        ("guided", "direct right under a header (guided)"),
        ("wrong_with_right_button", "direct wrong, right one as a button"),
        ("fallback_precision", "fallback precision"),
    ):
        typer.echo(f"  {label:36s} {f[key] * 100:6.1f}%")
    legend = "direct right / direct wrong / suggested right / suggested wrong / fallback"
    for title, groups in (("per topic", report.per_topic), ("per source", report.per_source)):
        typer.echo(f"{title} (in scope: {legend}; oos: answered / suggested / fallback):")
        for name, s in groups.items():
            typer.echo(_group_line(name, s))
    for title, rows in (("wrong direct answers", report.wrong_confident), ("top-3 misses", report.top3_misses)):
        if rows:
            typer.echo(f"{title}:")
            for r in rows:
                typer.echo(
                    f"  [{r['file']}] {r['q']}  expect={r['expect']} got={r['got']} "
                    f"({r['outcome']}, {r['confidence']:.2f}) top3={r['top3']}"
                )
    if report.unknown_expect:
        typer.echo("expected ids that are not entries:")
        for r in report.unknown_expect:
            typer.echo(f"  [{r['file']}] {r['q']}  expect={r['expect']}")


@kb_app.command("eval")
def kb_eval(
    files: Annotated[list[Path], typer.Argument(help="Dev set files or directories (*.yaml).")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """What askers see (direct right/wrong, suggested, fallback) overall, per topic and per source;
    top-1/top-3 below."""
    from bot.knowledge.evaluate import evaluate

    matcher, cases = _load_cases(files)
    _print_report(evaluate(matcher, cases), as_json)


@kb_app.command("calibrate")
def kb_calibrate(
    files: Annotated[list[Path], typer.Argument(help="Dev set files or directories (*.yaml).")],
    write: Annotated[bool, typer.Option("--write", help="Store the thresholds in knowledge/matcher.yaml.")] = False,
) -> None:
    """Search the thresholds on the dev set (and tuning sets) and show the resulting figures."""
    from bot.knowledge.evaluate import calibrate, evaluate

    matcher, groups = _load_groups(files)
    thresholds, report = calibrate(matcher, [case for _, cases in groups for case in cases])
    typer.echo(f"thresholds: {thresholds.model_dump()}")
    _print_report(report, as_json=False)
    config = matcher.config.model_copy(update={"thresholds": thresholds})
    per_file = {name: evaluate(matcher, cases, config).figures for name, cases in groups}
    if len(per_file) > 1:
        for name, f in per_file.items():
            shown = ", ".join(f"{label} {f[key] * 100:.1f}%" for key, label in _IN_SCOPE_LABELS[:2] + _OUT_OF_SCOPE_LABELS[:1])
            typer.echo(f"{name}: {shown}")
    if write:
        from bot.knowledge.tuning import write_thresholds
        from bot.paths import content_root

        path = write_thresholds(content_root(), thresholds, report.figures, per_file)
        typer.echo(f"written to {path}")


@kb_app.command("gaps")
def kb_gaps(limit: Annotated[int, typer.Option(min=1, max=500)] = 20) -> None:
    """The most frequent questions the bot could not answer, for staff to curate."""
    import asyncio

    from bot.cli import settings_or_exit
    from bot.knowledge.feedback import top_gaps, vote_totals
    from bot.storage.db import Database

    settings = settings_or_exit()

    async def main() -> None:
        db = Database(settings.database_url)
        try:
            await db.upgrade()
            async with db.session() as session:
                rows, total = await top_gaps(session, limit)
                votes = await vote_totals(session)
        except Exception as exc:  # noqa: BLE001
            _fail(f"database {db.dialect} is not usable: {type(exc).__name__}")
        finally:
            await db.dispose()
        if not rows:
            typer.echo("no unanswered questions recorded yet")
        else:
            typer.echo(f"most frequent unanswered questions ({total} distinct):")
            for row in rows:
                last = row.last_at.strftime("%Y-%m-%d")
                near = f"  nearest: {row.top_entry_id}" if row.top_entry_id else ""
                typer.echo(f"  {row.count:4d}×  [{row.outcome}] {row.text}  (last {last}){near}")
        unhelpful = sorted(((d, u, e) for e, (u, d) in votes.items() if d), reverse=True)[:limit]
        if unhelpful:
            typer.echo("answers voted not helpful (👎 / 👍):")
            for down, up, entry_id in unhelpful:
                typer.echo(f"  {down:4d} / {up:<4d} {entry_id}")

    asyncio.run(main())


def register(app: typer.Typer) -> None:
    app.command("ask")(ask)
    app.add_typer(kb_app, name="kb")
