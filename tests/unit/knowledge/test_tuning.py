"""Writing calibrated thresholds back keeps what people wrote in the matcher file's header."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from bot.knowledge.schema import MatcherConfig
from bot.knowledge.tuning import DEFAULT_HEADER, leading_comment, write_thresholds

ROOT = Path(__file__).resolve().parents[3]


def _copy_matcher(tmp_path: Path, header: str | None) -> Path:
    target = tmp_path / "knowledge" / "matcher.yaml"
    target.parent.mkdir(parents=True)
    shutil.copy(ROOT / "knowledge" / "matcher.yaml", target)
    if header is not None:
        body = target.read_text(encoding="utf-8")
        target.write_text(header + body[len(leading_comment(body)) :], encoding="utf-8")
    return target


def test_write_keeps_the_files_own_header_and_writes_new_thresholds(tmp_path):
    header = "# why these thresholds: a reason written by a person\n#\n# second paragraph\n"
    path = _copy_matcher(tmp_path, header)
    config = MatcherConfig.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    new = config.thresholds.model_copy(update={"answer": 0.61})
    write_thresholds(tmp_path, new, {"direct_right": 0.5})
    text = path.read_text(encoding="utf-8")
    assert text.startswith(header)
    written = yaml.safe_load(text)
    assert written["thresholds"]["answer"] == 0.61
    assert written["calibration"]["direct_right"] == 0.5
    assert written["weights"] == config.weights.model_dump()


def test_a_file_without_a_header_gets_the_default_one(tmp_path):
    path = _copy_matcher(tmp_path, "")
    config = MatcherConfig.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    write_thresholds(tmp_path, config.thresholds, {})
    assert path.read_text(encoding="utf-8").startswith(DEFAULT_HEADER)


def test_leading_comment_stops_at_the_first_key():
    assert leading_comment("# a\n\n# b\nthresholds:\n  # inner\n  answer: 1\n") == "# a\n\n# b\n"
    assert leading_comment("thresholds: {}\n") == ""
