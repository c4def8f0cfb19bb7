"""Whether the statistics phase runs beside the phases after it. Plain Python, from the files' text.

The contract's statistics files (``06``-``09``) describe the graph canonicalize wrote, and nothing
after them reads what they write: run beside the gate and the publishing phases, their time
overlaps the enrichment's and the master's where the engine has room for both (a SQL warehouse; an
embedded file lets its tasks take turns). A directory where that does not hold keeps the contract's
order: a later file that reads (or writes) a table a statistics file writes, or a statistics file
that reads a table a later file writes, or the lookup, which a refusing gate restores.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from airflow_idu.plan.contract import TableNames
from airflow_idu.plan.model import Phase, Plan, SqlFile
from airflow_idu.plan.statements import blank_comments
from airflow_idu.plan.writes import written_tables

__all__ = ["stats_conflicts", "stats_run_beside"]

# The phases after statistics, in the contract's order: the gate runs before the first of them.
_LATER = (Phase.ENRICHMENT, Phase.MASTER, Phase.METADATA, Phase.OTHER)
_WORD = re.compile(r"[a-z0-9_]+")


def _text(f: SqlFile) -> str | None:
    """The file's text for this decision only: a file that is not UTF-8 is read with replacements (its
    own task fails on it, at execute time, with the fix); one that cannot be read at all is None."""
    try:
        return f.path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return None


def _bare(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower()


def _mentions(text: str, names: Iterable[str]) -> set[str]:
    """Which of the bare, lower-case ``names`` ``text`` names outside its comments (string literals
    included: a superset, which only ever keeps the contract's order)."""
    lowered = text.lower()
    candidates = {name for name in names if name in lowered}
    if not candidates:  # the usual case, without splitting the text into words or finding comments
        return set()
    return candidates & set(_WORD.findall(blank_comments(text).lower()))


def stats_conflicts(plan: Plan) -> list[str]:
    """Why the statistics files must run before the later phases; empty when they may run beside."""
    stats = [f for f in plan.files if f.phase is Phase.STATS]
    later = [f for f in plan.files if f.phase in _LATER]
    read = {f: _text(f) for f in (*stats, *later)}
    unreadable = [f"{f.path.name} cannot be read" for f, text in read.items() if text is None]
    if unreadable:
        return unreadable
    texts = {f: text or "" for f, text in read.items()}
    tables = TableNames(prefix=plan.canonical_id)
    # The gate restores the lookup (and its state) when it refuses a result.
    gate_writes = {_bare(t) for t in (tables.lookup, tables.lookup_previous, tables.previous_state)}
    stats_writes = {_bare(t) for f in stats for t in written_tables(texts[f])}
    writers: dict[str, list[str]] = {}  # bare name -> the later files that write it
    for f in later:
        for name in sorted({_bare(t) for t in written_tables(texts[f])}):
            writers.setdefault(name, []).append(f.path.name)
    named = {s: _mentions(texts[s], gate_writes | writers.keys()) for s in stats}
    reasons = [
        f"{s.path.name} reads {name}, which the identity-health gate restores"
        for s in stats
        for name in sorted(named[s] & gate_writes)
    ]
    reasons += [
        f"{f.path.name} names {name}, which the statistics files write"
        for f in later
        for name in sorted(_mentions(texts[f], stats_writes))
    ]
    for s in stats:
        for name in sorted(named[s] & writers.keys()):
            files = writers[name]
            reasons.append(
                f"{s.path.name} names {name}, which {', '.join(files)} write{'s' * (len(files) == 1)}"
            )
    return reasons


def stats_run_beside(plan: Plan) -> bool:
    """Whether the statistics phase runs beside the gate and the phases after it."""
    present = {p.phase for p in plan.phases}
    return Phase.STATS in present and Phase.CANONICALIZE in present and not stats_conflicts(plan)
