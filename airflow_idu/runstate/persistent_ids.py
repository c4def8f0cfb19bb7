"""Persistent ids: the SQL that maps this run's clusters to the ids of the previous run's. No Airflow, no I/O.

Every function returns Databricks SQL (it runs on DuckDB through the engines' translation and on
the local warehouse). The algorithm, the tables and the crash-safety rule are in
``docs/persistent-ids.md``; in short:

* ``<p>_id_map`` (the state): one row per identifier of the last committed run, with its
  persistent id and that id's first-seen time. Only :func:`commit_sql` writes it.
* ``<p>_id_map_staging``: this run's next map plus, per identifier, the old id and the reason of
  a change (and one row per removed identifier). :func:`stage_sql` writes it after canonicalize.
* ``<p>_id_changes``: the change log, appended by :func:`commit_sql` (run id, identifier, old id,
  new id, reason).

A new cluster keeps the persistent id of the **oldest** previous cluster (first-seen, then id)
of which it holds the **largest part** (most identifiers; ties: the smallest new canonical id).
A cluster that holds the largest part of no previous cluster gets a fresh id: its canonical id,
or, when that id was ever given before, a salted hash of it and the run id (never reused).
"""

from __future__ import annotations

import re
from enum import StrEnum

from airflow_idu.plan.contract import TableNames

__all__ = [
    "ChangeReason",
    "PersistentIdMode",
    "apply_to_lookup_sql",
    "base_literal",
    "base_run_sql",
    "change_counts_sql",
    "commit_sql",
    "committed_base_sql",
    "committed_rows_sql",
    "ddl_sql",
    "default_ids_sql",
    "restage_committed_sql",
    "run_literal",
    "stage_sql",
    "staged_base_sql",
    "staged_runs_sql",
]


class PersistentIdMode(StrEnum):
    """What the lookup carries (the factory's ``persistent_ids`` option)."""

    OFF = "off"  # no persistent ids: no tasks, no tables
    BESIDE = "beside"  # a ``persistent_id`` column next to ``canonical_id``
    REPLACE = "replace"  # ``canonical_id`` holds the persistent id (downstream tables carry it)


class ChangeReason(StrEnum):
    NEW = "new"  # the identifier was not in the previous run's lookup
    MERGED = "merged"  # its cluster merged into an older one and took that one's id
    SPLIT = "split"  # its cluster split and it is not in the part that kept the id
    REMOVED = "removed"  # the identifier is no longer in the lookup


PERSISTENT_ID_COLUMN = "persistent_id"
# Airflow's run ids (manual__2026-01-01T00:00:00+00:00, scheduled__..., backfill__...).
_RUN_ID = re.compile(r"[A-Za-z0-9_.~:+\- ]+")


def run_literal(run_id: str) -> str:
    """``run_id`` as a SQL string literal; refuses characters a run id never has."""
    if not _RUN_ID.fullmatch(run_id):
        raise ValueError(f"run id {run_id!r} has characters outside [A-Za-z0-9_.~:+- ]; use a plain run id")
    return f"'{run_id}'"


def base_literal(base_run_id: str | None) -> str:
    """The run the staged ids were computed from (the map's ``committed_run_id``; NULL: no state yet)."""
    return "CAST(NULL AS STRING)" if base_run_id is None else run_literal(base_run_id)


def base_run_sql(tables: TableNames) -> str:
    """The run that committed the state (NULL before the first commit)."""
    return f"SELECT MAX(committed_run_id) FROM {tables.id_map}"


def committed_base_sql(tables: TableNames) -> str:
    """The base the committed state was computed from (for a run that committed already)."""
    return f"SELECT MAX(base_run_id) FROM {tables.id_map}"


def staged_base_sql(tables: TableNames, run_id: str) -> str:
    return f"SELECT MAX(base_run_id) FROM {tables.id_map_staging} WHERE run_id = {run_literal(run_id)}"


def ddl_sql(tables: TableNames) -> str:
    """The state and the change log, created empty on the first run."""
    return (
        f"CREATE TABLE IF NOT EXISTS {tables.id_map} (id STRING, id_key_type BIGINT, persistent_id STRING, "
        "persistent_id_first_seen_at BIGINT, committed_run_id STRING, base_run_id STRING) USING DELTA;\n"
        f"CREATE TABLE IF NOT EXISTS {tables.id_changes} (run_id STRING, id STRING, id_key_type BIGINT, "
        "old_id STRING, new_id STRING, reason STRING, base_run_id STRING) USING DELTA"
    )


def default_ids_sql(tables: TableNames, key_count: int) -> str:
    """The lookup's rows with the canonical id of their leader in ``<p>_graph`` (a subquery).

    An incremental-capable directory updates the lookup in place: in ``replace`` mode the rows it did
    not touch still hold the persistent ids the last stage wrote, which may equal a touched
    cluster's canonical id. Staging reads clusters from this instead, so they are told apart as in a
    lookup computed in full."""
    # here, not at the top: the factory imports this module for PersistentIdMode when a DAG file is
    # parsed, and the generator's modules cost about 9 ms to import there (bench.parse)
    from airflow_idu.generate.sqltext import canonical_id_sql

    cid = canonical_id_sql("g.leader_id", "g.leader_ns", key_count)
    return (
        f"(SELECT {cid} AS canonical_id, l.id, l.id_key_type, l.id_first_seen_at FROM {tables.lookup} l "
        f"JOIN {tables.graph()} g ON g.follower_id = l.id AND g.follower_ns = l.id_key_type)"
    )


def _previous_parts(tables: TableNames, lookup: str) -> str:
    """CTEs ``cur`` (lookup rows with their previous id) and ``ranked`` (previous clusters' parts)."""
    return f"""cur AS (
  SELECT l.canonical_id, l.id, l.id_key_type, l.id_first_seen_at,
         m.persistent_id AS old_id, m.persistent_id_first_seen_at AS old_first_seen
  FROM {lookup} l
  LEFT JOIN {tables.id_map} m ON m.id = l.id AND m.id_key_type = l.id_key_type
),
parts AS (
  SELECT canonical_id, old_id, MIN(old_first_seen) AS old_first_seen, COUNT(*) AS n
  FROM cur WHERE old_id IS NOT NULL GROUP BY canonical_id, old_id
),
ranked AS (
  SELECT canonical_id, old_id, old_first_seen,
         ROW_NUMBER() OVER (PARTITION BY old_id ORDER BY n DESC, canonical_id ASC) AS part_rank
  FROM parts
)"""


def _assigned(tables: TableNames, run: str) -> str:
    """CTEs ``kept`` (the previous id each cluster keeps) and ``assigned`` (every cluster's id)."""
    salted = (
        f"translate(base64(unhex(substr(sha2(concat(c.canonical_id, '/', {run}), 256), 1, 18))), '+/', '-_')"
    )
    return f"""kept AS (
  SELECT canonical_id, old_id, old_first_seen,
         ROW_NUMBER() OVER (PARTITION BY canonical_id ORDER BY old_first_seen ASC NULLS LAST, old_id ASC) AS age
  FROM ranked WHERE part_rank = 1
),
given AS (
  SELECT persistent_id AS given_id FROM {tables.id_map}
  UNION SELECT old_id AS given_id FROM {tables.id_changes} WHERE old_id IS NOT NULL
),
clusters AS (
  SELECT canonical_id, MIN(id_first_seen_at) AS first_seen FROM cur GROUP BY canonical_id
),
assigned AS (
  SELECT c.canonical_id,
         COALESCE(k.old_id, CASE WHEN g.given_id IS NULL THEN c.canonical_id ELSE {salted} END)
           AS persistent_id,
         CASE WHEN k.old_first_seen IS NULL THEN c.first_seen
              WHEN c.first_seen IS NULL THEN k.old_first_seen
              WHEN k.old_first_seen < c.first_seen THEN k.old_first_seen
              ELSE c.first_seen END AS persistent_id_first_seen_at
  FROM clusters c
  LEFT JOIN kept k ON k.canonical_id = c.canonical_id AND k.age = 1
  LEFT JOIN given g ON g.given_id = c.canonical_id
)"""


def stage_sql(tables: TableNames, run_id: str, base_run_id: str | None, *, lookup: str | None = None) -> str:
    """``<p>_id_map_staging`` from ``<p>_lookup`` (just canonicalized; or ``lookup``, its rows with
    default canonical ids, :func:`default_ids_sql`) and ``<p>_id_map`` (the state, committed by
    ``base_run_id``)."""
    run, base = run_literal(run_id), base_literal(base_run_id)
    reason = (
        f"CASE WHEN cur.old_id IS NULL THEN '{ChangeReason.NEW}' "
        "WHEN cur.old_id = a.persistent_id THEN NULL "
        f"WHEN r.part_rank = 1 THEN '{ChangeReason.MERGED}' ELSE '{ChangeReason.SPLIT}' END"
    )
    return f"""CREATE OR REPLACE TABLE {tables.id_map_staging} USING DELTA AS
WITH {_previous_parts(tables, lookup or tables.lookup)},
{_assigned(tables, run)}
SELECT {run} AS run_id, cur.id, cur.id_key_type, a.persistent_id, a.persistent_id_first_seen_at,
       cur.canonical_id, cur.old_id, {reason} AS reason, {base} AS base_run_id
FROM cur
JOIN assigned a ON a.canonical_id = cur.canonical_id
LEFT JOIN ranked r ON r.canonical_id = cur.canonical_id AND r.old_id = cur.old_id
UNION ALL
SELECT {run} AS run_id, m.id, m.id_key_type, CAST(NULL AS STRING) AS persistent_id,
       CAST(NULL AS BIGINT) AS persistent_id_first_seen_at, CAST(NULL AS STRING) AS canonical_id,
       m.persistent_id AS old_id, '{ChangeReason.REMOVED}' AS reason, {base} AS base_run_id
FROM {tables.id_map} m
LEFT ANTI JOIN {tables.lookup} l ON l.id = m.id AND l.id_key_type = m.id_key_type"""


def committed_rows_sql(tables: TableNames, run_id: str) -> str:
    """How many state rows run ``run_id`` committed (> 0: the state already is this run's)."""
    return f"SELECT COUNT(*) FROM {tables.id_map} WHERE committed_run_id = {run_literal(run_id)}"


def restage_committed_sql(tables: TableNames, run_id: str, base_run_id: str | None) -> str:
    """Staging again for a run that committed already (a cleared run): the committed map and this
    run's logged changes, so that a repeated commit changes nothing."""
    run, base = run_literal(run_id), base_literal(base_run_id)
    return f"""CREATE OR REPLACE TABLE {tables.id_map_staging} USING DELTA AS
SELECT {run} AS run_id, m.id, m.id_key_type, m.persistent_id, m.persistent_id_first_seen_at,
       CAST(NULL AS STRING) AS canonical_id, c.old_id, c.reason, {base} AS base_run_id
FROM {tables.id_map} m
LEFT JOIN {tables.id_changes} c
  ON c.run_id = {run} AND c.id = m.id AND c.id_key_type = m.id_key_type AND c.reason <> '{ChangeReason.REMOVED}'
UNION ALL
SELECT {run} AS run_id, c.id, c.id_key_type, CAST(NULL AS STRING), CAST(NULL AS BIGINT), CAST(NULL AS STRING),
       c.old_id, c.reason, {base}
FROM {tables.id_changes} c
WHERE c.run_id = {run} AND c.reason = '{ChangeReason.REMOVED}'"""


def apply_to_lookup_sql(tables: TableNames, mode: PersistentIdMode, *, has_column: bool) -> str:
    """Rewrite ``<p>_lookup`` with the staged ids (``has_column``: it has a ``persistent_id`` already,
    from an earlier try of this run). Idempotent: applying twice gives the same lookup."""
    staged = (
        f"LEFT JOIN {tables.id_map_staging} s ON s.id = l.id AND s.id_key_type = l.id_key_type "
        "AND s.persistent_id IS NOT NULL"
    )
    if mode is PersistentIdMode.BESIDE:
        rest = f"l.* EXCEPT ({PERSISTENT_ID_COLUMN})" if has_column else "l.*"
        select = f"{rest}, s.persistent_id AS {PERSISTENT_ID_COLUMN}"
    elif mode is PersistentIdMode.REPLACE:
        select = "s.persistent_id AS canonical_id, l.* EXCEPT (canonical_id)"
    else:
        raise ValueError(f"nothing to apply to the lookup in mode {mode.value!r}")
    return (
        f"CREATE OR REPLACE TABLE {tables.lookup_persistent_tmp} USING DELTA AS SELECT {select} "
        f"FROM {tables.lookup} l {staged};\n"
        f"DROP TABLE IF EXISTS {tables.lookup};\n"
        f"ALTER TABLE {tables.lookup_persistent_tmp} RENAME TO {tables.lookup}"
    )


def staged_runs_sql(tables: TableNames) -> str:
    """The run ids in the staging table (one, or none when the lookup is empty)."""
    return f"SELECT DISTINCT run_id FROM {tables.id_map_staging}"


def commit_sql(tables: TableNames, run_id: str, base_run_id: str | None) -> str:
    """Staging -> change log, then state: replacing the map is the commit point. Each statement
    rewrites from staging, so re-running the script after a kill at any statement gives the same
    tables. The first statement also drops the log rows of runs that staged on the same base and
    never replaced the map (they failed after appending)."""
    run = run_literal(run_id)
    same_base = "base_run_id IS NULL" if base_run_id is None else f"base_run_id = {run_literal(base_run_id)}"
    return f"""DELETE FROM {tables.id_changes} WHERE run_id = {run} OR {same_base};
INSERT INTO {tables.id_changes}
SELECT run_id, id, id_key_type, old_id, persistent_id AS new_id, reason, base_run_id
FROM {tables.id_map_staging} WHERE run_id = {run} AND reason IS NOT NULL;
CREATE OR REPLACE TABLE {tables.id_map} USING DELTA AS
SELECT id, id_key_type, persistent_id, persistent_id_first_seen_at, run_id AS committed_run_id, base_run_id
FROM {tables.id_map_staging} WHERE run_id = {run} AND persistent_id IS NOT NULL"""


def change_counts_sql(tables: TableNames, run_id: str, *, staged: bool) -> str:
    """``(reason, identifiers)`` of run ``run_id``, from staging (before the commit) or the log."""
    source = tables.id_map_staging if staged else tables.id_changes
    return (
        f"SELECT reason, COUNT(*) FROM {source} WHERE run_id = {run_literal(run_id)} AND reason IS NOT NULL "
        "GROUP BY reason ORDER BY reason"
    )
