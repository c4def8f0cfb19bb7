"""What a run produced, read back from a DuckDB file (``airflow-idu summary``, used by ``make demo``).

With the run as Airflow stored it (:class:`~airflow_idu.ui.model.RunData`, read by the CLI from the
metadata DB), the summary shows that run's state, its failed tasks with their first error lines (the
words of the Identity report tab, :mod:`airflow_idu.runstatus`), only that run's loop iterations,
and says when the tables' rows are not that run's. Without it, the file alone: the last recorded loop,
whether it converged, and who holds the writer lease. No Airflow imports.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_idu.loop.state import run_key
from airflow_idu.plan.contract import LOOP_TASK, WRITER_LEASE_TABLE, TableNames

if TYPE_CHECKING:
    from airflow_idu.ui.model import RunData

__all__ = ["RunSummary", "read_summary"]


@dataclass(frozen=True, kw_only=True)
class RunSummary:
    iterations: list[dict[str, Any]]
    tables: dict[str, int]
    run: str | None = None  # "<dag_id> / <run_id>: <state>", when Airflow's record was read
    notes: list[str] = field(default_factory=list)  # how the run ended: failures, running, not converged
    tables_note: str | None = None  # whose rows the tables hold, when it may not be this run's
    persistent_ids: str | None = None  # the last committed persistent-id changes (docs/persistent-ids.md)

    def to_text(self) -> str:
        lines = [f"Run {self.run}"] if self.run else []
        lines += [f"  ! {note}" for note in self.notes]
        lines.append("Unify loop:")
        if not self.iterations:
            lines.append("  no iteration recorded for this run")
        for it in self.iterations:
            lines.append(
                f"  iteration {it['iteration']:>2} ({it['source']}): updated_count={it['updated_count']:,} "
                f"rows={it['rows']:,} seconds={it['seconds']:.2f}"
            )
        lines.append("Tables:" + (f" ({self.tables_note})" if self.tables_note else ""))
        width = max((len(t) for t in self.tables), default=10)
        lines += [f"  {name:<{width}}  {count:>12,} rows" for name, count in self.tables.items()]
        if self.persistent_ids:
            lines.append(f"Persistent ids: {self.persistent_ids}")
        return "\n".join(lines)


def read_summary(
    database: str | Path, *, schema: str, canonical_id: str, run: RunData | None = None
) -> RunSummary:
    """The summary of ``run`` (as Airflow stored it), or of the last run the file recorded."""
    import duckdb

    contract = TableNames(prefix=canonical_id)
    log = TableNames(prefix=canonical_id, schema=schema).loop_log
    with duckdb.connect(str(database), read_only=True) as conn:
        names = _table_names(conn, schema)
        if run is not None:
            key = run_key(run.dag_id, run.run_id, _loop_task_id(run), -1)
            where = "run_key = ?"
        else:
            key, where = None, f"run_key = (SELECT run_key FROM {log} ORDER BY recorded_at DESC LIMIT 1)"
        # A run that stopped before its loop may leave no log table at all.
        no_log = run is not None and contract.loop_log not in names
        rows = (
            []
            if no_log
            else conn.execute(
                f"SELECT iteration, updated_count, row_count, seconds, source FROM {log} "
                f"WHERE {where} ORDER BY iteration",
                [key] if key is not None else [],
            ).fetchall()
        )
        iterations = [
            {"iteration": i, "updated_count": u, "rows": r or 0, "seconds": s, "source": src}
            for i, u, r, s, src in rows
        ]
        wanted = [
            n
            for n in names
            if n in (contract.lookup, contract.graph()) or n.startswith("enriched_") or n.endswith("_master")
        ]
        tables = {n: _count(conn, f"{schema}.{n}") for n in wanted}
        lease = _lease_holder(conn, schema) if WRITER_LEASE_TABLE in names else None
        ids = (
            _persistent_ids(conn, TableNames(prefix=canonical_id, schema=schema))
            if contract.id_map in names
            else None
        )
    summary = (
        _with_run(run, iterations, tables, lease)
        if run is not None
        else _file_only(iterations, tables, lease)
    )
    return replace(summary, persistent_ids=ids)


def _persistent_ids(conn: Any, tables: TableNames) -> str | None:
    """``committed by <run>: new 12, merged 1, ...`` for the run that last moved the state."""
    row = conn.execute(f"SELECT MAX(committed_run_id) FROM {tables.id_map}").fetchone()
    if not row or row[0] is None:
        return None
    counts = conn.execute(
        f"SELECT reason, COUNT(*) FROM {tables.id_changes} WHERE run_id = ? GROUP BY reason ORDER BY reason",
        [row[0]],
    ).fetchall()
    changes = ", ".join(f"{reason} {count:,}" for reason, count in counts) or "no identifier changed id"
    return f"committed by {row[0]}: {changes}"


def _with_run(
    run: RunData, iterations: list[dict[str, Any]], tables: dict[str, int], lease: str | None
) -> RunSummary:
    from airflow_idu.ui.model import build_view, status_notes

    view = build_view(run)
    notes = status_notes(view, iterations=len(iterations))
    if lease and f"{run.dag_id} / {run.run_id}" not in lease:
        notes.append(f"The writer lease is held by another run: {lease}.")
    tables_note = None
    if run.state != "success":
        tables_note = (
            f"as the file holds them now: this run is {run.state} and did not finish writing them, "
            "so some or all rows are from an earlier run"
        )
    return RunSummary(
        iterations=iterations,
        tables=tables,
        run=f"{run.dag_id} / {run.run_id}: {run.state}",
        notes=notes,
        tables_note=tables_note,
    )


def _file_only(iterations: list[dict[str, Any]], tables: dict[str, int], lease: str | None) -> RunSummary:
    notes = ["Run state unknown: pass --dag-id (with AIRFLOW_HOME set) to read it from Airflow."]
    tables_note = None
    last = iterations[-1] if iterations else None
    if last is not None and last["updated_count"] != 0:
        notes.append(
            f"The last recorded loop has not converged (iteration {last['iteration']} updated "
            f"{last['updated_count']:,} rows): its run failed or is still running."
        )
        tables_note = "as the file holds them now: not written by the run whose loop is shown"
    if lease:
        notes.append(f"A run is writing now (writer lease held by {lease}).")
        tables_note = tables_note or "as the file holds them now: a run is still writing them"
    return RunSummary(iterations=iterations, tables=tables, notes=notes, tables_note=tables_note)


def _loop_task_id(run: RunData) -> str:
    from airflow_idu.ui.model import find_prefixes

    prefixes = find_prefixes([t.task_id for t in run.tasks])
    return (prefixes[0] if prefixes else "") + LOOP_TASK


def _table_names(conn: Any, schema: str) -> list[str]:
    return [
        n
        for (n,) in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name",
            [schema],
        ).fetchall()
    ]


def _lease_holder(conn: Any, schema: str) -> str | None:
    """Who holds the schema's writer lease now (an unexpired row), or None."""
    row = conn.execute(
        f"SELECT holder, expires_at FROM {schema}.{WRITER_LEASE_TABLE} WHERE expires_at > ? "
        "ORDER BY expires_at DESC LIMIT 1",
        [time.time()],
    ).fetchone()
    return None if row is None else str(row[0])


def _count(conn: Any, table: str) -> int:
    row = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0
