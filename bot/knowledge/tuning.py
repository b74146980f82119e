"""Write calibrated thresholds back to ``knowledge/matcher.yaml`` (keeping the weights as they are)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from bot.content.loader import load_model
from bot.knowledge.schema import MatcherConfig, Thresholds

HEADER = """\
# How the knowledge matcher decides (see bot/knowledge/matcher.py). Thresholds are calibrated on the
# dev set in tests/data/kb_dev/ with `python -m bot kb calibrate tests/data/kb_dev --write`;
# `calibration` records the figures that run measured.
"""


def write_thresholds(root: Path, thresholds: Thresholds, figures: dict[str, float]) -> Path:
    path = root / "knowledge" / "matcher.yaml"
    config = load_model(path, MatcherConfig, root)
    calibration = {k: round(v, 4) if isinstance(v, float) else v for k, v in figures.items()}
    calibration["date"] = dt.date.today().isoformat()
    updated = config.model_copy(update={"thresholds": thresholds, "calibration": calibration})
    body = yaml.safe_dump(updated.model_dump(), allow_unicode=True, sort_keys=False)
    path.write_text(HEADER + body, encoding="utf-8")
    return path
