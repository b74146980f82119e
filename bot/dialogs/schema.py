"""The shape of a dialog definition (``dialogs/<name>.yaml``), validated with pydantic.

A dialog is a finite-state machine: each question state has a prompt (a text key), an input kind and
an ordered list of transitions guarded by conditions over the answers collected so far; the first
transition whose guard holds wins. Terminal states call a named action (e.g. the eligibility
evaluator). Structural checks that need the whole graph (reachability, guards naming unknown
answers, texts) live in ``linter`` so that a broken file is reported, not rejected half-read.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Scalar = str | int | float | bool
_OPS = ("eq", "ne", "in", "not_in", "lt", "lte", "gt", "gte")


class Condition(BaseModel):
    """One test on one answer; every given operator must hold. A missing answer fails every test."""

    model_config = ConfigDict(extra="forbid")
    eq: Scalar | None = None
    ne: Scalar | None = None
    in_: list[Scalar] | None = Field(default=None, alias="in")
    not_in: list[Scalar] | None = None
    lt: float | None = None
    lte: float | None = None
    gt: float | None = None
    gte: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        """``answer: value`` means eq, ``answer: [a, b]`` means in."""
        if isinstance(value, list):
            return {"in": value}
        if isinstance(value, str | int | float | bool):
            return {"eq": value}
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> Condition:
        if all(getattr(self, "in_" if op == "in" else op) is None for op in _OPS):
            raise ValueError("a condition needs at least one of " + ", ".join(_OPS))
        return self

    def values(self) -> list[Scalar]:
        """Literal values the condition compares with (the linter checks them against options)."""
        out: list[Scalar] = []
        for item in (self.eq, self.ne):
            if item is not None:
                out.append(item)
        out.extend(self.in_ or [])
        out.extend(self.not_in or [])
        return out

    def holds(self, present: bool, value: Any) -> bool:
        if not present:
            return False
        checks = [
            self.eq is None or value == self.eq,
            self.ne is None or value != self.ne,
            self.in_ is None or value in self.in_,
            self.not_in is None or value not in self.not_in,
        ]
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        for bound, test in (
            (self.lt, lambda v, b: v < b),
            (self.lte, lambda v, b: v <= b),
            (self.gt, lambda v, b: v > b),
            (self.gte, lambda v, b: v >= b),
        ):
            if bound is not None:
                checks.append(numeric and test(value, bound))
        return all(checks)


class Transition(BaseModel):
    """Go to ``goto`` when every condition in ``when`` holds (no ``when``: always)."""

    model_config = ConfigDict(extra="forbid")
    when: dict[str, Condition] = Field(default_factory=dict)
    goto: str

    def matches(self, answers: dict[str, Any]) -> bool:
        return all(cond.holds(name in answers, answers.get(name)) for name, cond in self.when.items())


class Option(BaseModel):
    """One button of a ``buttons`` input: the stored value and the text key of its label."""

    model_config = ConfigDict(extra="forbid")
    value: Scalar
    label: str


class ButtonsInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["buttons"]
    options: list[Option] = Field(min_length=1, max_length=12)

    @field_validator("options")
    @classmethod
    def _unique(cls, options: list[Option]) -> list[Option]:
        values = [o.value for o in options]
        if len(values) != len(set(values)):
            raise ValueError("option values must be unique")
        return options


class YesNoInput(BaseModel):
    """Two buttons (是 / 否); the answer is stored as a bool."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["yesno"]


class NumberInput(BaseModel):
    """A whole number typed by the user, within [min, max] (both required, min ≤ max: see linter);
    digits, full-width digits, Chinese numerals and a 年 are understood (``bot.core.numbers``)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["number"]
    min: int | None = None
    max: int | None = None
    #: an earlier answer the number may not be below (e.g. years of work ≥ years in the title)
    min_answer: str | None = None
    #: text key of the reason shown when the number is below ``min_answer`` ({min}, {max} filled in)
    below_answer: str | None = None
    #: text key of a note when a fraction was dropped ("3年半" → 3; {value} filled in); without it a
    #: fraction is refused as not a whole number
    rounded_note: str | None = None


class TextInput(BaseModel):
    """Free text matching ``pattern`` (a full match), at most ``max_length`` characters."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["text"]
    pattern: str = r"(?s).+"
    max_length: int = Field(default=200, ge=1, le=1000)
    invalid: str | None = None  # text key of the reason shown when the pattern does not match


InputSpec = ButtonsInput | YesNoInput | NumberInput | TextInput


class State(BaseModel):
    """A question (``input`` + ``next``) or a terminal (``action``)."""

    model_config = ConfigDict(extra="forbid")
    prompt: str | None = None
    help: str | None = None
    answer: str | None = None  # name the answer is stored under (default: the state's name)
    input: InputSpec | None = Field(default=None, discriminator="kind")
    next: list[Transition] = Field(default_factory=list)
    action: str | None = None

    @model_validator(mode="after")
    def _question_or_terminal(self) -> State:
        if self.action is not None:
            if self.input is not None or self.next:
                raise ValueError("a terminal state (with action) has no input and no next")
        else:
            if self.input is None:
                raise ValueError("a question state needs an input (or an action to be terminal)")
            if not self.next:
                raise ValueError("a question state needs at least one transition in next")
            if self.prompt is None:
                raise ValueError("a question state needs a prompt (text key)")
        return self

    @property
    def terminal(self) -> bool:
        return self.action is not None


class Dialog(BaseModel):
    """A whole dialog. ``version`` is filled by the loader (hash of the file), never written by hand."""

    model_config = ConfigDict(extra="forbid")
    dialog: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    title: str  # text key
    start: str
    max_steps: int = Field(ge=1, le=50)
    states: dict[str, State] = Field(min_length=1)
    version: str = ""

    def answer_name(self, state_name: str) -> str:
        return self.states[state_name].answer or state_name

    def state_index(self, name: str) -> int:
        return list(self.states).index(name)

    def state_at(self, index: int) -> str | None:
        names = list(self.states)
        return names[index] if 0 <= index < len(names) else None
