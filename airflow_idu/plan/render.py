"""The plan as a terminal table (``airflow-idu plan``). Plain Python.

The "waits for" column is not worked out here: the caller passes each task's upstream task ids as
read from the DAG the factory builds, so the table cannot disagree with what the DAG runs."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Mapping, Sequence
from typing import TextIO

from airflow_idu.plan.contract import LOOP_TASK
from airflow_idu.plan.model import Phase, Plan

__all__ = ["LOOP_ROW_TASK_ID", "plan_table", "use_colour", "wrap_waits"]

# The loop row of the table is the loop task (its files are iterations, not tasks).
LOOP_ROW_TASK_ID = LOOP_TASK
DEFAULT_WIDTH = 100

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


def use_colour(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def file_task_id(phase: Phase, stem: str) -> str:
    return f"{phase.value}.{stem}"


def plan_table(
    plan: Plan,
    upstream: Mapping[str, Sequence[str]],
    *,
    colour: bool = False,
    width: int = DEFAULT_WIDTH,
) -> str:
    """One row per file (one for the loop), with the task ids its task waits for in ``upstream``."""
    rows: list[tuple[str, Phase, str, Sequence[str]]] = []
    for phase in plan.phases:
        if phase.phase is Phase.LOOP:
            files = f"{_loop_pattern(phase.files[0].path.name)} ({len(phase.files)})"
            rows.append(("04", phase.phase, files, upstream.get(LOOP_ROW_TASK_ID, ())))
            continue
        for f in phase.files:
            order = "" if f.order is None else f"{f.order:02d}"
            rows.append(
                (order, phase.phase, f.path.name, upstream.get(file_task_id(phase.phase, f.stem), ()))
            )
    name_width = max(len(r[2]) for r in rows)
    head = f"{'order':<5}  {'phase':<12}  {'file':<{name_width}}  waits for"
    lines = [
        f"canonical id {plan.canonical_id}   catalog {plan.catalog}   schema {plan.schema}",
        head,
        "-" * len(head),
    ]
    indent = 5 + 2 + 12 + 2 + name_width + 2
    for order, step_phase, name, waits in rows:
        label = f"{step_phase.value:<12}"
        if colour:
            label = f"\033[{_COLOURS[step_phase]}m{label}\033[0m"
        lead = f"{order:<5}  {label}  {name:<{name_width}}  "
        lines.append(lead + wrap_waits(waits, indent=indent, width=width))
    lines.append(
        f"(the loop runs its {_loop_pattern(plan.loop.files[0].name)} files in order, then derives more)"
    )
    return "\n".join(lines)


def _loop_pattern(name: str) -> str:
    """``04_unify_loop_iteration_01.sql`` -> ``04_unify_loop_iteration_*.sql``."""
    stem, dot, ext = name.rpartition(".")
    head = stem.rstrip("0123456789")
    return f"{head}*{dot}{ext}" if head != stem else name


def wrap_waits(names: Sequence[str], *, indent: int, width: int = DEFAULT_WIDTH) -> str:
    """``a, b, c`` wrapped at ``width`` columns, continuation lines indented to ``indent``."""
    if not names:
        return "-"
    lines = textwrap.wrap(
        ", ".join(names),
        width=max(width - indent, 30),
        break_long_words=False,
        break_on_hyphens=False,
    )
    return ("\n" + " " * indent).join(lines)
