"""Command line of the knowledge base: ``ask``, ``kb eval``, ``kb calibrate``, ``kb gaps``, ``kb learn``.

``ask`` never touches the database and imports no chat framework or SQLAlchemy: it loads the
content, builds the index and answers (a cold process answers in well under the 3-second budget).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

#: the calibration's default limits (bot/knowledge/evaluate.py), repeated here so --help shows them
MAX_WRONG = 0.02
MAX_OOS_ANSWERED = 0.05
#: the same for the sets scored as of the commit that added them (``--unseen``): questions nobody
#: wrote phrasings for are answered wrongly far more often than the fitted sets
MAX_UNSEEN_WRONG = 0.09
MAX_UNSEEN_OOS_ANSWERED = 0.18

kb_app = typer.Typer(help="Knowledge base: evaluation, calibration, unanswered questions.", no_args_is_help=True)


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


#: the languages ``ask``, ``kb eval`` and ``kb calibrate`` take; ``auto`` detects it
LANG_CHOICES = ("auto", "zh", "en")


def _answerer(lang: str = "zh"):  # noqa: ANN202
    """The Chinese answerer, or the English one (its index is built only when asked for)."""
    from bot.content.loader import ContentError
    from bot.paths import content_root

    try:
        if lang == "en":
            from bot.knowledge.en_runtime import standalone_english_answerer

            return standalone_english_answerer(content_root())
        from bot.knowledge.answering import standalone_answerer

        return standalone_answerer(content_root())
    except ContentError as exc:
        _fail(f"content is invalid (run `python -m bot check`):\n{exc}")


def _check_lang(lang: str) -> str:
    if lang not in LANG_CHOICES:
        _fail(f"--lang must be one of {', '.join(LANG_CHOICES)}")
    return lang


def question_language(question: str, lang: str = "auto") -> str:
    """The language to answer ``question`` in: ``lang`` when given, else the detected one (Chinese
    when the detector is not sure: numbers, emoji, a bare acronym)."""
    if lang != "auto":
        return lang
    from bot.core.language import detect_language

    return detect_language(question) or "zh"


def _now():  # noqa: ANN202
    from bot.clock import SystemClock

    return SystemClock().now()


def _print_reply(reply, as_json: bool, question: str | None = None, lang: str = "zh") -> None:  # noqa: ANN001
    if as_json:
        data = reply.as_json() | {"lang": lang}
        if question is not None:
            data = {"question": question} | data
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    if question is not None:
        typer.echo(f"Q: {question}" if lang == "en" else f"问：{question}")
    typer.echo(reply.text)
    if question is not None:
        typer.echo("")


def ask(
    question: Annotated[str | None, typer.Argument(help="The question, in Chinese or English.")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="One question per line; JSON Lines with --json.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    lang: Annotated[str, typer.Option("--lang", help="Answer in zh or en; auto (default) detects each question's language.")] = "auto",
) -> None:
    """Answer one question (or every line of --file) from the knowledge base, in its language."""
    _check_lang(lang)
    if (question is None) == (file is None):
        _fail("give either a question or --file FILE")
    if file is not None:
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            _fail(f"cannot read {file}: {type(exc).__name__}")
        responders: dict[str, _Responder] = {}
        now = _now()
        for line in lines:
            if line.strip():
                text = line.strip()
                language = question_language(text, lang)
                if language not in responders:
                    responders[language] = _Responder(_answerer(language), language)
                _print_reply(responders[language](text, now), as_json, question=text, lang=language)
        return
    language = question_language(question, lang)
    _print_reply(_Responder(_answerer(language), language)(question, _now()), as_json, lang=language)


class _Responder:
    """The answer the chat gives: a personal-case question gets the level's rule under the facts it
    told (the chat adds the 资格自测 button)."""

    def __init__(self, answerer, lang: str = "zh") -> None:  # noqa: ANN001
        from bot.knowledge.personal import personal_cases_of
        from bot.paths import content_root

        self.answerer = answerer
        self.root = content_root()
        self.lang = lang
        self.personal = personal_cases_of(self.root, answerer.runtime.kb, lang)
        self._texts = None

    def t(self, key: str, **values) -> str:  # noqa: ANN003
        if key.startswith("knowledge."):
            return self.answerer.t(key, **values)
        if self._texts is None:
            from bot.content.texts import Texts

            self._texts = Texts.load([self.root / "dialogs" / "texts_eligibility.yaml"], self.root)
        return self._texts.get(key, self.lang, **values)

    def __call__(self, question: str, now):  # noqa: ANN001, ANN204
        from bot.knowledge.personal import personal_case, personal_reply

        reply = self.answerer.respond(question, now)
        case = personal_case(self.personal, question, reply)
        return reply if case is None else personal_reply(self.answerer, case, reply, now, self.t, english=self.lang == "en")


def dev_language(questions: list[str]) -> str:
    """The language a dev set is written in: the one most of its questions are detected as."""
    from bot.core.language import detect_language

    detected = [detect_language(q) for q in questions]
    return "en" if detected.count("en") > detected.count("zh") else "zh"


def _load_groups(files: list[Path], lang: str = "auto", leave_out: bool = False, as_of: bool = False):  # noqa: ANN202
    """The matcher of the dev set's language and, per file or directory named, its scored dev
    questions; also the language. ``leave_out``: each question is scored without the phrasings
    close to it (see bot/knowledge/leave_out.py). ``as_of``: the content is an earlier commit's, so a
    label naming an entry written later is dropped, one naming an entry merged since accepts the
    entries merged into it, and a question with no label left is out of scope (``labels_as_of``)."""
    from bot.content.loader import ContentError
    from bot.knowledge.as_of import merged_since
    from bot.knowledge.evaluate import labels_as_of, load_dev, score_cases, with_personal_routes
    from bot.knowledge.leave_out import score_left_out
    from bot.knowledge.personal import personal_cases_of
    from bot.paths import content_root

    loaded = []
    for path in files:
        try:
            loaded.append((str(path), load_dev([path])))
        except ContentError as exc:
            _fail(f"no dev questions in {path}" if not exc.problems else str(exc))
    if lang == "auto":
        lang = dev_language([q.q for _, pairs in loaded for _, q in pairs])
    matcher = _answerer(lang).matcher
    # eval counts what the chat shows a personal-case question the matcher does not answer
    routes = personal_cases_of(content_root(), matcher.kb, lang)
    groups = []
    for name, pairs in loaded:
        if leave_out:
            cases, stats = score_left_out(matcher, pairs)
            typer.echo(
                f"{name}: {stats['questions_leaving_out']} of {len(pairs)} questions scored without "
                f"{stats['phrasings_left_out']} phrasings close to them",
                err=True,
            )
        else:
            cases = score_cases(matcher, pairs)
        with_personal_routes(cases, routes)
        if as_of and (later := labels_as_of(matcher, cases, merged_since())):
            typer.echo(f"{name}: {later} question(s) labelled with entries written after that commit count as out of scope", err=True)
        groups.append((name, cases))
    return matcher, groups, lang


def _load_cases(files: list[Path], lang: str = "auto", leave_out: bool = False, as_of: bool = False):  # noqa: ANN202
    matcher, groups, lang = _load_groups(files, lang, leave_out, as_of)
    return matcher, [case for _, cases in groups for case in cases], lang


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


def _print_report(report, as_json: bool, lang: str | None = None) -> None:  # noqa: ANN001
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
                    "language": lang,
                },
                ensure_ascii=False,
            )
        )
        return
    f = report.figures
    language = f", language {lang}" if lang else ""
    typer.echo(f"questions: {f['questions']} ({f['in_scope']} in scope, {f['out_of_scope']} out of scope){language}")
    typer.echo("what in-scope askers see:")
    for key, label in _IN_SCOPE_LABELS:
        typer.echo(f"  {label:36s} {f[key] * 100:6.1f}%")
    typer.echo("what out-of-scope askers see:")
    for key, label in _OUT_OF_SCOPE_LABELS:
        typer.echo(f"  {label:36s} {f[key] * 100:6.1f}%")
    typer.echo("ranking and details:")
    for key, label in (
        ("direct_right_first_label", "direct right by the first label only"),
        ("top1", "top-1"),
        ("top3", "top-3"),
        ("first_right_not_answered", "right one first, no direct answer"),
        ("guided", "direct right under a header (guided)"),
        ("wrong_with_right_button", "direct wrong, right one as a button"),
        ("fallback_right_related", "fallback, right one among related"),
        ("out_of_scope_related", "out of scope shown related topics"),
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
                    f"  [{r['file']}] {r['q']}  expect={r['expect']}{'+' + '+'.join(r['also']) if r['also'] else ''} got={r['got']} "
                    f"({r['outcome']}, {r['confidence']:.2f}) top3={r['top3']}"
                )
    if report.unknown_expect:
        typer.echo("expected ids that are not entries:")
        for r in report.unknown_expect:
            typer.echo(f"  [{r['file']}] {r['q']}  expect={r['expect']}")


#: ``--leave-out`` of ``kb eval`` and ``kb calibrate``
LeaveOut = Annotated[
    bool,
    typer.Option(
        "--leave-out",
        help="Score each question without the phrasings close to it: the figures of a question nobody wrote a phrasing for.",
    ),
]


@kb_app.command("eval")
def kb_eval(
    files: Annotated[list[Path], typer.Argument(help="Dev set files or directories (*.yaml).")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    lang: Annotated[str, typer.Option("--lang", help="Matcher to evaluate: zh, en, or auto (the dev set's language).")] = "auto",
    leave_out: LeaveOut = False,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Score with the entries and word lists of this commit, and today's code and matcher settings "
            "(knowledge/matcher.yaml): the figures of questions collected then, before anything was written for them.",
        ),
    ] = None,
    declarations_now: Annotated[
        bool,
        typer.Option(
            "--declarations-now",
            help="With --as-of: the entries' declarations (levels, subject, asks…) and the word lists that give them "
            "meaning are today's, the phrasings and answers the commit's: what a change reading new declarations does "
            "to those questions.",
        ),
    ] = False,
) -> None:
    """What askers see (direct right/wrong, suggested, fallback) overall, per topic and per source;
    top-1/top-3 below."""
    from bot.knowledge.evaluate import evaluate

    if declarations_now and as_of is None:
        _fail("--declarations-now needs --as-of REV")
    with _content_of(as_of, declarations_now):
        matcher, cases, lang = _load_cases(files, _check_lang(lang), leave_out, as_of is not None)
        _print_report(evaluate(matcher, cases), as_json, lang)


@kb_app.command("calibrate")
def kb_calibrate(
    files: Annotated[list[Path], typer.Argument(help="Dev set files or directories (*.yaml).")],
    write: Annotated[
        bool, typer.Option("--write", help="Store the thresholds in knowledge/matcher.yaml (knowledge/en/matcher.yaml for English).")
    ] = False,
    lang: Annotated[str, typer.Option("--lang", help="Matcher to calibrate: zh, en, or auto (the dev set's language).")] = "auto",
    max_wrong: Annotated[
        float, typer.Option("--max-wrong", min=0.0, max=1.0, help="Largest share of in-scope questions answered wrongly.")
    ] = MAX_WRONG,
    max_oos_answered: Annotated[
        float, typer.Option("--max-oos-answered", min=0.0, max=1.0, help="Largest share of out-of-scope questions answered.")
    ] = MAX_OOS_ANSWERED,
    per_file: Annotated[
        bool, typer.Option("--per-file-limits", help="Keep the wrong and out-of-scope limits in each file, not only overall.")
    ] = False,
    leave_out: LeaveOut = False,
    unseen: Annotated[
        list[str] | None,
        typer.Option(
            "--unseen",
            help="REV:FILE[,FILE…]: questions scored against the entries of commit REV (see kb eval --as-of), "
            "standing for questions nobody wrote phrasings for; each such group keeps its own limits.",
        ),
    ] = None,
    max_unseen_wrong: Annotated[
        float, typer.Option("--max-unseen-wrong", min=0.0, max=1.0, help="Largest share of an --unseen group's in-scope questions answered wrongly.")
    ] = MAX_UNSEEN_WRONG,
    max_unseen_oos: Annotated[
        float,
        typer.Option("--max-unseen-oos-answered", min=0.0, max=1.0, help="Largest share of an --unseen group's out-of-scope questions answered."),
    ] = MAX_UNSEEN_OOS_ANSWERED,
    suggest: Annotated[
        float | None, typer.Option("--suggest", min=0.0, max=1.0, help="Keep the suggestion threshold at this value instead of searching it.")
    ] = None,
    keep: Annotated[
        bool,
        typer.Option(
            "--keep",
            help="Measure at the thresholds the matcher file holds instead of searching them; with --write, "
            "only the calibration block is rewritten.",
        ),
    ] = False,
) -> None:
    """Search the thresholds on the dev set (and tuning sets) and show the resulting figures. The
    limits apply to all questions together: lower them to keep headroom in every file. ``--keep``
    re-measures the recorded figures after a change of content or of a threshold set by hand, so
    the calibration block always says what the thresholds in the file give."""
    from bot.knowledge.evaluate import calibrate, evaluate

    if keep and suggest is not None:
        _fail("--keep measures the thresholds the matcher file holds; --suggest sets one for a search")
    lang = _check_lang(lang)
    matcher, groups, lang = _load_groups(files, lang, leave_out)
    fitted = len(groups)
    groups += _unseen_groups(unseen or [], lang)
    membership = [i if per_file or i >= fitted else 0 for i, (_, cases) in enumerate(groups) for _ in cases]
    limits = {i: (max_unseen_wrong, max_unseen_oos) for i in range(fitted, len(groups))}
    everything = [case for _, cases in groups for case in cases]
    if keep:
        thresholds = matcher.config.thresholds
        report = evaluate(matcher, everything)
    else:
        thresholds, report = calibrate(
            matcher,
            everything,
            max_wrong,
            max_oos_answered,
            groups=membership,
            limits=limits,
            suggest=suggest,
        )
    typer.echo(f"thresholds: {thresholds.model_dump()}")
    _print_report(report, as_json=False, lang=lang)
    config = matcher.config.model_copy(update={"thresholds": thresholds})
    per_file = {name: evaluate(matcher, cases, config).figures for name, cases in groups}
    if len(per_file) > 1:
        for name, f in per_file.items():
            shown = ", ".join(f"{label} {f[key] * 100:.1f}%" for key, label in _IN_SCOPE_LABELS[:2] + _OUT_OF_SCOPE_LABELS[:1])
            typer.echo(f"{name}: {shown}")
    if write:
        from bot.knowledge.tuning import write_thresholds
        from bot.paths import content_root

        path = write_thresholds(content_root(), thresholds, report.figures, per_file, lang=lang)
        typer.echo(f"written to {path}")


@contextmanager
def _content_of(revision: str | None, declarations_now: bool = False) -> Iterator[None]:
    """The content of ``revision`` (see bot/knowledge/as_of.py; with ``declarations_now``, today's
    declarations over it) while the block runs, the work tree's when None; a revision git cannot
    read is one error line (exit 2)."""
    if revision is None:
        yield
        return
    from bot.knowledge.as_of import RevisionError, content_as_of

    try:
        with content_as_of(revision, declarations_now=declarations_now):
            yield
    except RevisionError as exc:
        _fail(str(exc))


def _unseen_groups(specs: list[str], lang: str) -> list[tuple[str, list]]:
    """One group of cases per ``REV:FILE[,FILE…]``, scored against the entries of REV."""
    groups = []
    for spec in specs:
        revision, _, names = spec.partition(":")
        paths = [Path(name) for name in names.split(",") if name]
        if not revision or not paths:
            _fail(f"--unseen takes REV:FILE[,FILE…], not {spec[:60]!r}")
        with _content_of(revision):
            _, loaded, _ = _load_groups(paths, lang, as_of=True)
        groups.append((f"as of {revision}: {', '.join(str(p) for p in paths)}", [c for _, cases in loaded for c in cases]))
    return groups


def _on_database(work):  # noqa: ANN001, ANN202
    """Run ``await work(db)`` on the configured database, migrated first; returns its result. A
    database that cannot be used is one error line (exit 2), not a traceback."""
    import asyncio

    from bot.cli_common import settings_or_exit
    from bot.storage.db import Database

    settings = settings_or_exit()

    async def main():  # noqa: ANN202
        db = Database(settings.database_url, schema=settings.database_schema)
        try:
            await db.upgrade()
            return await work(db)
        except Exception as exc:  # noqa: BLE001
            _fail(f"database {db.dialect} is not usable: {type(exc).__name__}")
        finally:
            await db.dispose()

    return asyncio.run(main())


@kb_app.command("gaps")
def kb_gaps(limit: Annotated[int, typer.Option(min=1, max=500)] = 20) -> None:
    """The most frequent questions the bot could not answer, for staff to curate."""
    from bot.knowledge.feedback import top_gaps, vote_totals

    async def read(db):  # noqa: ANN001, ANN202
        async with db.session() as session:
            return *(await top_gaps(session, limit)), await vote_totals(session)

    rows, total, votes = _on_database(read)
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


@kb_app.command("learn")
def kb_learn(
    accept_ids: Annotated[
        list[int] | None, typer.Option("--accept", help="Write these candidates into their entries' YAML as phrasings.")
    ] = None,
    reject_ids: Annotated[list[int] | None, typer.Option("--reject", help="Drop these candidates.")] = None,
    ids: Annotated[list[int] | None, typer.Argument(help="More ids for --accept or --reject.", show_default=False)] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """Phrasing candidates learnt in chat (suggestion pressed, rephrase after 👎), most frequent first.

    `kb learn` lists them; `kb learn --accept 3 5` adds them to their entries as alternatives
    (comments and order of the file kept; refused with the reason when the text is already a
    phrasing, too short or too long); `kb learn --reject 4` drops them.
    """
    from bot.content.loader import ContentError
    from bot.knowledge import curation
    from bot.knowledge.loader import load_knowledge
    from bot.paths import content_root

    accept_list = list(accept_ids or [])
    reject_list = list(reject_ids or [])
    if accept_list and reject_list:
        _fail("give either --accept or --reject, not both")
    if ids:
        if not (accept_list or reject_list):
            _fail("candidate ids need --accept or --reject")
        (accept_list if accept_list else reject_list).extend(ids)
    root = content_root()

    async def reject(db):  # noqa: ANN001, ANN202
        async with db.session() as session:
            gone = await curation.reject(session, reject_list)
        for cid in reject_list:
            typer.echo(f"  {cid}: rejected" if cid in gone else f"  {cid}: no such candidate")
        return sum(cid not in gone for cid in reject_list)

    async def accept(db):  # noqa: ANN001, ANN202
        refused = 0
        for cid in dict.fromkeys(accept_list):
            try:
                async with db.session() as session:  # one transaction per candidate
                    row, path = await curation.accept(session, root, cid)
            except curation.Refused as exc:
                typer.echo(f"  {cid}: refused: {exc}")
                refused += 1
                continue
            typer.echo(f"  {cid}: added {row.text!r} to {row.entry_id} in {path}")
        return refused

    async def listing(db):  # noqa: ANN001, ANN202
        try:
            kb = load_knowledge(root)
        except ContentError:
            typer.echo("warning: the knowledge base does not load (run `python -m bot check`); entry questions unknown")
            kb = None
        async with db.session() as session:
            return await curation.list_candidates(session, kb, limit)

    if reject_list or accept_list:
        if _on_database(reject if reject_list else accept):
            raise typer.Exit(1)
        return
    rows, total = _on_database(listing)
    if not rows:
        typer.echo("no phrasing candidates yet")
        return
    typer.echo(f"phrasing candidates ({total}), most frequent first:")
    typer.echo(f"  {'id':>5}  {'count':>5}  text  →  entry (its question)")
    for r in rows:
        question = r.entry_question if r.entry_question is not None else "(entry no longer exists)"
        typer.echo(f"  {r.id:5d}  {r.count:5d}  {r.text}  →  {r.entry_id} ({question})")
    typer.echo("accept: kb learn --accept ID…   reject: kb learn --reject ID…")

if TYPE_CHECKING:
    from bot.cli_common import AppBuilder


def register(app: typer.Typer, _build_app_or_exit: AppBuilder) -> None:
    app.command("ask")(ask)
    app.add_typer(kb_app, name="kb")
