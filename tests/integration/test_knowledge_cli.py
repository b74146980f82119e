"""``python -m bot ask`` / ``kb eval`` / ``kb calibrate`` / ``kb gaps`` from a real process."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.helpers import PROJECT_ENV

ROOT = Path(__file__).resolve().parents[2]
DEV_DIR = ROOT / "tests" / "data" / "kb_dev"


def run_bot(*args: str, env: dict | None = None, timeout: int = 120):
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env or PROJECT_ENV, cwd=ROOT, timeout=timeout
    )


def test_ask_json_answers_with_source_and_fields():
    proc = run_bot("ask", "評審費多少錢？", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) >= {"answered", "answer", "entry_id", "score", "sources", "suggestions"}
    assert data["answered"] is True and data["entry_id"] == "fee-amounts"
    assert "360" in data["answer"] and data["answer"].rstrip().splitlines()[-1].startswith("来源：")
    assert data["sources"][0] == {
        "document": "n2024",
        "document_short": "2024年新区通知",
        "section": "三(五)2",
        "confidence": "high",
    }
    assert data["suggestions"] == []


def test_ask_plain_text_fallback_shows_office_contacts():
    proc = run_bot("ask", "今天天气怎么样")
    assert proc.returncode == 0
    assert "0532-85161632" in proc.stdout and "xhazjk@163.com" in proc.stdout


def test_ask_file_gives_json_lines(tmp_path):
    from tests.support.kb_fixtures import make_content_root

    env = PROJECT_ENV | {"CONTENT_DIR": str(make_content_root(tmp_path))}
    questions = tmp_path / "q.txt"
    questions.write_text("评审费多少钱\n\n今天天气怎么样\n评审费\n", encoding="utf-8")
    proc = run_bot("ask", "--file", str(questions), "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [item["question"] for item in lines] == ["评审费多少钱", "今天天气怎么样", "评审费"]
    assert lines[0]["answered"] and not lines[1]["answered"] and lines[1]["entry_id"] is None
    assert not lines[2]["answered"] and 1 <= len(lines[2]["suggestions"]) <= 3
    assert all(set(s) == {"id", "question"} for s in lines[2]["suggestions"])


def test_ask_bad_usage_is_one_line_not_a_traceback(tmp_path):
    proc = run_bot("ask")
    assert proc.returncode == 2 and "give either a question or --file" in proc.stderr
    proc = run_bot("ask", "--file", str(tmp_path / "missing.txt"))
    assert proc.returncode == 2 and "cannot read" in proc.stderr and "Traceback" not in proc.stderr


def test_ask_is_fast_and_touches_neither_database_nor_frameworks(tmp_path):
    code = (
        "import sys, runpy; sys.argv=['bot','ask','评审费多少钱','--json']\n"
        "try:\n runpy.run_module('bot', run_name='__main__')\n"
        "except SystemExit: pass\n"
        "bad=[m for m in sys.modules if m.split('.')[0] in ('aiogram','telegram','sqlalchemy','alembic','aiosqlite','asyncpg')]\n"
        "print('HEAVY', bad)"
    )
    env = PROJECT_ENV | {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'never.db'}"}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    elapsed = time.perf_counter() - start
    assert "HEAVY []" in proc.stdout, proc.stdout + proc.stderr
    assert not (tmp_path / "never.db").exists()
    assert elapsed < 3.0 * 2  # the budget is 3 s; allow for a loaded test machine (benchmark measures it)


def test_kb_eval_prints_the_figures():
    proc = run_bot("kb", "eval", str(DEV_DIR))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    # what the asker sees comes first, the ranking figures after it
    assert lines[1] == "what in-scope askers see:" and lines[2].split()[:2] == ["direct", "right"]
    for label in ("direct wrong", "suggested, right one among them", "answered (bad)", "top-1", "top-3", "per topic", "per source"):
        assert label in proc.stdout
    assert proc.stdout.index("direct right") < proc.stdout.index("top-1")
    proc = run_bot("kb", "eval", *map(str, sorted(DEV_DIR.glob("*.yaml"))), "--json")
    data = json.loads(proc.stdout)
    assert data["figures"]["questions"] >= 250 and "paper_and_fee" in data["per_topic"]
    assert "direct_right" in data["figures"] and "dev_a.yaml" in data["per_source"]


def test_kb_eval_leave_out_scores_the_tuning_half_without_its_own_phrasings():
    tune = ROOT / "tests" / "data" / "kb_real" / "tune.yaml"
    full = json.loads(run_bot("kb", "eval", str(tune), "--json").stdout)["figures"]
    proc = run_bot("kb", "eval", str(tune), "--leave-out", "--json")
    assert proc.returncode == 0, proc.stderr
    left_out = json.loads(proc.stdout)["figures"]
    # the count goes to stderr, so the JSON on stdout stays parseable
    count = re.search(r"(\d+) of (\d+) questions scored without (\d+) phrasings", proc.stderr)
    assert count and int(count.group(1)) > 0 and int(count.group(2)) == full["questions"]
    # phrasings written from tuning questions made them easy: without them fewer are answered right
    assert left_out["questions"] == full["questions"] and left_out["direct_right"] < full["direct_right"]


def test_kb_calibrate_leave_out_searches_on_the_left_out_scores_and_leaves_the_file():
    before = (ROOT / "knowledge" / "matcher.yaml").read_text(encoding="utf-8")
    tune = ROOT / "tests" / "data" / "kb_real" / "tune.yaml"
    proc = run_bot("kb", "calibrate", str(tune), "--leave-out")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("thresholds: {'answer':") and "direct right" in proc.stdout
    count = re.search(r"(\d+) of \d+ questions scored without (\d+) phrasings", proc.stderr)
    assert count and int(count.group(1)) > 0 and int(count.group(2)) > 0
    assert (ROOT / "knowledge" / "matcher.yaml").read_text(encoding="utf-8") == before


def test_kb_calibrate_unseen_groups_keep_their_own_limits_and_suggest_is_kept():
    """A set scored as of the commit that added it is calibrated under its own limits, and
    ``--suggest`` fixes the list threshold instead of searching it."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs the project's git history")
    before = (ROOT / "knowledge" / "matcher.yaml").read_text(encoding="utf-8")
    real = ROOT / "tests" / "data" / "kb_real"
    unseen = f"e8e0e5f:{real / 'fresh3.yaml'}"
    proc = run_bot("kb", "calibrate", str(DEV_DIR), "--unseen", unseen, "--max-unseen-wrong", "0.1", "--suggest", "0.44")
    assert proc.returncode == 0, proc.stderr
    thresholds = ast.literal_eval(proc.stdout.splitlines()[0].removeprefix("thresholds: "))
    assert thresholds["suggest"] == 0.44
    line = next(x for x in proc.stdout.splitlines() if x.startswith("as of e8e0e5f:"))
    wrong = float(re.search(r"direct wrong ([\d.]+)%", line).group(1))
    # fresh3 has 21 in-scope questions: 10 % allows two wrong answers
    assert wrong <= 2 / 21 * 100 + 1e-6
    assert (ROOT / "knowledge" / "matcher.yaml").read_text(encoding="utf-8") == before
    bad = run_bot("kb", "calibrate", str(DEV_DIR), "--unseen", "e8e0e5f")
    assert bad.returncode == 2 and "--unseen takes REV:FILE" in bad.stderr and "Traceback" not in bad.stderr


def test_kb_eval_bad_file_is_reported(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("questions: [{q: 1, expect: [x]}]\n", encoding="utf-8")
    proc = run_bot("kb", "eval", str(bad))
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "bad.yaml" in proc.stderr


def test_kb_calibrate_without_write_leaves_the_file(tmp_path):
    before = (ROOT / "knowledge" / "matcher.yaml").read_text(encoding="utf-8")
    proc = run_bot("kb", "calibrate", str(DEV_DIR))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("thresholds: {'answer':")
    assert (ROOT / "knowledge" / "matcher.yaml").read_text(encoding="utf-8") == before


def test_kb_calibrate_keep_rewrites_only_the_figures_at_the_files_thresholds(tmp_path):
    """``--keep --write`` leaves the thresholds (even ones no search would pick) and the header as
    they are and records what ``kb eval`` measures at them."""
    import yaml

    for folder in ("knowledge", "dialogs", "rules"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    path = tmp_path / "knowledge" / "matcher.yaml"
    text = path.read_text(encoding="utf-8")
    header = text[: text.index("thresholds:")]
    path.write_text(re.sub(r"(?m)^  answer: [\d.]+$", "  answer: 0.61", text).replace("  related: ", "  related: 0.4 #", 1), encoding="utf-8")
    env = PROJECT_ENV | {"CONTENT_DIR": str(tmp_path)}
    tune = ROOT / "tests" / "data" / "kb_real" / "tune.yaml"
    proc = run_bot("kb", "calibrate", str(tune), "--keep", "--write", env=env)
    assert proc.returncode == 0, proc.stderr
    written = path.read_text(encoding="utf-8")
    assert written.startswith(header)
    saved = yaml.safe_load(written)
    assert saved["thresholds"]["answer"] == 0.61 and saved["thresholds"]["related"] == 0.4
    measured = json.loads(run_bot("kb", "eval", str(tune), "--json", env=env).stdout)["figures"]
    for key in ("direct_right", "direct_wrong", "fallback_right_related", "out_of_scope_related"):
        assert saved["calibration"][key] == round(measured[key], 4)
    both = run_bot("kb", "calibrate", str(tune), "--keep", "--suggest", "0.4", env=env)
    assert both.returncode == 2 and "--keep measures" in both.stderr and "Traceback" not in both.stderr


async def test_kb_gaps_lists_frequent_unanswered_questions(tmp_path):
    from tests.support.helpers import ChatUser, make_app

    env = PROJECT_ENV | {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"}
    proc = run_bot("kb", "gaps", env=env)
    assert proc.returncode == 0 and "no unanswered questions" in proc.stdout
    app = await make_app("sqlite", tmp_path)
    try:
        for uid, question in (("1", "今天天气怎么样"), ("2", "今天天气怎么样？"), ("3", "帮我写一首诗")):
            await ChatUser(app, user_id=uid).say(question)
        voter = ChatUser(app, user_id="4")
        await voter.say("评审费多少钱")  # answered (no gap); its 👎 counts
        await voter.press_label("👎 没帮助")
    finally:
        await app.close()
    proc = run_bot("kb", "gaps", env=env)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "2 distinct" in lines[0]
    assert "2×" in lines[1] and "今天天气怎么样" in lines[1] and "[fallback]" in lines[1]
    assert "answers voted not helpful" in proc.stdout and "fee-amounts" in lines[-1]
