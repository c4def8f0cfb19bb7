"""Stable ids across runs: keep the previous lookup, measure churn against it, write ``<p>_id_history``,
restore it when a gate refuses the new result.

``<p>_lookup_previous_state`` (one row) records which run took the snapshot, so a retried or
cleared ``keep_previous_lookup`` in the same run never overwrites the previous run's lookup
with this run's, and whether the gate restored it (so a cleared gate does not measure the
restored lookup as if it were this run's).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from airflow_idu.engines.base import Engine
from airflow_idu.health.tables import HealthTables, sql_string, table_exists

__all__ = [
    "PreviousState",
    "SnapshotOutcome",
    "churn",
    "clear_id_history",
    "keep_previous",
    "read_state",
    "restore_previous",
    "write_id_history",
]

# Airflow's default run id pattern; run ids end up in SQL literals.
_RUN_ID = re.compile(r"[A-Za-z0-9_.~:+\- ]+")


def _run_literal(run_id: str) -> str:
    if not _RUN_ID.fullmatch(run_id):
        raise ValueError(f"run id {run_id!r} has characters outside [A-Za-z0-9_.~:+- ]; use a plain run id")
    return sql_string(run_id)


@dataclass(frozen=True, kw_only=True)
class PreviousState:
    run_id: str  # the run that took the snapshot
    had_lookup: bool  # False: that run was the first (nothing to compare against)
    restored: bool  # the gate of that run refused its result and restored the snapshot


@dataclass(frozen=True, kw_only=True)
class SnapshotOutcome:
    taken: bool  # False: this run took it already (a retry or a cleared group)
    had_lookup: bool

    def to_dict(self) -> dict[str, Any]:
        return {"taken": self.taken, "had_lookup": self.had_lookup}


def _state_ddl(tables: HealthTables) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {tables.previous_state} "
        "(run_id STRING, had_lookup BOOLEAN, restored BOOLEAN) USING DELTA"
    )


def _write_state_sql(tables: HealthTables, state: PreviousState) -> str:
    return (
        f"CREATE OR REPLACE TABLE {tables.previous_state} USING DELTA AS SELECT "
        f"{_run_literal(state.run_id)} AS run_id, {str(state.had_lookup).lower()} AS had_lookup, "
        f"{str(state.restored).lower()} AS restored"
    )


def read_state(engine: Engine, tables: HealthTables) -> PreviousState | None:
    engine.run_script(_state_ddl(tables), label="health: previous lookup state")
    rows = engine.query(
        f"SELECT run_id, had_lookup, restored FROM {tables.previous_state}", label="health: previous state"
    )
    if not rows:
        return None
    run_id, had_lookup, restored = rows[0]
    return PreviousState(run_id=str(run_id), had_lookup=bool(had_lookup), restored=bool(restored))


def clone_sql(target: str, source: str) -> str:
    """A copy of ``source``: a Delta shallow clone (metadata only) on Databricks; the embedded engine
    translates it to a plain copy, which reads the same."""
    return f"CREATE OR REPLACE TABLE {target} SHALLOW CLONE {source}"


def keep_previous(engine: Engine, tables: HealthTables, run_id: str) -> SnapshotOutcome:
    """Snapshot the published lookup as ``<p>_lookup_previous``, once per run (before canonicalize)."""
    state = read_state(engine, tables)
    if state is not None and state.run_id == run_id:
        if state.restored:  # canonicalize runs again after this run's gate refused: the gate may decide again
            again = PreviousState(run_id=run_id, had_lookup=state.had_lookup, restored=False)
            engine.run_script(_write_state_sql(tables, again), label="health: previous lookup state")
        return SnapshotOutcome(taken=False, had_lookup=state.had_lookup)
    had_lookup = table_exists(engine, tables.lookup)
    copy = (
        clone_sql(tables.lookup_previous, tables.lookup)
        if had_lookup
        else f"DROP TABLE IF EXISTS {tables.lookup_previous}"
    )
    engine.run_script(copy, label="health: keep previous lookup")
    new_state = PreviousState(run_id=run_id, had_lookup=had_lookup, restored=False)
    engine.run_script(_write_state_sql(tables, new_state), label="health: previous lookup state")
    return SnapshotOutcome(taken=True, had_lookup=had_lookup)


def previous_max_cluster(engine: Engine, tables: HealthTables) -> int:
    value = engine.scalar(
        f"SELECT MAX(size) FROM (SELECT COUNT(*) AS size FROM {tables.lookup_previous} GROUP BY canonical_id) AS s",
        label="health: previous largest cluster",
    )
    return int(value or 0)


def _pairs_cte(tables: HealthTables) -> str:
    """(old canonical id, new canonical id, identifiers) over identifiers in both lookups."""
    return (
        "pairs AS (SELECT o.canonical_id AS old_id, n.canonical_id AS new_id, COUNT(*) AS moved "
        f"FROM {tables.lookup_previous} o JOIN {tables.lookup} n "
        "ON n.id = o.id AND n.id_key_type = o.id_key_type GROUP BY o.canonical_id, n.canonical_id)"
    )


def churn(engine: Engine, tables: HealthTables) -> dict[str, Any]:
    """How the new lookup differs from the previous one (both must exist)."""
    rows = engine.query(
        f"""WITH {_pairs_cte(tables)},
old_ids AS (SELECT DISTINCT canonical_id FROM {tables.lookup_previous}),
new_ids AS (SELECT DISTINCT canonical_id FROM {tables.lookup})
SELECT
  (SELECT COALESCE(SUM(moved), 0) FROM pairs) AS compared,
  (SELECT COALESCE(SUM(moved), 0) FROM pairs WHERE old_id <> new_id) AS changed,
  (SELECT COUNT(*) FROM (SELECT new_id FROM pairs GROUP BY new_id HAVING COUNT(*) > 1) AS m) AS merged,
  (SELECT COUNT(*) FROM (SELECT old_id FROM pairs GROUP BY old_id HAVING COUNT(*) > 1) AS s) AS split,
  (SELECT COUNT(*) FROM new_ids n LEFT JOIN old_ids o ON o.canonical_id = n.canonical_id
   WHERE o.canonical_id IS NULL) AS ids_new,
  (SELECT COUNT(*) FROM old_ids o LEFT JOIN new_ids n ON n.canonical_id = o.canonical_id
   WHERE n.canonical_id IS NULL) AS ids_gone""",
        label="health: churn",
    )
    compared, changed, merged, split, ids_new, ids_gone = (int(v or 0) for v in rows[0])
    return {
        "previous_exists": True,
        "identifiers_compared": compared,
        "identifiers_changed": changed,
        "churn_share": round(changed / compared, 6) if compared else 0.0,
        "clusters_merged": merged,
        "clusters_split": split,
        "ids_new": ids_new,
        "ids_gone": ids_gone,
    }


def _history_ddl(tables: HealthTables) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {tables.id_history} (run_id STRING, old_canonical_id STRING, "
        "new_canonical_id STRING, identifiers_moved BIGINT) USING DELTA"
    )


def clear_id_history(engine: Engine, tables: HealthTables, run_id: str) -> None:
    """Remove this run's rows (a retry, or a refused result that changed nothing downstream)."""
    engine.run_script(
        f"{_history_ddl(tables)};\nDELETE FROM {tables.id_history} WHERE run_id = {_run_literal(run_id)}",
        label="health: clear id history",
    )


def write_id_history(engine: Engine, tables: HealthTables, run_id: str, *, had_previous: bool) -> int:
    """This run's rows of ``<p>_id_history``: every (old, new) canonical id pair with old != new and
    the identifiers that moved, plus (old, NULL) for canonical ids whose identifiers all left the
    lookup. Idempotent per run. Returns the rows written."""
    clear_id_history(engine, tables, run_id)
    if not had_previous:
        return 0
    run = _run_literal(run_id)
    stats = engine.run_script(
        f"""INSERT INTO {tables.id_history}
WITH {_pairs_cte(tables)},
gone AS (
  SELECT o.canonical_id AS old_id, COUNT(*) AS moved FROM {tables.lookup_previous} o
  WHERE NOT EXISTS (SELECT 1 FROM {tables.lookup} n WHERE n.canonical_id = o.canonical_id)
    AND NOT EXISTS (SELECT 1 FROM pairs p WHERE p.old_id = o.canonical_id)
  GROUP BY o.canonical_id
)
SELECT {run} AS run_id, old_id AS old_canonical_id, new_id AS new_canonical_id, moved AS identifiers_moved
FROM pairs WHERE old_id <> new_id
UNION ALL
SELECT {run}, old_id, CAST(NULL AS STRING), moved FROM gone""",
        label="health: id history",
    )
    return sum(s.rows or 0 for s in stats)


def restore_previous(engine: Engine, tables: HealthTables, state: PreviousState) -> str:
    """Put the previous lookup back (or drop the refused one when there was none). Idempotent."""
    if state.had_lookup:
        sql = f"CREATE OR REPLACE TABLE {tables.lookup} AS SELECT * FROM {tables.lookup_previous}"
        outcome = f"{tables.lookup} restored from {tables.lookup_previous}"
    else:
        sql = f"DROP TABLE IF EXISTS {tables.lookup}"
        outcome = f"{tables.lookup} dropped: there was no previous result (first run)"
    engine.run_script(sql, label="health: restore previous lookup")
    restored = PreviousState(run_id=state.run_id, had_lookup=state.had_lookup, restored=True)
    engine.run_script(_write_state_sql(tables, restored), label="health: previous lookup state")
    return outcome
