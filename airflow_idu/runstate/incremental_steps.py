"""The two steps of an incremental run, through an engine: prepare (first), commit (last).

No Airflow: the operators, the tests and a foreign executor call the same functions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airflow_idu.engines.base import Engine
from airflow_idu.plan.contract import TableNames
from airflow_idu.plan.incremental import IncrementalSpec, directory_digest, read_incremental
from airflow_idu.runstate import incremental as sql
from airflow_idu.runstate.incremental import RefreshReason, WindowRow

__all__ = ["RunWindow", "WindowMismatchError", "commit_incremental", "prepare_incremental"]

log = logging.getLogger(__name__)


class WindowMismatchError(RuntimeError):
    """The window table does not hold this run's window (another run prepared it, or nothing did)."""


@dataclass(frozen=True, kw_only=True)
class RunWindow:
    """What a run reads: every row (a full refresh, and why) or rows after each table's ``since``."""

    run_id: str
    reason: RefreshReason
    rows: tuple[WindowRow, ...]

    @property
    def full_refresh(self) -> bool:
        return self.reason is not RefreshReason.INCREMENTAL

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "full_refresh": self.full_refresh,
            "reason": self.reason.value,
            "sources": [
                {"table": r.source.table, "since": r.since, "watermark_next": r.upper} for r in self.rows
            ],
        }


def _decide(
    engine: Engine, tables: TableNames, spec: IncrementalSpec, *, run_id: str, requested: bool, digest: str
) -> tuple[RefreshReason, dict[int, int | None]]:
    """Full or incremental, and each source's watermark (from the committed state)."""
    state = engine.query(sql.state_sql(tables), label="incremental: state")
    watermarks = {int(row[0]): row[3] for row in state}
    previous = engine.query(sql.previous_windows_sql(tables), label="incremental: previous window")
    committed = {str(row[5]) for row in state}
    pending = [row for row in previous if row[1] and (str(row[0]) == run_id or str(row[0]) not in committed)]
    same_sources = {(int(r[0]), str(r[1]), str(r[2])) for r in state} == {
        (s.source_table_id, s.table, s.time_column) for s in spec.sources
    }
    if requested:
        return RefreshReason.REQUESTED, watermarks
    if not state or not engine.scalar(sql.graph_has_rows_sql(tables), label="incremental: previous graph"):
        return RefreshReason.NO_STATE, watermarks
    if not same_sources or any(str(row[4]) != digest for row in state):
        return RefreshReason.DIGEST_CHANGED, watermarks
    if pending:
        # this run's own earlier try chose a full refresh, or another run's did and never committed
        return RefreshReason.PENDING, watermarks
    return RefreshReason.INCREMENTAL, watermarks


def prepare_incremental(
    engine: Engine, tables: TableNames, sql_dir: str | Path, *, run_id: str, full_refresh: bool = False
) -> RunWindow:
    """Decide full or incremental and write this run's window to ``<p>_run_window``.

    Reads the state, never writes it: a run that fails later leaves the watermarks as they were.
    """
    root = Path(sql_dir)
    spec = read_incremental(root)
    if spec is None:
        raise ValueError(f"{root} is not incremental-capable (no marker); it always runs in full")
    digest = directory_digest(root)
    engine.run_script(sql.ddl_sql(tables), label="incremental: state tables")
    reason, watermarks = _decide(engine, tables, spec, run_id=run_id, requested=full_refresh, digest=digest)
    uppers = dict(engine.query(sql.upper_bounds_sql(spec.sources), label="incremental: upper bounds"))
    rows = []
    for source in spec.sources:
        mark = watermarks.get(source.source_table_id)
        since = (
            None
            if reason is not RefreshReason.INCREMENTAL or mark is None
            else int(mark) - spec.lookback_seconds
        )
        upper = uppers.get(source.source_table_id)
        rows.append(WindowRow(source=source, since=since, upper=None if upper is None else int(upper)))
    window = RunWindow(run_id=run_id, reason=reason, rows=tuple(rows))
    engine.run_script(
        sql.write_window_sql(tables, run_id, rows, reason=reason, digest=digest), label="incremental: window"
    )
    if window.full_refresh:
        log.info("Run %s: full refresh (%s)", run_id, reason.value)
    else:
        log.info("Run %s: incremental, windows %s", run_id, window.to_dict()["sources"])
    return window


def commit_incremental(engine: Engine, tables: TableNames, *, run_id: str) -> dict[str, Any]:
    """This run's links into ``<p>_edges``, then its watermarks into ``<p>_run_state`` (the commit point).

    Each statement rewrites from the window and ``<p>_edges_delta``, so a retry after a kill at
    any statement gives the same tables.
    """
    runs = engine.query(sql.window_runs_sql(tables), label="incremental: window runs")
    if {str(r[0]) for r in runs} != {run_id}:
        raise WindowMismatchError(
            f"{tables.run_window} holds runs {sorted(str(r[0]) for r in runs)}, not {run_id!r}: run (or "
            "clear) this run's prepare task first; the watermarks are left as they were"
        )
    full = bool(runs[0][1])
    engine.run_script(sql.commit_edges_sql(tables, full_refresh=full), label="incremental: commit links")
    engine.run_script(sql.clear_moves_sql(tables), label="incremental: clear moves")
    engine.run_script(sql.commit_state_sql(tables, run_id), label="incremental: commit watermarks")
    state = engine.query(sql.state_sql(tables), label="incremental: state")
    watermarks = {str(row[1]): row[3] for row in state}
    log.info("Run %s committed its watermarks: %s", run_id, watermarks)
    return {"run_id": run_id, "full_refresh": full, "watermarks": watermarks}
