"""Incremental runs' state SQL: the watermarks, this run's window, the stored links (no I/O).

``<p>_run_state`` (the state, one row per source table: its watermark, the directory digest, the
run that committed it) is written only by the commit, after every other task of the run
succeeded. ``<p>_run_window`` (this run's window) is written by the prepare step and read by the
directory's ``02_extract_merge``. See docs/incremental-runs.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from airflow_idu.generate.sql_incremental_outputs import move_pairs_sql
from airflow_idu.generate.sqltext import GRAPH_COLUMNS
from airflow_idu.plan.contract import TableNames
from airflow_idu.plan.incremental import IncrementalSource
from airflow_idu.runstate.persistent_ids import run_literal

__all__ = [
    "RefreshReason",
    "WindowRow",
    "clear_moves_sql",
    "commit_edges_sql",
    "commit_state_sql",
    "ddl_sql",
    "graph_has_rows_sql",
    "move_pairs_sql",
    "previous_windows_sql",
    "state_sql",
    "upper_bounds_sql",
    "window_runs_sql",
    "write_window_sql",
]

_GRAPH_COLUMNS = ", ".join(GRAPH_COLUMNS)
_KEY = ("follower_id", "follower_ns", "leader_id", "leader_ns")
_VALUES = [c.split()[0] for c in GRAPH_COLUMNS if c.split()[0] not in _KEY]


class RefreshReason(StrEnum):
    """Why a run reads its sources in full, or ``incremental`` when it does not."""

    INCREMENTAL = "incremental"
    REQUESTED = "requested"  # the full_refresh param
    NO_STATE = "no_state"  # no watermarks yet, or no previous graph
    DIGEST_CHANGED = "digest_changed"  # the SQL directory (so the config) changed since the state was written
    PENDING = "pending"  # an earlier full refresh did not commit; it is repeated


@dataclass(frozen=True, kw_only=True)
class WindowRow:
    """One source table's window: rows with ``time_column`` after ``since`` (None: all rows)."""

    source: IncrementalSource
    since: int | None
    upper: int | None  # the table's largest time when the window was taken: the next watermark


def _str(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _int(value: int | None) -> str:
    return "CAST(NULL AS BIGINT)" if value is None else f"CAST({int(value)} AS BIGINT)"


def ddl_sql(tables: TableNames) -> str:
    """The state, the window, the stored links and (for the first run) an empty previous graph.

    Begins with the directory's ``USE`` lines: the prepare step runs before any file of the first run
    (the embedded engine creates the schema on ``USE``, as for the files)."""
    use = "".join(
        f"USE {kind} {name};\n"
        for kind, name in (("CATALOG", tables.catalog), ("SCHEMA", tables.schema))
        if name
    )
    return use + (
        f"CREATE TABLE IF NOT EXISTS {tables.run_state} (source_table_id BIGINT, source_table STRING, "
        "time_column STRING, watermark BIGINT, digest STRING, committed_run_id STRING) USING DELTA;\n"
        f"CREATE TABLE IF NOT EXISTS {tables.run_window} (run_id STRING, source_table_id BIGINT, "
        "source_table STRING, time_column STRING, since BIGINT, upper BIGINT, full_refresh BOOLEAN, "
        "reason STRING, digest STRING) USING DELTA;\n"
        f"CREATE TABLE IF NOT EXISTS {tables.edges} ({_GRAPH_COLUMNS}) USING DELTA;\n"
        f"CREATE TABLE IF NOT EXISTS {tables.graph()} ({_GRAPH_COLUMNS}) USING DELTA;\n"
        f"CREATE TABLE IF NOT EXISTS {tables.moves} (old_id STRING, id STRING, id_key_type BIGINT) USING DELTA"
    )


def state_sql(tables: TableNames) -> str:
    """``(source_table_id, source_table, time_column, watermark, digest, committed_run_id)``."""
    return (
        f"SELECT source_table_id, source_table, time_column, watermark, digest, committed_run_id "
        f"FROM {tables.run_state} ORDER BY source_table_id"
    )


def previous_windows_sql(tables: TableNames) -> str:
    """``(run_id, full_refresh, reason)`` of the window in place (one run's, or none)."""
    return f"SELECT DISTINCT run_id, full_refresh, reason FROM {tables.run_window}"


def window_runs_sql(tables: TableNames) -> str:
    return f"SELECT DISTINCT run_id, full_refresh FROM {tables.run_window}"


def graph_has_rows_sql(tables: TableNames) -> str:
    return f"SELECT COUNT(*) FROM (SELECT 1 FROM {tables.graph()} LIMIT 1)"


def upper_bounds_sql(sources: Sequence[IncrementalSource]) -> str:
    """``(source_table_id, max time)`` of every source table, in one query."""
    return "\nUNION ALL\n".join(
        f"SELECT CAST({s.source_table_id} AS BIGINT), MAX(CAST(`{s.time_column}` AS BIGINT)) FROM {s.table}"
        for s in sources
    )


def write_window_sql(
    tables: TableNames, run_id: str, rows: Sequence[WindowRow], *, reason: RefreshReason, digest: str
) -> str:
    full = "false" if reason is RefreshReason.INCREMENTAL else "true"
    selects = "\nUNION ALL\n".join(
        f"SELECT {run_literal(run_id)} AS run_id, CAST({r.source.source_table_id} AS BIGINT) AS source_table_id, "
        f"{_str(r.source.table)} AS source_table, {_str(r.source.time_column)} AS time_column, "
        f"{_int(r.since)} AS since, {_int(r.upper)} AS upper, {full} AS full_refresh, "
        f"{_str(reason.value)} AS reason, {_str(digest)} AS digest"
        for r in rows
    )
    return f"CREATE OR REPLACE TABLE {tables.run_window} USING DELTA AS\n{selects}"


def commit_edges_sql(tables: TableNames, *, full_refresh: bool) -> str:
    """This run's links into the stored ones, in one statement (so a retry gives the same table):
    replaced on a full refresh, else merged (``edges_delta`` holds the merged values)."""
    if full_refresh:
        return f"CREATE OR REPLACE TABLE {tables.edges} USING DELTA AS SELECT * FROM {tables.edges_delta}"
    on = " AND ".join(f"e.{k} = d.{k}" for k in _KEY)
    updates = ", ".join(f"{c} = d.{c}" for c in _VALUES)
    names = [*_KEY, *_VALUES]
    return (
        f"MERGE INTO {tables.edges} e USING {tables.edges_delta} d ON {on}\n"
        f"WHEN MATCHED THEN UPDATE SET {updates}\n"
        f"WHEN NOT MATCHED THEN INSERT ({', '.join(names)}) VALUES ({', '.join(f'd.{c}' for c in names)})"
    )


def clear_moves_sql(tables: TableNames) -> str:
    """Every canonical id that moved before this commit is in the enriched and master tables now."""
    return f"DELETE FROM {tables.moves}"


def commit_state_sql(tables: TableNames, run_id: str) -> str:
    """The commit point: the window's upper bounds become the watermarks, never moving one back."""
    return f"""CREATE OR REPLACE TABLE {tables.run_state} USING DELTA AS
SELECT w.source_table_id, w.source_table, w.time_column,
  CASE WHEN s.watermark IS NULL THEN w.upper WHEN w.upper IS NULL THEN s.watermark
       ELSE GREATEST(s.watermark, w.upper) END AS watermark,
  w.digest, w.run_id AS committed_run_id
FROM {tables.run_window} w
LEFT JOIN {tables.run_state} s
  ON s.source_table_id = w.source_table_id AND s.source_table = w.source_table AND s.time_column = w.time_column
WHERE w.run_id = {run_literal(run_id)}"""
