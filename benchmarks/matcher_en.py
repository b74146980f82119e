"""English knowledge matcher benchmark: index build, per-question latency, padded knowledge bases,
cold ``ask`` with an English question.

    .venv/bin/python -m benchmarks.matcher_en [--sizes 1000,10000] [--repeat 3]

Questions are the English dev set (``tests/data/kb_dev_en``). As in ``benchmarks.matcher``, the
English knowledge base is measured at its real size, then padded with filler that competes
head-on: every real entry copied with another title series, city and year. Printed: index build
time, median and p99 latency per question, dev top-1 at each size, and the wall time of a fresh
``python -m bot ask "<English question>"`` (the English index is built at the first English
question). Targets: p99 ≤ 10 ms at 10,000 entries; cold ``ask`` ≤ 3 s. The last line is one JSON
object.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.matcher import cold_ask, filler_entries, parse_args, report  # noqa: E402

SERIES = ["electronic information", "integrated circuits", "artificial intelligence", "big data", "construction",
          "mechanical engineering", "chemical engineering", "agriculture", "health", "transport", "water resources",
          "electric power", "shipbuilding", "rail transit", "new energy", "biomedicine", "smart manufacturing",
          "software", "telecommunications", "environmental protection"]
CITIES = ["Jinan", "Yantai", "Weifang", "Linyi", "Zibo", "Rizhao", "Weihai", "Dezhou", "Dongying", "Tai'an",
          "Jining", "Liaocheng", "Binzhou", "Heze", "Zaozhuang", "Jimo", "Jiaozhou", "Pingdu", "Laixi", "Huangdao"]
#: where the English filler puts its series, city and year (see ``benchmarks.matcher.filler_entries``)
SUBSTITUTIONS = [("industrial internet", "series"), ("West Coast New Area", "city"), ("Qingdao", "city"),
                 ("2024", "year")]
QUESTION = "how much is the review fee for senior engineer"


def pad(kb, size: int):
    """The English knowledge base with same-topic filler entries up to ``size`` entries."""
    from bot.knowledge.loader import KnowledgeBase

    extra = filler_entries(kb.entries, size, SUBSTITUTIONS, SERIES, CITIES)
    return KnowledgeBase(entries=[*kb.entries, *extra], documents=kb.documents, sections=kb.sections,
                         synonyms=kb.synonyms, config=kb.config, levels=kb.levels)


def english_matcher_builder(content):
    """Builds the English matcher for a (padded) knowledge base, its vocabulary taken from that base."""
    from bot.knowledge.en_matcher import EnglishMatcher
    from bot.knowledge.en_text import EnglishNormalizer

    def build(kb):
        vocabulary = [text for entry in kb.entries for text in (*entry.questions, entry.answer)]
        return EnglishMatcher(kb, EnglishNormalizer(content.synonyms, vocabulary), content.config, memory=0)

    return build


def answered_in_english(stdout: str) -> bool:
    return json.loads(stdout).get("lang") == "en"


def main() -> None:
    args = parse_args()
    ask = cold_ask(QUESTION, os.environ, accept=answered_in_english)
    print(f"cold `python -m bot ask` in English: median {ask['wall_s_median']} s, max {ask['wall_s_max']} s, "
          f"peak RSS {ask['peak_rss_mib']} MiB (target ≤ 3 s)")

    from bot.knowledge.en_loader import load_english

    content = load_english(ROOT)
    report(content.knowledge_base(), pad, english_matcher_builder(content), ROOT / "tests" / "data" / "kb_dev_en",
           args, ask)


if __name__ == "__main__":
    main()
