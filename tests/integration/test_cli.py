"""The command line: fast help without frameworks, check with file/line/reason, db upgrade."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.helpers import PROJECT_ENV

ROOT = Path(__file__).resolve().parents[2]


def run_bot(*args: str, env: dict | None = None, cwd: Path | None = None, stdin: str | None = None):
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=env or PROJECT_ENV,
        cwd=cwd or ROOT,
        input=stdin,
        timeout=120,
    )


def test_help_lists_commands_and_imports_no_framework():
    code = (
        "import sys, runpy; sys.argv=['bot','--help']\n"
        "try:\n runpy.run_module('bot', run_name='__main__')\n"
        "except SystemExit: pass\n"
        "bad=[m for m in sys.modules if m.split('.')[0] in ('aiogram','telegram','bm25s','openpyxl')]\n"
        "print('FRAMEWORKS', bad)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=PROJECT_ENV, cwd=ROOT, timeout=60)
    assert "chat" in proc.stdout and "check" in proc.stdout
    assert "FRAMEWORKS []" in proc.stdout


def test_check_passes_on_the_repository_content():
    proc = run_bot("check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "all content is valid" in proc.stdout


def _copy_content(tmp_path: Path) -> Path:
    for name in ("dialogs", "knowledge", "rules"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


def test_check_reports_file_line_and_reason(tmp_path):
    root = _copy_content(tmp_path)
    office = root / "rules" / "office.yaml"
    text = office.read_text(encoding="utf-8").replace("phone: 0532-85161632", "phone: call-us")
    office.write_text(text, encoding="utf-8")
    proc = run_bot("check", env=PROJECT_ENV | {"CONTENT_DIR": str(root)})
    assert proc.returncode == 1
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "call-us" in s)
    assert f"rules/office.yaml:{line}: office.phone" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_check_reports_yaml_syntax_and_duplicate_keys(tmp_path):
    root = _copy_content(tmp_path)
    texts = root / "dialogs" / "texts.yaml"
    texts.write_text(texts.read_text(encoding="utf-8") + "\nmenu:\n  qa: again\n", encoding="utf-8")
    proc = run_bot("check", env=PROJECT_ENV | {"CONTENT_DIR": str(root)})
    assert proc.returncode == 1
    assert "dialogs/texts.yaml:" in proc.stdout and "duplicate key" in proc.stdout


def test_db_upgrade_creates_schema(tmp_path):
    env = PROJECT_ENV | {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db"}
    proc = run_bot("db", "upgrade", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "database at revision" in proc.stdout


def test_db_upgrade_unreachable_postgres_is_one_line(tmp_path):
    env = PROJECT_ENV | {"DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none"}
    proc = run_bot("db", "upgrade", env=env)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: migration failed")


def test_terminal_chat_runs_from_stdin(tmp_path):
    env = PROJECT_ENV | {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/chat.db"}
    proc = run_bot("chat", env=env, stdin="/help\n1\n/quit\n")
    assert proc.returncode == 0, proc.stderr
    assert "[1] 问答" in proc.stdout
    assert "Traceback" not in proc.stderr
    assert proc.stdout.startswith("职称助手（终端版）")  # the banner, from dialogs/texts.yaml


def test_terminal_shows_a_toast_with_its_label_from_the_texts():
    import io
    from types import SimpleNamespace

    from bot.channels.terminal import TerminalChat
    from bot.content.texts import Texts
    from bot.core.messages import Outbound

    texts = Texts({"terminal.toast": "（提示）{text}"})
    out = io.StringIO()
    chat = TerminalChat(conversation=SimpleNamespace(services=SimpleNamespace(texts=texts)), out=out)  # type: ignore[arg-type]
    chat.render([Outbound(toast="该按钮已失效")])
    assert out.getvalue() == "（提示）该按钮已失效\n"


def test_terminal_number_question_takes_digits_as_the_answer():
    from bot.channels.terminal import TerminalChat
    from bot.core.messages import Button, Outbound

    chat = TerminalChat(conversation=None, out=open("/dev/null", "w"))  # type: ignore[arg-type]
    buttons = [[Button(text="上一步", data="x:b"), Button(text="重新开始", data="x:r")]]
    chat.render([Outbound(text="任职几年？", buttons=buttons, expects_typed_answer=True)])
    assert chat.to_inbound("2").kind == "text"
    assert chat.to_inbound("#2").callback_data == "x:r"
    chat.render([Outbound(text="选择", buttons=buttons)])
    assert chat.to_inbound("2").callback_data == "x:r"


def test_check_refuses_a_cycle_without_the_fee_of_a_level(tmp_path):
    root = _copy_content(tmp_path)
    cycle = root / "rules" / "cycles" / "2024.yaml"
    cycle.write_text(cycle.read_text(encoding="utf-8").replace("    intermediate: 160\n", "", 1), encoding="utf-8")
    proc = run_bot("check", env=PROJECT_ENV | {"CONTENT_DIR": str(root)})
    assert proc.returncode == 1
    assert "cycles: 1 problem(s)" in proc.stdout
    assert "no fee for intermediate" in proc.stdout
