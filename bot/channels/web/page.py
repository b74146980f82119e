"""The chat page's files and texts: which text keys the page uses, and rendering them into the HTML.

Kept free of aiohttp so that ``python -m bot check`` can validate the page's texts cheaply.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from pathlib import Path

from bot.content.loader import ContentProblem

STATIC_DIR = Path(__file__).resolve().parent / "static"
PLACEHOLDER = re.compile(r"\{\{\s*([a-z0-9_.]+)\s*\}\}")

#: texts the page's script needs at run time (the static ones are rendered into the HTML)
SCRIPT_TEXT_KEYS = (
    "web.you",
    "web.bot",
    "web.notice",
    "web.typing",
    "web.reconnecting",
    "web.reconnected",
    "web.offline",
    "web.send_failed",
    "web.too_long",
    "web.empty",
    "web.new_notices",
    "web.buttons_label",
)


def template() -> str:
    return (STATIC_DIR / "index.html").read_text(encoding="utf-8")


#: placeholders filled with content built at start-up, not with a text key: the sources section and
#: the page's language (the ``lang`` attribute, and which side of the 中文 / English toggle is on)
BLOCK_KEYS = ("sources.page", "page.lang", "page.html_lang")
#: the ``lang`` attribute of the page in each language the bot speaks
HTML_LANG = {"zh": "zh-CN", "en": "en"}


def accepted_language(header: str | None) -> str:
    """The page's language for a browser that has not chosen one: English when the browser's
    ``Accept-Language`` puts English before Chinese (or names English and no Chinese at all),
    otherwise Chinese, the office's language."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in HTML_LANG and quality > 0:
            ranked.append((-quality, index, primary))
    return min(ranked)[2] if ranked else "zh"


def page_blocks(lang: str, sources: str) -> dict[str, str]:
    """The BLOCK_KEYS' content for the page in ``lang``."""
    return {"sources.page": sources, "page.lang": lang, "page.html_lang": HTML_LANG.get(lang, "zh-CN")}


def render(text: Callable[[str], str], blocks: Mapping[str, str] | None = None) -> str:
    """index.html with every ``{{ key }}`` replaced by the HTML-escaped text (done once, at start-up);
    ``blocks`` fill the BLOCK_KEYS placeholders."""
    blocks = blocks or {}

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        return html.escape(blocks.get(key, "") if key in BLOCK_KEYS else text(key), quote=True)

    return PLACEHOLDER.sub(fill, template())


def sources_block(root: Path, text: Callable[..., str], lang: str = "zh") -> str:
    """The documents the bot relies on, for the page's sources section in the page's language, as
    /sources lists them (empty when unreadable)."""
    from bot.content.loader import ContentError
    from bot.reference.documents import describe, in_english, load_documents, load_english_documents

    try:
        documents = load_documents(root)
        if lang == "en":
            documents = in_english(documents, load_english_documents(root))
        return describe(documents.values(), text)
    except ContentError:
        return ""


def check_web(root: Path) -> list[ContentProblem]:
    """Every text the page uses exists, and the source-line prefixes are set (in every language)."""
    from bot.content.texts import LANGUAGES, Texts, text_files

    texts = Texts.load(text_files(root), root)
    problems: list[ContentProblem] = []
    keys = [k for k in PLACEHOLDER.findall(template()) if k not in BLOCK_KEYS] + [*SCRIPT_TEXT_KEYS, "web.source_prefixes"]
    for key in keys:
        if not texts.has(key):
            problems.append(ContentProblem("dialogs/texts_web.yaml", None, f"text key {key!r} is missing (the web page uses it)"))
    if texts.has("web.source_prefixes"):
        for lang in LANGUAGES:
            if not source_prefixes(texts.get("web.source_prefixes", lang)):
                problems.append(ContentProblem("dialogs/texts_web.yaml", None,
                                               f"web.source_prefixes ({lang}) must name at least one prefix"))
    return problems


def source_prefixes(setting: str) -> tuple[str, ...]:
    """``web.source_prefixes`` ("来源|出处|📄") as the prefixes it names."""
    return tuple(p.strip() for p in setting.split("|") if p.strip())
