"""The files an incremental-capable directory has instead of the default ones (docs/incremental-runs.md).

``02_extract_merge`` reads each source table only inside this run's window (``<p>_run_window``,
written by the run's prepare step: all rows on a full refresh, else rows whose time column is
after the watermark minus the look-back), merges the links with their stored values
(``<p>_edges_delta``) and fills loop 0 with the *contracted* graph: each end of a link replaced by
its previous leader, links inside one previous component dropped. The loop then maps previous
leaders (and new identifiers) to new leaders over a graph of the delta's size. ``05_canonicalize``
records the canonical ids that move (``<p>_moves``, for the enrich and master files), merges the
changed rows into ``<p>_graph`` and computes the lookup from it. Every other file is the default one.
"""

from __future__ import annotations

from airflow_idu.generate.config import IncrementalConfig, TableSpec, UnifyConfig
from airflow_idu.generate.sql_graph import (
    AGGREGATE_LINKS,
    canonical_tables,
    link_ctes,
    lookup_query,
    one_leader_per_follower,
)
from airflow_idu.generate.sql_incremental_outputs import move_pairs_sql
from airflow_idu.generate.sql_window import window_rows
from airflow_idu.generate.sqltext import GRAPH_COLUMNS, Target, col, create_table_as, header, table_names
from airflow_idu.plan.contract import TableNames
from airflow_idu.plan.incremental import IncrementalSource, IncrementalSpec

__all__ = ["canonicalize_incremental", "extract_merge_incremental", "incremental_marker"]

_NAMES = [c.split()[0] for c in GRAPH_COLUMNS]
_KEY = ("follower_id", "follower_ns", "leader_id", "leader_ns")


def _columns(alias: str | None = None) -> str:
    return ", ".join(f"{alias}.{c}" if alias else c for c in _NAMES)


def incremental_marker(config: UnifyConfig, target: Target, settings: IncrementalConfig) -> str:
    """``incremental.json``: the source tables (ids as in ``follower_source_table_ids``), their
    window columns and the look-back."""
    sources = tuple(
        IncrementalSource(
            source_table_id=index, table=target.source(table), time_column=settings.time_column_of(table)
        )
        for index, table in enumerate(config.tables, start=1)
    )
    return IncrementalSpec(lookback_seconds=settings.lookback_days * 86_400, sources=sources).to_json()


def _incremental_mode(target: Target, config: UnifyConfig) -> str:
    """One row, ``full`` = 1 when this run refreshes in full (then no stored state is read)."""
    window = target.table(table_names(config).run_window)
    return f"mode AS (\n  SELECT MAX(CASE WHEN full_refresh THEN 1 ELSE 0 END) AS full FROM {window}\n)"


def _delta_sql(config: UnifyConfig, target: Target, settings: IncrementalConfig) -> str:
    """This run's links (rows in the window) merged with their stored values (none on a full refresh)."""
    names = table_names(config)
    window = target.table(names.run_window)

    def windowed(index: int, table: TableSpec) -> str:
        return window_rows(target.source(table), col(settings.time_column_of(table), "s"), window, index)

    ctes = link_ctes(config, target, windowed)
    on = " AND ".join(f"e.{k} = r.{k}" for k in _KEY)
    return (
        "WITH\n"
        + ",\n".join([*ctes, f"run_links AS (\n{AGGREGATE_LINKS}\n)", _incremental_mode(target, config)])
        + f""",
stored AS (
  -- the stored values of this run's links (none on a full refresh)
  SELECT {_columns("e")} FROM {target.table(names.edges)} e
  JOIN (SELECT DISTINCT {", ".join(_KEY)} FROM run_links) r ON {on}
  CROSS JOIN mode WHERE mode.full = 0
)
SELECT {", ".join(_KEY)},
  MIN(follower_first_seen_at) AS follower_first_seen_at,
  MAX(follower_last_seen_at) AS follower_last_seen_at,
  array_sort(array_distinct(flatten(collect_list(follower_source_table_ids)))) AS follower_source_table_ids,
  MAX(follower_last_processed_at) AS follower_last_processed_at
FROM (SELECT {_columns()} FROM run_links UNION ALL SELECT {_columns()} FROM stored)
GROUP BY {", ".join(_KEY)}"""
    )


def _contracted_sql(config: UnifyConfig, target: Target) -> str:
    """Loop 0 of an incremental run: this run's links with each end replaced by its previous leader
    (a new identifier stands for itself), links inside one previous component dropped, and a self
    link per remaining end (so a star converges in one iteration). The loop then maps previous
    leaders (and new identifiers) to their new leaders over a graph of the delta's size. On a full
    refresh: every link as it is (the default loop 0)."""
    names = table_names(config)
    delta, graph = target.table(names.edges_delta), target.table(names.graph())
    none = "CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS ARRAY<BIGINT>), CAST(NULL AS BIGINT)"
    return f"""WITH {_incremental_mode(target, config)},
previous AS (
  -- the previous leader of every end of this run's links (none on a full refresh)
  SELECT g.follower_id, g.follower_ns, g.leader_id, g.leader_ns FROM {graph} g
  JOIN (SELECT DISTINCT follower_id, follower_ns FROM {delta}) d
    ON d.follower_id = g.follower_id AND d.follower_ns = g.follower_ns
  CROSS JOIN mode WHERE mode.full = 0
),
contracted AS (
  SELECT DISTINCT COALESCE(f.leader_id, d.follower_id) AS a_id, COALESCE(f.leader_ns, d.follower_ns) AS a_ns,
    COALESCE(l.leader_id, d.leader_id) AS b_id, COALESCE(l.leader_ns, d.leader_ns) AS b_ns
  FROM {delta} d
  LEFT JOIN previous f ON f.follower_id = d.follower_id AND f.follower_ns = d.follower_ns
  LEFT JOIN previous l ON l.follower_id = d.leader_id AND l.follower_ns = d.leader_ns
  CROSS JOIN mode WHERE mode.full = 0
),
joining AS (
  -- links between two previous components (or to a new identifier): only these can move a leader
  SELECT a_id, a_ns, b_id, b_ns FROM contracted WHERE a_id <> b_id OR a_ns <> b_ns
)
SELECT {_columns()} FROM {delta} CROSS JOIN mode WHERE mode.full = 1
UNION ALL
SELECT a_id, a_ns, b_id, b_ns, {none} FROM joining
UNION ALL
SELECT id, ns, id, ns, {none} FROM (
  SELECT a_id AS id, a_ns AS ns FROM joining UNION SELECT b_id, b_ns FROM joining
) AS ends"""


def extract_merge_incremental(config: UnifyConfig, target: Target, settings: IncrementalConfig) -> str:
    names = table_names(config)
    loop0 = target.table(names.loop(0))
    purpose = (
        "Incremental: links of the rows in this run's window (<p>_run_window) merged with their stored\n"
        "-- values; loop 0 = those links between the previous components they join (contracted graph)."
    )
    return (
        header(target, config, purpose)
        + "\n"
        + create_table_as(target, names.edges_delta, _delta_sql(config, target, settings))
        + f"\nINSERT INTO {loop0}\n{_contracted_sql(config, target)};\n"
    )


LOOKUP_COLUMNS = (
    "canonical_id STRING, id STRING, id_key_type BIGINT, canonical_id_first_seen_at BIGINT, "
    "canonical_id_last_seen_at BIGINT, id_first_seen_at BIGINT, id_last_seen_at BIGINT, "
    "id_source_table_ids ARRAY<BIGINT>, id_last_processed_at BIGINT"
)


def _record_moves_sql(config: UnifyConfig, target: Target) -> str:
    """The canonical id (as the lookup has it, before it is replaced) of every previous component the
    loop reached, with its previous leader: the enrich files move rows carrying that id to the
    leader's new id. Only added to (a retry after the lookup was replaced adds pairs that do not
    move); the commit clears the table."""
    names = table_names(config)
    moves, lookup = target.table(names.moves), target.table(names.lookup)
    final = target.table(names.loop_final)
    return f"""CREATE TABLE IF NOT EXISTS {moves} (old_id STRING, id STRING, id_key_type BIGINT) USING DELTA;
CREATE TABLE IF NOT EXISTS {lookup} ({LOOKUP_COLUMNS}) USING DELTA;

MERGE INTO {moves} v
USING (
  WITH {_incremental_mode(target, config)}
  SELECT DISTINCT l.canonical_id AS old_id, l.id, l.id_key_type FROM {lookup} l
  JOIN {final} f ON f.follower_id = l.id AND f.follower_ns = l.id_key_type
  CROSS JOIN mode WHERE mode.full = 0
) m
ON v.old_id = m.old_id AND v.id = m.id AND v.id_key_type = m.id_key_type
WHEN NOT MATCHED THEN INSERT (old_id, id, id_key_type) VALUES (m.old_id, m.id, m.id_key_type);
"""


def _graph_changes_sql(config: UnifyConfig, target: Target) -> str:
    """The new rows of every identifier whose graph row changes: this run's identifiers (their totals
    merged with this run's links, under their new leader) and the other members of previous
    components whose leader moved. A function of the graph before or after it is applied: a leader
    the loop gave maps to itself, and merging totals twice changes nothing (so a retry is exact)."""
    names = table_names(config)
    final, graph = target.table(names.loop_final), target.table(names.graph())
    delta = target.table(names.edges_delta)
    on = "{a}.follower_id = {b}.follower_id AND {a}.follower_ns = {b}.follower_ns"
    return f"""WITH {_incremental_mode(target, config)},
moved AS (
  -- each previous leader (or new identifier) the loop reached and its new leader
  SELECT follower_id, follower_ns, leader_id, leader_ns FROM {final} CROSS JOIN mode WHERE mode.full = 0
),
ids AS (
  SELECT DISTINCT follower_id, follower_ns FROM {delta} CROSS JOIN mode WHERE mode.full = 0
),
totals AS (
  -- this run's identifiers: their totals over their previous row and this run's links, and their
  -- previous leader (the graph has one row per follower, so both columns come from that row)
  SELECT follower_id, follower_ns,
    MIN(follower_first_seen_at) AS follower_first_seen_at,
    MAX(follower_last_seen_at) AS follower_last_seen_at,
    array_sort(array_distinct(flatten(collect_list(follower_source_table_ids)))) AS follower_source_table_ids,
    MAX(follower_last_processed_at) AS follower_last_processed_at,
    MAX(previous_leader_id) AS previous_leader_id,
    MAX(previous_leader_ns) AS previous_leader_ns
  FROM (
    SELECT d.follower_id, d.follower_ns, d.follower_first_seen_at, d.follower_last_seen_at,
      d.follower_source_table_ids, d.follower_last_processed_at,
      CAST(NULL AS STRING) AS previous_leader_id, CAST(NULL AS BIGINT) AS previous_leader_ns
    FROM {delta} d CROSS JOIN mode WHERE mode.full = 0
    UNION ALL
    SELECT g.follower_id, g.follower_ns, g.follower_first_seen_at, g.follower_last_seen_at,
      g.follower_source_table_ids, g.follower_last_processed_at, g.leader_id, g.leader_ns
    FROM {graph} g JOIN ids i ON {on.format(a="i", b="g")}
  ) AS rows_of_identifiers
  GROUP BY follower_id, follower_ns
)
SELECT t.follower_id, t.follower_ns,
  COALESCE(m.leader_id, t.previous_leader_id, t.follower_id) AS leader_id,
  COALESCE(m.leader_ns, t.previous_leader_ns, t.follower_ns) AS leader_ns,
  t.follower_first_seen_at, t.follower_last_seen_at, t.follower_source_table_ids, t.follower_last_processed_at
FROM totals t
LEFT JOIN moved m
  ON m.follower_id = COALESCE(t.previous_leader_id, t.follower_id)
  AND m.follower_ns = COALESCE(t.previous_leader_ns, t.follower_ns)
UNION ALL
-- the other members of a previous component whose leader moved: the new leader, the same totals
SELECT {_columns("g").replace("g.leader_id, g.leader_ns", "m.leader_id, m.leader_ns")}
FROM {graph} g
JOIN moved m ON m.follower_id = g.leader_id AND m.follower_ns = g.leader_ns
LEFT JOIN ids i ON {on.format(a="i", b="g")}
WHERE i.follower_id IS NULL AND (m.leader_id <> g.leader_id OR m.leader_ns <> g.leader_ns)"""


def _update_graph_sql(config: UnifyConfig, target: Target) -> str:
    """``<p>_graph``: replaced by the loop's final table on a full refresh (delete, then insert: a
    retry repeats both), else the changed rows merged in (one statement). Either way it has one row
    per follower, so the lookup needs no deduplication."""
    names = table_names(config)
    final, graph = target.table(names.loop_final), target.table(names.graph())
    full = f"(SELECT MAX(CASE WHEN full_refresh THEN 1 ELSE 0 END) FROM {target.table(names.run_window)}) = 1"
    keys = ("follower_id", "follower_ns")
    on = " AND ".join(f"g.{k} = c.{k}" for k in keys)
    updates = ", ".join(f"{c} = c.{c}" for c in _NAMES if c not in keys)
    return f"""DELETE FROM {graph} WHERE {full};
INSERT INTO {graph}
SELECT {_columns()} FROM (
  {one_leader_per_follower(final)}
) AS g WHERE {full};

MERGE INTO {graph} g
USING (
{_graph_changes_sql(config, target)}
) c
ON {on}
WHEN MATCHED THEN UPDATE SET {updates}
WHEN NOT MATCHED THEN INSERT ({_columns()}) VALUES ({_columns("c")});
"""


_LOOKUP_NAMES = [c.split()[0] for c in LOOKUP_COLUMNS.split(", ")]


def _update_lookup_sql(config: UnifyConfig, target: Target) -> str:
    """``<p>_lookup`` from ``<p>_graph``: every row on a full refresh, else the rows of every component
    holding an identifier of this run's links (its leader, or its totals, changed); deleted, then
    inserted, from the graph as canonicalize left it (a retry writes the same rows). Columns are
    named: a persistent-id column stays (NULL on the new rows) until the stage step rewrites it."""
    names = table_names(config)
    graph, lookup = target.table(names.graph()), target.table(names.lookup)
    delta, window = target.table(names.edges_delta), target.table(names.run_window)
    full = f"(SELECT MAX(CASE WHEN full_refresh THEN 1 ELSE 0 END) FROM {window}) = 1"
    columns = ", ".join(_LOOKUP_NAMES)
    members = f"""SELECT g.* FROM {graph} g
  JOIN (
    -- the (new) leaders of this run's identifiers
    SELECT DISTINCT r.leader_id, r.leader_ns FROM {graph} r
    JOIN (SELECT DISTINCT follower_id, follower_ns FROM {delta}) d
      ON d.follower_id = r.follower_id AND d.follower_ns = r.follower_ns
    JOIN {window} w ON w.source_table_id = 1 AND NOT w.full_refresh
  ) k ON k.leader_id = g.leader_id AND k.leader_ns = g.leader_ns"""
    return f"""DELETE FROM {lookup} WHERE {full};
INSERT INTO {lookup} ({columns})
{lookup_query(config, f"SELECT * FROM {graph} WHERE {full}")};

-- the changed components' rows: deleted, then inserted (both read the graph as canonicalize left it,
-- so a retry after either deletes and inserts the same rows; DuckDB updates rows in place slower).
-- A MERGE deletes them by a join on the identifier (Delta's DELETE takes no two-column IN).
MERGE INTO {lookup} l
USING (
SELECT g.follower_id, g.follower_ns FROM (
{members}
) g
) c
ON l.id = c.follower_id AND l.id_key_type = c.follower_ns
WHEN MATCHED THEN DELETE;
INSERT INTO {lookup} ({columns})
{lookup_query(config, members)};
"""


def canonicalize_incremental(config: UnifyConfig, target: Target) -> str:
    names = table_names(config)
    final, graph = target.table(names.loop_final), target.table(names.graph())
    purpose = (
        "Incremental: the moved canonical ids recorded, the changed rows of <p>_graph merged in (the\n"
        "-- loop's final table maps previous leaders to new ones), then canonical ids. The final table is\n"
        "-- kept until the last statement, so a retry computes the same rows."
    )
    return (
        header(target, config, purpose)
        + "\n"
        + _record_moves_sql(config, target)
        + "\n"
        + _update_graph_sql(config, target)
        + "\n"
        + _update_lookup_sql(config, target)
        + "\n"
        + move_pairs_sql(
            TableNames(prefix=config.canonical_id.name, catalog=target.catalog, schema=target.schema)
        )
        + ";\n\n"
        + canonical_tables(config, target, graph, lookup=False)
        + f"\nDROP TABLE IF EXISTS {final};\n"
    )
