"""The files an incremental-capable directory has instead of the default ones (docs/incremental-runs.md).

``02_extract_merge`` reads each source table only inside this run's window (``<p>_run_window``,
written by the run's prepare step: all rows on a full refresh, else rows whose time column is
after the watermark minus the look-back), merges the links with their stored values
(``<p>_edges_delta``), finds the components they reach (``<p>_affected``) and fills loop 0 with
those components only: their stored links and, as a seed, their previous stars from ``<p>_graph``.
``05_canonicalize`` puts the converged components beside the untouched rows of ``<p>_graph``
before computing the lookup. Every other file is the default one.
"""

from __future__ import annotations

from airflow_idu.generate.config import IncrementalConfig, TableSpec, UnifyConfig
from airflow_idu.generate.sql_graph import AGGREGATE_LINKS, canonical_tables, link_ctes
from airflow_idu.generate.sqltext import GRAPH_COLUMNS, Target, col, create_table_as, header, table_names
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
        time = col(settings.time_column_of(table), "s")
        # a subquery, so the window's columns never shadow the source's
        return (
            f"(\n    SELECT s.* FROM {target.source(table)} s\n    JOIN {window} w ON w.source_table_id = {index}\n"
            f"    WHERE w.since IS NULL OR CAST({time} AS BIGINT) > w.since\n  ) s"
        )

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


def _affected_sql(config: UnifyConfig, target: Target) -> str:
    """The identifiers of the components this run's links reach: their ends and their previous components."""
    names = table_names(config)
    delta, graph = target.table(names.edges_delta), target.table(names.graph())
    return f"""WITH touched AS (
  SELECT follower_id AS id, follower_ns AS ns FROM {delta}
  UNION
  SELECT leader_id, leader_ns FROM {delta}
),
old_leaders AS (
  SELECT DISTINCT g.leader_id, g.leader_ns FROM {graph} g
  JOIN touched t ON t.id = g.follower_id AND t.ns = g.follower_ns
)
SELECT id, ns FROM touched
UNION
SELECT g.follower_id, g.follower_ns FROM {graph} g
JOIN old_leaders l ON l.leader_id = g.leader_id AND l.leader_ns = g.leader_ns"""


def extract_merge_incremental(config: UnifyConfig, target: Target, settings: IncrementalConfig) -> str:
    names = table_names(config)
    edges, delta, affected = (target.table(t) for t in (names.edges, names.edges_delta, names.affected))
    graph, loop0 = target.table(names.graph()), target.table(names.loop(0))
    purpose = (
        "Incremental: links of the rows in this run's window (<p>_run_window) merged with their stored\n"
        "-- values; loop 0 = the components they reach (stored links, previous stars as the seed)."
    )
    return (
        header(target, config, purpose)
        + "\n"
        + create_table_as(target, names.edges_delta, _delta_sql(config, target, settings))
        + "\n"
        + create_table_as(target, names.affected, _affected_sql(config, target))
        + f"""
INSERT INTO {loop0}
WITH {_incremental_mode(target, config)}
SELECT {_columns()} FROM {delta}
UNION ALL
SELECT {_columns("e")} FROM {edges} e
JOIN {affected} a ON a.id = e.follower_id AND a.ns = e.follower_ns
CROSS JOIN mode WHERE mode.full = 0
UNION ALL
-- the previous stars of the reached components: connected already, so the loop converges sooner
SELECT {_columns("g")} FROM {graph} g
JOIN {affected} a ON a.id = g.follower_id AND a.ns = g.follower_ns
CROSS JOIN mode WHERE mode.full = 0;
"""
    )


def canonicalize_incremental(config: UnifyConfig, target: Target) -> str:
    names = table_names(config)
    final, graph = target.table(names.loop_final), target.table(names.graph())
    affected = target.table(names.affected)
    merged = (
        f"WITH {_incremental_mode(target, config)}\n"
        f"SELECT {_columns()} FROM {final}\nUNION ALL\n"
        "-- components this run did not reach, as the previous run left them (none on a full refresh)\n"
        f"SELECT {_columns('g')} FROM {graph} g\n"
        f"LEFT JOIN {affected} a ON a.id = g.follower_id AND a.ns = g.follower_ns\n"
        "CROSS JOIN mode WHERE mode.full = 0 AND a.id IS NULL"
    )
    purpose = (
        "Incremental: the converged components beside the untouched ones, then canonical ids.\n"
        "-- <p>_graph is replaced in one statement that reads it: the loop's final table holds only\n"
        "-- reached identifiers, so a retry (the final table is kept until the last statement)\n"
        "-- computes the same graph from the replaced one."
    )
    return (
        header(target, config, purpose)
        + "\n"
        + create_table_as(target, names.graph(), merged)
        + "\n"
        + canonical_tables(config, target, graph)
        + f"\nDROP TABLE IF EXISTS {final};\n"
    )
