"""Checks across content files: a fact stated in two files must agree.

The fee per level appears in every review cycle (``rules/cycles/*.yaml``, used by answers,
eligibility and reminders) and as the fallback in ``rules/status.yaml`` (used by status notices);
an edit to one without the other would quote two different fees, so ``check`` refuses it.
"""

from __future__ import annotations

from pathlib import Path

from bot.content.loader import ContentProblem


def check_fee_agreement(root: Path) -> list[ContentProblem]:
    from bot.rules.cycles import load_cycles
    from bot.status.workflow import load_workflow

    workflow = load_workflow(root)
    problems = []
    for cycle in load_cycles(root):
        for level, amount in cycle.fees.yuan.items():
            definition = workflow.levels.get(workflow.level_id(level) or "")
            if definition is not None and definition.fee_yuan != amount:
                problems.append(
                    ContentProblem(
                        "rules/status.yaml",
                        None,
                        f"level {definition.id}: fee {definition.fee_yuan} differs from {amount} in cycle {cycle.year}",
                    )
                )
    return problems
