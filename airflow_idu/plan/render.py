"""The plan as a terminal table (``airflow-idu plan``). Plain Python."""

from __future__ import annotations

import os
from typing import TextIO

from airflow_idu.plan.contract import LOOP_TASK_ID
from airflow_idu.plan.model import Phase, Plan

__all__ = ["estimated_upstream", "plan_table", "use_colour"]

_COLOURS = {
    Phase.SETUP: "36",
    Phase.LOOP: "33",
    Phase.CANONICALIZE: "35",
    Phase.STATS: "34",
    Phase.ENRICHMENT: "32",
    Phase.MASTER: "32;1",
    Phase.METADATA: "37",
    Phase.OTHER: "37",
}


def estimated_upstream(plan: Plan) -> dict[str, list[str]]:
    """What each step waits for: the previous file of a sequential phase, or the whole previous phase."""
    upstream: dict[str, list[str]] = {}
    previous: list[str] = []
    for phase in plan.phases:
        names = [LOOP_TASK_ID] if phase.phase is Phase.LOOP else [f.task_id for f in phase.files]
        if phase.phase.parallel or phase.phase is Phase.LOOP:
            for name in names:
                upstream[name] = list(previous)
        else:
            before = previous
            for name in names:
                upstream[name] = list(before)
                before = [name]
        previous = names if phase.phase.parallel else names[-1:]
    return upstream


def use_colour(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def plan_table(plan: Plan, *, colour: bool = False) -> str:
    deps = estimated_upstream(plan)
    rows: list[tuple[str, Phase, str, str]] = []
    for phase in plan.phases:
        if phase.phase is Phase.LOOP:
            files = f"{len(phase.files)} files ({phase.files[0].path.name} …), then derived"
            rows.append(("04", phase.phase, files, _deps(deps[LOOP_TASK_ID])))
            continue
        for f in phase.files:
            order = "" if f.order is None else f"{f.order:02d}"
            rows.append((order, phase.phase, f.path.name, _deps(deps[f.task_id])))
    width = max(len(r[2]) for r in rows)
    head = f"{'order':<5}  {'phase':<12}  {'file':<{width}}  waits for"
    lines = [
        f"canonical id {plan.canonical_id}   catalog {plan.catalog}   schema {plan.schema}",
        head,
        "-" * len(head),
    ]
    for order, step_phase, name, waits in rows:
        label = f"{step_phase.value:<12}"
        if colour:
            label = f"\033[{_COLOURS[step_phase]}m{label}\033[0m"
        lines.append(f"{order:<5}  {label}  {name:<{width}}  {waits}")
    return "\n".join(lines)


def _deps(names: list[str]) -> str:
    if not names:
        return "-"
    return ", ".join(names) if len(names) <= 2 else f"{names[0]} … ({len(names)} tasks)"
