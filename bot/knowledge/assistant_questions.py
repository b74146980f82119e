"""Questions about the assistant itself (你能干啥, 怎么删除我的信息, 能提醒我交纸质表吗).

The notices do not describe this assistant, so the knowledge base cannot answer them: without this,
such a question gets "the notices do not say" or a list of unrelated entries. The patterns live in
``knowledge/assistant_questions.yaml``; a question the matcher does not answer directly and that holds
every word of one pattern gets a pointer to the feature (and its menu button) instead (so does one
the matcher answers only guided, at middle confidence: that answer is a guess). Matching is
plain containment on the question folded as the matcher reads it (NFKC, lower case, traditional →
simplified, no spaces or punctuation), which keeps it predictable: a pattern names the assistant or one of its functions, so a
question about the review is not taken.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.content.loader import ContentError, ContentProblem, load_model
from bot.content.texts import Texts
from bot.knowledge.normalize import to_simplified

FILE = "assistant_questions.yaml"
#: the texts of the replies: ``knowledge.assistant.<name>``
TEXT_PREFIX = "knowledge.assistant"
#: the reply to a thank-you or an acknowledgement
ACKNOWLEDGED = f"{TEXT_PREFIX}.acknowledged"
#: longer than this is no bare acknowledgement (and the scan stays trivially cheap)
MAX_ACK_CHARS = 40


def fold(text: str) -> str:
    """NFKC, lower case, simplified, letters and digits only (CJK included): how questions and
    patterns compare (怎麼刪除我的信息 is 怎么删除我的信息)."""
    text = to_simplified(unicodedata.normalize("NFKC", text).lower())
    return "".join(ch for ch in text if ch.isalnum())


class _Question(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: the main-menu action offered as a button; None: the reply points to commands only
    menu: str | None = None
    zh: list[list[str]] = Field(default_factory=list)
    en: list[list[str]] = Field(default_factory=list)

    @field_validator("zh", "en")
    @classmethod
    def _patterns_hold_words(cls, patterns: list[list[str]]) -> list[list[str]]:
        for pattern in patterns:
            if not pattern or any(not fold(word) for word in pattern):
                raise ValueError(f"a pattern needs words with letters or digits: {pattern}")
        return patterns


class _Acknowledgements(BaseModel):
    model_config = ConfigDict(extra="forbid")
    zh: list[str] = Field(default_factory=list)
    en: list[str] = Field(default_factory=list)

    @field_validator("zh", "en")
    @classmethod
    def _words_hold_letters(cls, words: list[str]) -> list[str]:
        if any(not fold(word) for word in words):
            raise ValueError(f"an acknowledgement needs letters or digits: {words}")
        return words


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    questions: dict[str, _Question]
    acknowledgements: _Acknowledgements = Field(default_factory=_Acknowledgements)


@dataclass(frozen=True)
class AssistantQuestion:
    name: str
    menu: str | None

    @property
    def text_key(self) -> str:
        return f"{TEXT_PREFIX}.{self.name}"


class AssistantQuestions:
    """The patterns of both languages, folded once."""

    def __init__(self, parsed: _File | None = None) -> None:
        self._patterns: dict[str, list[tuple[AssistantQuestion, tuple[str, ...]]]] = {"zh": [], "en": []}
        for name, spec in (parsed.questions if parsed else {}).items():
            question = AssistantQuestion(name, spec.menu)
            for lang, patterns in (("zh", spec.zh), ("en", spec.en)):
                self._patterns[lang] += [(question, tuple(fold(w) for w in p)) for p in patterns]
        acks = parsed.acknowledgements if parsed else _Acknowledgements()
        # longest first, so 好的收到 is read as 好的 + 收到 and not stopped by a shorter word
        self._acks = {lang: sorted({fold(w) for w in words}, key=len, reverse=True)
                      for lang, words in (("zh", acks.zh), ("en", acks.en))}

    @classmethod
    def load(cls, root: Path) -> AssistantQuestions:
        """The patterns under ``root/knowledge``; none when the file is absent (raises ``ContentError``
        when it does not validate)."""
        path = root / "knowledge" / FILE
        return cls(load_model(path, _File, root)) if path.exists() else cls()

    def acknowledges(self, text: str, language: str = "zh") -> bool:
        """Whether the message is only a thank-you or an acknowledgement (收到, 好的谢谢, ok thanks):
        words of either language's list and nothing else, so 收到退回通知怎么办 is a question."""
        rest = fold(text)
        words = self._acks.get(language, []) + self._acks["en" if language == "zh" else "zh"]
        if not rest or len(rest) > MAX_ACK_CHARS:
            return False
        while rest:
            word = next((w for w in words if rest.startswith(w)), None)
            if word is None:
                return False
            rest = rest[len(word):]
        return True

    def find(self, question: str, language: str = "zh") -> AssistantQuestion | None:
        """The first question whose pattern the text holds, in file order."""
        folded = fold(question)
        for found, words in self._patterns.get(language, []):
            if all(word in folded for word in words):
                return found
        return None


def check_assistant_questions(root: Path) -> list[ContentProblem]:
    """``python -m bot check``: the file validates, and every reply and menu button has its text
    (the English twins are held to the same keys by the texts checker)."""
    path = root / "knowledge" / FILE
    if not path.exists():
        return []
    try:
        parsed = load_model(path, _File, root)
        texts = Texts.load([root / "dialogs" / "texts.yaml", root / "dialogs" / "texts_knowledge.yaml"], root)
    except ContentError as exc:
        return exc.problems
    problems: list[ContentProblem] = []
    if (parsed.acknowledgements.zh or parsed.acknowledgements.en) and not texts.has(ACKNOWLEDGED):
        problems.append(ContentProblem(f"knowledge/{FILE}", None, f"acknowledgements: no text {ACKNOWLEDGED}"))
    for key, spec in parsed.questions.items():
        wanted = [f"{TEXT_PREFIX}.{key}"] + ([f"menu.{spec.menu}"] if spec.menu else [])
        problems += [ContentProblem(f"knowledge/{FILE}", None, f"{key}: no text {k}") for k in wanted if not texts.has(k)]
    return problems
