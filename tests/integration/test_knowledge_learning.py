"""The learning loop: a suggestion pressed (or a rephrase after 👎) becomes a phrasing candidate
without any user id; ``kb learn`` lists it, ``--accept`` writes it into the entry's YAML with the file's
formatting kept, and after reloading the same question is answered directly."""

from __future__ import annotations

import difflib
import shutil
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select, text

from bot.knowledge import curation
from bot.knowledge.loader import load_knowledge
from bot.knowledge.models import PhrasingCandidate, QuestionRef
from bot.paths import PROJECT_ROOT
from bot.storage.models import UserNote
from tests.integration.test_knowledge_cli import run_bot
from tests.support.helpers import PROJECT_ENV, ChatUser, make_app, make_clock, pg_schema
from tests.support.kb_fixtures import make_content_root


@pytest.fixture
def content(tmp_path, monkeypatch) -> Path:
    root = make_content_root(tmp_path)
    monkeypatch.setenv("CONTENT_DIR", str(root))
    return root


class Backend:
    """Opens the bot on one database again and again (a restart reloads the content)."""

    def __init__(self, backend: str, tmp_path: Path, schema: str | None) -> None:
        self.backend, self.tmp_path, self.schema = backend, tmp_path, schema
        self.clock = make_clock()

    @asynccontextmanager
    async def running(self):  # noqa: ANN201
        app = await make_app(self.backend, self.tmp_path, clock=self.clock, schema=self.schema)
        try:
            yield app
        finally:
            await app.close()


@pytest.fixture
async def db(backend, tmp_path, content):
    if backend == "postgres":
        async with pg_schema() as schema:
            yield Backend(backend, tmp_path, schema)
    else:
        yield Backend(backend, tmp_path, None)


async def all_rows(app, model) -> list:
    async with app.db.session() as s:
        return list((await s.execute(select(model))).scalars().all())


async def press_suggestion(user: ChatUser, question: str, label: str) -> None:
    await user.say(question)
    assert "您是不是想问" in user.text, user.text
    await user.press_label(label)


async def test_pressed_suggestion_is_learnt_accepted_and_then_answered_directly(db, content):
    async with db.running() as app:
        await press_suggestion(ChatUser(app, user_id="11"), "评审费", "评审费怎么交？")
        await press_suggestion(ChatUser(app, user_id="12"), "評審費！", "评审费怎么交？")  # normalises alike
        async with app.db.session() as session:
            rows, total = await curation.list_candidates(session, load_knowledge(content), 10)
        assert total == 1
        (row,) = rows
        assert (row.count, row.text, row.entry_id, row.entry_question) == (2, "评审费", "fee-payment", "评审费怎么交？")
        async with app.db.session() as session:
            _candidate, path = await curation.accept(session, content, row.id)
        assert path.parent == content / "knowledge" / "entries"
        assert await all_rows(app, PhrasingCandidate) == []
    assert "评审费" in load_knowledge(content).by_id["fee-payment"].alternatives
    async with db.running() as app:  # a restart loads the changed content
        user = ChatUser(app, user_id="13")
        await user.say("评审费")
        assert "扫描二维码" in user.text and "您是不是想问" not in user.text
        assert user.button_data[0].startswith("kb:up:fee-payment:")


async def test_dislike_then_rephrase_teaches_the_first_question(db, content):
    async with db.running() as app:
        user = ChatUser(app, user_id="21")
        await user.say("评审费交多少")  # answered with the amounts
        assert "360元" in user.text
        down = user.button_data[1]
        replies = await user.press(down)
        assert "换个说法" in replies[0].toast
        await user.say("评审费交给谁")  # the rephrase reaches another entry
        assert "扫描二维码" in user.text
        got = {(c.text, c.entry_id, c.count) for c in await all_rows(app, PhrasingCandidate)}
        assert got == {("评审费交多少", "fee-payment", 1)}
        # the rephrase note is used up; what stays is the mark that this answer was voted on
        assert [n.kind for n in await all_rows(app, UserNote)] == ["kb_votes"]
        # without 👎 a second question teaches nothing
        await user.say("纸质材料送到哪里")
        assert len(await all_rows(app, PhrasingCandidate)) == 1


async def test_dislike_then_suggestion_pressed_teaches_both_questions(db, content):
    async with db.running() as app:
        user = ChatUser(app, user_id="22")
        await user.say("评审费交多少")
        await user.press(user.button_data[1])
        await press_suggestion(user, "评审费", "评审费怎么交？")
        got = {(c.text, c.entry_id) for c in await all_rows(app, PhrasingCandidate)}
        assert got == {("评审费交多少", "fee-payment"), ("评审费", "fee-payment")}


async def test_nothing_learnt_is_linked_to_a_user_and_forget_leaves_it(db, content):
    for model in (PhrasingCandidate, QuestionRef):
        columns = {c.name for c in model.__table__.columns}
        assert not any("user" in c or "chat" in c for c in columns), columns
        assert not model.__table__.foreign_keys
    async with db.running() as app:
        user = ChatUser(app, user_id="31")
        await press_suggestion(user, "我的电话13912345678，评审费交多少", "评审费是多少？")
        await press_suggestion(user, "评审费", "评审费怎么交？")
        stored = [r.text for r in await all_rows(app, QuestionRef)] + [c.text for c in await all_rows(app, PhrasingCandidate)]
        assert stored and not any("13912345678" in t for t in stored)
        assert {c.text for c in await all_rows(app, PhrasingCandidate)} == {"评审费"}  # a masked text is not learnt
        await user.say("评审费交多少")
        await user.press(user.button_data[1])  # 👎: a note for this user, for ten minutes (and the vote's mark)
        assert sorted(n.kind for n in await all_rows(app, UserNote)) == ["kb_rephrase", "kb_votes"]
        await user.say("/privacy")
        assert "没帮助" in user.text
        await user.say("/forget")
        await user.press("forget:yes")
        assert await all_rows(app, UserNote) == []
        assert [c.text for c in await all_rows(app, PhrasingCandidate)] == ["评审费"]  # not the user's: kept
        async with app.db.session() as s:
            users = (await s.execute(text("SELECT count(*) FROM users WHERE external_id = '31'"))).scalar_one()
        assert users == 0


@pytest.mark.parametrize("data", ["kb:a:fee-payment:aaaaaaaaa", "kb:a:online-deadline:REF", "kb:up:fee-amounts:aaaaaaaaa"])
async def test_forged_or_unknown_references_teach_nothing(db, content, data):
    async with db.running() as app:
        user = ChatUser(app, user_id="41")
        await user.press(data)
        assert await all_rows(app, PhrasingCandidate) == []


async def test_a_reference_to_an_entry_the_question_does_not_rank_teaches_nothing(db, content):
    async with db.running() as app:
        user = ChatUser(app, user_id="42")
        await user.say("评审费")
        ref = user.button_data[0].rsplit(":", 1)[1]
        await user.press(f"kb:a:online-deadline:{ref}")  # a valid reference, an entry it does not rank
        assert "8月30日" in user.text
        assert await all_rows(app, PhrasingCandidate) == []


# ---- writing the YAML --------------------------------------------------------------------------
@pytest.fixture
def real_copy(tmp_path) -> Path:
    root = tmp_path / "real"
    for folder in ("dialogs", "knowledge", "rules"):
        shutil.copytree(PROJECT_ROOT / folder, root / folder)
    return root


def test_accepting_adds_one_line_and_keeps_the_file_valid(real_copy):
    from bot.app import content_checkers
    from bot.content.check import run_checks

    path = real_copy / "knowledge" / "entries" / "a_eligibility.yaml"
    before = path.read_text(encoding="utf-8")
    written = curation.add_phrasing(real_copy, "elig-assistant", "当助理工程师得满足啥条件")
    assert written == path
    after = path.read_text(encoding="utf-8")
    diff = [d for d in difflib.ndiff(before.splitlines(), after.splitlines()) if d[:1] in "+-"]
    assert diff == ["+       - 当助理工程师得满足啥条件"]
    lines = after.splitlines()
    added = lines.index("      - 当助理工程师得满足啥条件")
    entry = next(e for e in yaml.safe_load(before)["entries"] if e["id"] == "elig-assistant")
    assert lines[added - 1] == f"      - {entry['alternatives'][-1]}"  # right after the entry's last alternative
    assert before.splitlines()[0].startswith("# ")  # comments kept (the whole rest is unchanged)
    assert all(not problems for problems in run_checks(real_copy, content_checkers()).values())
    assert (PROJECT_ROOT / "knowledge" / "entries" / "a_eligibility.yaml").read_text(encoding="utf-8") == before


@pytest.mark.parametrize(
    ("entry_id", "phrase", "reason"),
    [
        ("elig-assistant", "助工怎么评", "already a phrasing of elig-assistant"),
        ("elig-assistant", "中级职称申报条件", "already a phrasing of elig-intermediate"),
        ("elig-assistant", "助工 怎么评？", "already a phrasing"),
        ("elig-assistant", "评", "characters"),
        ("elig-assistant", "助理" * 31, "characters"),
        ("elig-assistant", "电话＊能报助工吗", "masked"),
        ("no-such-entry", "助理工程师要满足哪些条件", "no longer exists"),
    ],
)
def test_accepting_refuses_and_leaves_the_files(real_copy, entry_id, phrase, reason):
    entries = real_copy / "knowledge" / "entries"
    before = {p.name: p.read_bytes() for p in entries.glob("*.yaml")}
    with pytest.raises(curation.Refused, match=reason):
        curation.add_phrasing(real_copy, entry_id, phrase)
    assert {p.name: p.read_bytes() for p in entries.glob("*.yaml")} == before


# ---- the command line --------------------------------------------------------------------------
async def test_kb_learn_command_lists_accepts_and_rejects(tmp_path, content):
    env = PROJECT_ENV | {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", "CONTENT_DIR": str(content)}
    proc = run_bot("kb", "learn", env=env)
    assert proc.returncode == 0 and "no phrasing candidates" in proc.stdout, proc.stderr
    app = await make_app("sqlite", tmp_path)
    try:
        for uid in ("1", "2"):
            await press_suggestion(ChatUser(app, user_id=uid), "评审费", "评审费怎么交？")
        await press_suggestion(ChatUser(app, user_id="3"), "评审费", "评审费是多少？")
    finally:
        await app.close()
    proc = run_bot("kb", "learn", env=env)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "(2)" in lines[0]
    first, second = lines[2].split(), lines[3].split()
    assert first[1:] == ["2", "评审费", "→", "fee-payment", "(评审费怎么交？)"]
    assert second[1:] == ["1", "评审费", "→", "fee-amounts", "(评审费是多少？)"]
    keep, drop = first[0], second[0]
    proc = run_bot("kb", "learn", "--reject", drop, env=env)
    assert proc.returncode == 0 and f"{drop}: rejected" in proc.stdout
    proc = run_bot("kb", "learn", "--accept", keep, "999", env=env)
    assert proc.returncode == 1  # one of the two was refused
    assert f"{keep}: added '评审费' to fee-payment" in proc.stdout and "999: refused: no such candidate" in proc.stdout
    assert "no phrasing candidates" in run_bot("kb", "learn", env=env).stdout
    proc = run_bot("kb", "learn", "--accept", "1", "--reject", "2", env=env)
    assert proc.returncode == 2 and "either" in proc.stderr


async def test_question_references_are_deleted_after_a_month(db, content):
    async with db.running() as app:
        user = ChatUser(app, user_id="51")
        await user.say("评审费")
        old_suggestions = list(user.last)
        db.clock.advance(days=31)
        await user.say("纸质材料送到哪里")  # a new question: references past their age go
        assert [r.text for r in await all_rows(app, QuestionRef)] == ["纸质材料送到哪里"]
        user.last = old_suggestions
        await user.press_label("评审费怎么交？")  # still answers, teaches nothing
        assert "扫描二维码" in user.text
        assert await all_rows(app, PhrasingCandidate) == []


async def test_a_repeated_question_is_stored_once_and_again_after_its_row_is_gone(db, content):
    """The process remembers the references it stored for a few hours only: a question asked again
    after its row was pruned is stored anew, so its buttons still teach."""
    async with db.running() as app:
        user = ChatUser(app, user_id="52")
        await user.say("评审费")
        await user.say("评审费")
        assert [r.text for r in await all_rows(app, QuestionRef)] == ["评审费"]
        db.clock.advance(days=31)
        await user.say("纸质材料送到哪里")  # prunes the month-old row of 评审费
        await user.say("评审费")
        assert sorted(r.text for r in await all_rows(app, QuestionRef)) == ["纸质材料送到哪里", "评审费"]
        await user.press_label("评审费怎么交？")
        assert [c.text for c in await all_rows(app, PhrasingCandidate)] == ["评审费"]


def test_button_data_with_a_reference_fits_telegram_for_the_longest_entry_id():
    from datetime import UTC, datetime

    from bot.knowledge.feedback import vote_data, vote_day, vote_token
    from bot.knowledge.learning import ref_for
    from bot.knowledge.schema import ENTRY_ID_MAX

    longest = "x" * ENTRY_ID_MAX
    ref = ref_for("评审费")
    assert len(f"kb:a:{longest}:{ref}".encode()) <= 64
    token = vote_token(b"secret", "telegram:-1001234567890", longest, vote_day(datetime.now(UTC)))
    assert len(vote_data("kb", "dn", longest, token, ref).encode()) == 64  # 👎 uses the whole allowance
