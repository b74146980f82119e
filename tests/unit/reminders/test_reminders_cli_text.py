"""``python -m bot broadcast --text-file``: the file is read within a bound (a wrong path such as
/dev/zero is refused at once instead of filling memory) and cleaned as the chat's and the console's
broadcast text is (control and invisible formatting characters dropped)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.reminders import cli
from bot.reminders.broadcast import TEXT_LIMIT


def test_an_endless_file_is_refused_at_once(capsys):
    started = time.monotonic()
    with pytest.raises(BaseException) as refused:  # noqa: PT011 - the CLI exits (typer.Exit / SystemExit)
        cli._read_text(Path("/dev/zero"))
    assert type(refused.value).__name__ in {"Exit", "SystemExit"}
    assert time.monotonic() - started < 2
    out = capsys.readouterr()
    assert f"at most {TEXT_LIMIT} characters" in out.out + out.err


def test_a_file_of_the_longest_text_is_still_read(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text("\ufeff" + "通" * TEXT_LIMIT + "\n\n", encoding="utf-8")  # 3 bytes a character, a BOM
    assert cli._read_text(path) == "通" * TEXT_LIMIT


def test_invisible_and_control_characters_are_dropped(tmp_path):
    path = tmp_path / "notice.txt"
    path.write_bytes("\u202e周五\u200b系统维护\x00，暂停受理。\r\n".encode())
    assert cli._read_text(path) == "周五系统维护，暂停受理。"
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes("周五系统维护\x07".encode("gbk"))
    assert cli._read_text(gbk) == "周五系统维护"
