"""The real knowledge base: every notice section covered, and the dev-set figures the issue demands."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge.evaluate import dev_files, evaluate, load_dev, score_cases
from bot.knowledge.loader import uncited_sections
from bot.knowledge.runtime import load_runtime
from bot.paths import PROJECT_ROOT

DEV_DIR = Path(__file__).parent / "data" / "kb_dev"


@pytest.fixture(scope="module")
def runtime():
    return load_runtime(PROJECT_ROOT)


@pytest.fixture(scope="module")
def report(runtime):
    pairs = load_dev([DEV_DIR])
    return evaluate(runtime.matcher, score_cases(runtime.matcher, pairs))


def test_every_section_of_both_notices_is_cited(runtime):
    missing = uncited_sections(runtime.kb)
    assert missing == [], f"sections of knowledge/sections.yaml no entry cites: {missing}"


def test_both_notices_are_described(runtime):
    for doc in runtime.kb.sections:
        assert doc in runtime.kb.documents


def test_dev_set_is_large_enough_and_labelled_with_real_ids(runtime):
    files = dev_files([DEV_DIR])
    assert files, "no dev set files in tests/data/kb_dev"
    pairs = load_dev([DEV_DIR])
    assert len(pairs) >= 250
    assert sum(1 for _, q in pairs if q.expect is None) >= 40
    unknown = sorted({q.expect for _, q in pairs if q.expect is not None and q.expect not in runtime.kb.by_id})
    assert unknown == [], f"dev questions expect ids that are not entries: {unknown}"


def test_dev_questions_are_not_copied_from_the_entries(runtime):
    norm = runtime.matcher.normalizer
    phrasings = {norm.compact(norm.normalize(q)) for e in runtime.kb.entries for q in e.questions}
    copied = [q.q for _, q in load_dev([DEV_DIR]) if norm.compact(norm.normalize(q.q)) in phrasings]
    assert len(copied) <= len(phrasings) * 0.02, f"dev questions identical to entry phrasings: {copied}"


#: in-scope dev questions answered directly with the right entry (what the asker feels); the
#: thresholds are calibrated on the dev set and the real phrasings' tuning half together, which
#: costs the dev set a few points (see the README)
DIRECT_RIGHT_FLOOR = 0.75


def test_dev_set_figures(report):
    f = report.figures
    detail = "\n".join(
        f"  {r['q']} expect={r['expect']} got={r['got']} ({r['outcome']})"
        for r in report.wrong_confident + report.top3_misses
    )
    assert f["top1"] >= 0.92, f"top-1 {f['top1']:.3f} < 0.92\n{detail}"
    assert f["top3"] >= 0.98, f"top-3 {f['top3']:.3f} < 0.98\n{detail}"
    assert f["direct_right"] >= DIRECT_RIGHT_FLOOR, f"direct right {f['direct_right']:.3f} < {DIRECT_RIGHT_FLOOR}\n{detail}"
    assert f["direct_wrong"] <= 0.02, f"direct wrong {f['direct_wrong']:.3f} > 0.02\n{detail}"
    assert f["out_of_scope_answered"] <= 0.05, f"out-of-scope answered {f['out_of_scope_answered']:.3f} > 0.05\n{detail}"
