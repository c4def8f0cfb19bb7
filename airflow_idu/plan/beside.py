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


def _mentions(text: str, lowered: str, tables: Iterable[str]) -> set[str]:
    """The bare names of ``tables`` that ``text`` (``lowered``: its lower case) names outside its
    comments (string literals included: a superset, which only ever keeps the contract's order)."""
    candidates = {name for name in map(_bare, tables) if name in lowered}
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
    lowered = {f: text.lower() for f, text in texts.items()}
    names = TableNames(prefix=plan.canonical_id)
    # The gate restores the lookup (and its state) when it refuses a result.
    gate_writes = {names.lookup, names.lookup_previous, names.previous_state}
    stats_writes = {t for f in stats for t in written_tables(texts[f])}
    reasons: list[str] = []
    for s in stats:
        for name in sorted(_mentions(texts[s], lowered[s], gate_writes)):
            reasons.append(f"{s.path.name} reads {name}, which the identity-health gate restores")
    for f in later:
        for name in sorted(_mentions(texts[f], lowered[f], stats_writes)):
            reasons.append(f"{f.path.name} names {name}, which the statistics files write")
        later_writes = written_tables(texts[f])
        for s in stats:
            for name in sorted(_mentions(texts[s], lowered[s], later_writes)):
                reasons.append(f"{s.path.name} names {name}, which {f.path.name} writes")
    return reasons


def stats_run_beside(plan: Plan) -> bool:
    """Whether the statistics phase runs beside the gate and the phases after it."""
    present = {p.phase for p in plan.phases}
    return Phase.STATS in present and Phase.CANONICALIZE in present and not stats_conflicts(plan)
