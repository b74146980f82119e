"""A small, fixed knowledge base for the knowledge tests, so they do not move with the real content.

``make_content_root`` copies the real ``dialogs/`` and ``rules/`` (every feature of the app needs its
content) and writes a ``knowledge/`` of four entries with explicit thresholds.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import yaml

from bot.paths import PROJECT_ROOT

DOCUMENTS = {
    "documents": [
        {
            "id": "n2024",
            "title": "关于报送2024年度工业互联网工程技术人才职称评审材料的通知",
            "number": None,
            "issuer": "青岛西海岸新区人力资源和社会保障局",
            "date": "2024-06-24",
            "url": None,
            "kind": "notice",
            "short": "2024年新区通知",
            "confidence": "high",
            "known": "全文",
        },
        {
            "id": "fee_rule",
            "title": "关于改革专业技术职务资格评审收费有关问题的通知",
            "number": "鲁发改成本〔2021〕638号",
            "issuer": "山东省发展和改革委员会等",
            "date": None,
            "url": None,
            "kind": "policy",
            "short": "鲁发改成本〔2021〕638号",
            "confidence": "high",
            "known": "通知的转述",
        },
    ]
}
SECTIONS = {"documents": {"n2024": ["三(五)1", "三(五)2", "五(四)"]}}

ENTRIES = {
    "entries": [
        {
            "id": "fee-amounts",
            "topic": "paper_and_fee",
            "question": "评审费是多少？",
            "alternatives": ["评审费多少钱", "高级职称评审费多少", "中级评审费标准", "助工要交多少钱"],
            "answer": "高级（含正高级）每人360元，中级每人160元，初级每人100元。",
            "sources": [
                {"document": "n2024", "section": "三(五)2", "confidence": "high"},
                {"document": "fee_rule", "section": "全文", "confidence": "medium"},
            ],
            "cycle": "2024",
            "related": ["fee-payment"],
        },
        {
            "id": "fee-payment",
            "topic": "paper_and_fee",
            "question": "评审费怎么交？",
            "alternatives": ["评审费交给谁", "评审费怎么缴纳", "评审费能扫码交吗", "评审费是交给单位吗"],
            "answer": "申报人把评审费交给单位职称工作负责人，由其现场扫描二维码缴费。",
            "sources": [{"document": "n2024", "section": "三(五)1", "confidence": "high"}],
            "cycle": "2024",
            "related": ["fee-amounts"],
        },
        {
            "id": "online-deadline",
            "topic": "deadlines",
            "question": "网上申报什么时候截止？",
            "alternatives": ["申报截止时间", "网上报名截止日期", "几号截止申报", "最晚什么时候报"],
            "answer": "网上报名截止时间为2024年8月30日，逾期不再受理。",
            "sources": [{"document": "n2024", "section": "五(四)", "confidence": "high"}],
            "cycle": "2024",
            "related": [],
        },
        {
            "id": "paper-address",
            "topic": "paper_and_fee",
            "question": "纸质材料送到哪里？",
            "alternatives": ["评审表交到哪", "纸质材料报送地址", "材料寄到什么地方", "纸质材料的地址"],
            "answer": "青岛市西海岸新区水灵山路188号市民服务中心2号楼401室。",
            "sources": [{"document": "n2024", "section": "三(五)1", "confidence": "high"}],
            "cycle": "all",
            "related": [],
        },
    ]
}

MATCHER = {
    "thresholds": {"answer": 0.6, "margin": 0.05, "suggest": 0.3, "exact_ratio": 92},
    "weights": {
        "question_repeat": 4,
        "coverage": 0.5,
        "fuzzy": 0.2,
        "bm25": 0.6,
        "answer_coverage": 0.6,
        "stopword": 0.1,
        "unknown_idf": 1.0,
        "rerank_depth": 20,
        "bm25_k1": 1.2,
        "bm25_b": 0.75,
    },
}


#: the fixture thresholds with the guided tier on: 网上报名的最后日子 is then answered under a header
#: with two runner-ups as buttons (the real thresholds are calibrated in knowledge/matcher.yaml)
GUIDED = copy.deepcopy(MATCHER)
GUIDED["thresholds"] |= {"guided": 0.4, "lead": 0.3}
#: … and a fallback that offers related topics (我想问一下交钱的事情: fee-payment at about 0.27)
RELATED = copy.deepcopy(GUIDED)
RELATED["thresholds"] |= {"related": 0.25}


def dump(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def write_knowledge(root: Path, entries: dict | None = None, **overrides: object) -> Path:
    """Write the fixture ``knowledge/`` under ``root`` (real synonyms); ``overrides`` replace files."""
    base = root / "knowledge"
    if base.exists():
        shutil.rmtree(base)
    dump(base / "documents.yaml", overrides.get("documents", DOCUMENTS))
    dump(base / "sections.yaml", overrides.get("sections", SECTIONS))
    dump(base / "matcher.yaml", overrides.get("matcher", MATCHER))
    dump(base / "entries" / "fixture.yaml", entries if entries is not None else ENTRIES)
    shutil.copy(PROJECT_ROOT / "knowledge" / "synonyms.yaml", base / "synonyms.yaml")
    return root


def make_content_root(tmp_path: Path) -> Path:
    """A full content root (dialogs/, rules/ copied from the repository) with the fixture knowledge."""
    root = tmp_path / "content"
    for folder in ("dialogs", "rules"):
        shutil.copytree(PROJECT_ROOT / folder, root / folder)
    return write_knowledge(root)
