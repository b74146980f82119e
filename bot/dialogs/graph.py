"""Draw a dialog as a Mermaid state diagram (``python -m bot dialogs graph NAME``)."""

from __future__ import annotations

from bot.dialogs.schema import Condition, Dialog, Transition

_OPS = (("lt", "<"), ("lte", "≤"), ("gt", ">"), ("gte", "≥"))


def _fmt(value: object) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _condition(answer: str, cond: Condition) -> str:
    parts: list[str] = []
    if cond.eq is not None:
        parts.append(f"{answer} = {_fmt(cond.eq)}")
    if cond.ne is not None:
        parts.append(f"{answer} ≠ {_fmt(cond.ne)}")
    if cond.in_ is not None:
        parts.append(f"{answer} ∈ ({', '.join(_fmt(v) for v in cond.in_)})")
    if cond.not_in is not None:
        parts.append(f"{answer} ∉ ({', '.join(_fmt(v) for v in cond.not_in)})")
    for attr, sign in _OPS:
        bound = getattr(cond, attr)
        if bound is not None:
            parts.append(f"{answer} {sign} {bound:g}")
    return " 且 ".join(parts)


def guard_label(transition: Transition) -> str:
    """A human-readable guard ("" for an unconditional transition); never contains a colon."""
    label = " 且 ".join(_condition(a, c) for a, c in transition.when.items())
    return label.replace(":", "：")


def mermaid(dialog: Dialog, title: str | None = None) -> str:
    """The dialog as ``stateDiagram-v2`` source; an unconditional edge after guarded ones reads 否则."""
    lines = ["stateDiagram-v2"]
    if title:
        lines.insert(0, f"---\ntitle: {title}\n---")
    lines.append(f"    [*] --> {dialog.start}")
    for name, state in dialog.states.items():
        if state.terminal:
            lines.append(f"    {name} : {name} → {state.action}")
            lines.append(f"    {name} --> [*]")
            continue
        guarded_before = False
        for transition in state.next:
            label = guard_label(transition)
            if not label and guarded_before:
                label = "否则"
            guarded_before = guarded_before or bool(transition.when)
            lines.append(f"    {name} --> {transition.goto}" + (f" : {label}" if label else ""))
    return "\n".join(lines) + "\n"
