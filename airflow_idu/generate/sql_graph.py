"""Files 01-03 and 05-06: build the identifier graph, canonicalize, count.

The unify loop (04) lives in sql_loop.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from airflow_idu.generate.config import TableSpec, UnifyConfig
from airflow_idu.generate.sqltext import (
    GRAPH_COLUMNS,
    Target,
    canonical_id_sql,
    create_table_as,
    header,
    merged_columns,
    string_literal,
    table_names,
    valid_id_sql,
)

__all__ = [
    "AGGREGATE_LINKS",
    "canonical_tables",
    "canonicalize",
    "create_graph",
    "extract_merge",
    "graph_table",
    "link_ctes",
    "lookup_query",
    "one_leader_per_follower",
    "result_key_stats",
    "result_stats_tail",
    "source_key_stats",
]

_COLUMNS = ",\n  ".join(GRAPH_COLUMNS)


def graph_table(config: UnifyConfig, suffix: str) -> str:
    return table_names(config).graph(suffix)


def create_graph(config: UnifyConfig, target: Target) -> str:
    table = target.table(table_names(config).loop(0))
    return header(target, config, "Create the empty identifier graph (loop 0).") + (
        f"\nCREATE OR REPLACE TABLE {table} (\n  {_COLUMNS}\n) USING DELTA;\n"
    )


def link_ctes(config: UnifyConfig, target: Target, source: Callable[[int, TableSpec], str]) -> list[str]:
    """CTEs ending in ``edges``: one row per (record, valid identifier), the identifier following the
    record's first valid one. ``source(index, table)`` is the FROM clause of source table ``index``
    (its rows in ``s`` for a filtered read)."""
    ctes: list[str] = []
    edges: list[str] = []
    for index, table in enumerate(config.tables, start=1):
        columns = merged_columns(config, table)
        if not columns:
            continue
        ids = ",\n    ".join(f"{valid_id_sql(c.column, c.key)} AS id_{j}" for j, c in enumerate(columns, 1))
        names = [f"id_{j}" for j in range(1, len(columns) + 1)]
        leader_ns = " ".join(f"WHEN {n} IS NOT NULL THEN {c.ns}" for n, c in zip(names, columns, strict=True))
        ctes.append(
            f"t{index}_ids AS (\n  SELECT\n    {ids},\n    CAST(`time` AS BIGINT) AS seen_at\n"
            f"  FROM {source(index, table)}\n)"
        )
        ctes.append(
            f"t{index}_records AS (\n  SELECT {', '.join(names)}, seen_at,\n"
            f"    COALESCE({', '.join(names)}) AS leader_id,\n"
            f"    CAST(CASE {leader_ns} END AS BIGINT) AS leader_ns\n  FROM t{index}_ids\n)"
        )
        edges.extend(
            f"  SELECT {n} AS follower_id, CAST({c.ns} AS BIGINT) AS follower_ns, leader_id, leader_ns, seen_at,"
            f" CAST({index} AS BIGINT) AS source_table_id\n  FROM t{index}_records WHERE {n} IS NOT NULL"
            for n, c in zip(names, columns, strict=True)
        )
    ctes.append("edges AS (\n" + "\n  UNION ALL\n".join(edges) + "\n)")
    return ctes


# The graph row of each (follower, leader) link over the rows of ``edges``.
AGGREGATE_LINKS = (
    "SELECT\n  follower_id, follower_ns, leader_id, leader_ns,\n"
    "  MIN(seen_at) AS follower_first_seen_at,\n  MAX(seen_at) AS follower_last_seen_at,\n"
    "  array_sort(array_distinct(collect_list(source_table_id))) AS follower_source_table_ids,\n"
    "  MAX(seen_at) AS follower_last_processed_at\n"
    "FROM edges\nGROUP BY follower_id, follower_ns, leader_id, leader_ns"
)


def extract_merge(config: UnifyConfig, target: Target) -> str:
    """Fill loop 0: each record's valid identifiers all follow its first valid one."""
    ctes = link_ctes(config, target, lambda _index, table: target.source(table))
    graph = target.table(table_names(config).loop(0))
    purpose = (
        "Extract valid identifiers per record: the first valid one (key_columns order) leads,\n"
        "-- every valid one follows it. last_processed_at = max time, so reruns are identical."
    )
    return header(target, config, purpose) + (
        f"\nINSERT INTO {graph}\nWITH\n" + ",\n".join(ctes) + "\n" + AGGREGATE_LINKS + ";\n"
    )


def source_key_stats(config: UnifyConfig, target: Target) -> str:
    """Per source table and merged key column: rows, distinct valid ids, invalid and NULL values."""
    parts = []
    for table in config.tables:
        for c in merged_columns(config, table):
            parts.append(
                f"SELECT {string_literal(table.table)} AS from_table, {string_literal(c.key.name)} AS key_name,"
                f" CAST({c.ns} AS BIGINT) AS key_type, {string_literal(c.column)} AS column_name,\n"
                "  COUNT(*) AS total_rows, COUNT(DISTINCT valid_id) AS distinct_valid_ids,\n"
                "  COUNT(CASE WHEN raw_id IS NOT NULL AND valid_id IS NULL THEN 1 END) AS invalid_count,\n"
                "  COUNT(CASE WHEN raw_id IS NULL THEN 1 END) AS null_count\n"
                f"FROM (SELECT CAST(`{c.column}` AS STRING) AS raw_id, {valid_id_sql(c.column, c.key)} AS valid_id\n"
                f"      FROM {target.source(table)})"
            )
    name = table_names(config).source_key_stats
    return (
        header(target, config, "Key quality of the source tables.")
        + "\n"
        + create_table_as(target, name, "\nUNION ALL\n".join(parts))
    )


def canonicalize(config: UnifyConfig, target: Target) -> str:
    names = table_names(config)
    final = target.table(names.loop_final)
    graph = target.table(names.graph())
    return (
        header(target, config, "Canonical ids for the converged graph; keep the graph as <p>_graph.")
        + "\n"
        + canonical_tables(config, target, final)
        + f"\nDROP TABLE IF EXISTS {graph};\nALTER TABLE {final} RENAME TO {graph};\n"
    )


def one_leader_per_follower(final: str) -> str:
    """The rows of ``final``, one per follower (its smallest leader) even if the loop stopped at its
    safety limit unconverged. The columns are named and every one orders the rows: a follower's rows
    never tie, so every engine picks the same row (and the embedded one can prove it, unguarded)."""
    names = [c.split()[0] for c in GRAPH_COLUMNS]
    keys = ["follower_id", "follower_ns", "leader_ns", "leader_id"]
    order = ", ".join(["leader_ns", "leader_id", *(n for n in names if n not in keys)])
    return f"""SELECT {", ".join(names)} FROM (
    SELECT {", ".join(names)},
      ROW_NUMBER() OVER (PARTITION BY follower_id, follower_ns ORDER BY {order}) AS rn
    FROM {final}
  ) WHERE rn = 1"""


def lookup_query(config: UnifyConfig, rows: str) -> str:
    """The lookup rows of the graph rows ``rows`` (a query, one row per follower): every follower with
    its leader's canonical id and the leader's component totals (so ``rows`` holds whole components)."""
    cid = canonical_id_sql("leader_id", "leader_ns", len(config.canonical_id.merge_by_keys))
    return f"""WITH graph AS (
  -- one leader per follower even if the loop stopped at its safety limit unconverged
  {rows}
),
leaders AS (
  -- the canonical id once per leader, not once per identifier
  SELECT leader_id, leader_ns, {cid} AS canonical_id,
    MIN(follower_first_seen_at) AS canonical_id_first_seen_at,
    MAX(follower_last_seen_at) AS canonical_id_last_seen_at
  FROM graph
  GROUP BY leader_id, leader_ns
)
SELECT
  l.canonical_id,
  g.follower_id AS id,
  g.follower_ns AS id_key_type,
  l.canonical_id_first_seen_at,
  l.canonical_id_last_seen_at,
  g.follower_first_seen_at AS id_first_seen_at,
  g.follower_last_seen_at AS id_last_seen_at,
  g.follower_source_table_ids AS id_source_table_ids,
  g.follower_last_processed_at AS id_last_processed_at
FROM graph g
JOIN leaders l ON l.leader_id = g.leader_id AND l.leader_ns = g.leader_ns"""


def canonical_tables(config: UnifyConfig, target: Target, final: str, *, lookup: bool = True) -> str:
    """``<p>_lookup`` (unless ``lookup`` is false: the caller writes it), ``<p>_keys`` and
    ``<p>_tables`` from the converged graph ``final``."""
    names = table_names(config)
    merge_by = config.canonical_id.merge_by_keys
    keys = "\nUNION ALL\n".join(
        f"SELECT {string_literal(k)} AS key_name, CAST({ns} AS BIGINT) AS key_type"
        for ns, k in enumerate(merge_by, start=1)
    )
    tables = "\nUNION ALL\n".join(
        f"SELECT CAST({i} AS BIGINT) AS table_id, {string_literal(t.table)} AS table_name"
        for i, t in enumerate(config.tables, start=1)
    )
    return (
        (
            create_table_as(target, names.lookup, lookup_query(config, one_leader_per_follower(final))) + "\n"
            if lookup
            else ""
        )
        + create_table_as(target, names.keys, keys)
        + "\n"
        + create_table_as(target, names.source_tables, tables)
    )


def result_key_stats(config: UnifyConfig, target: Target) -> str:
    """Per scope ('*' = everything, else ids seen in one source table): number of canonical ids,
    how many have each key type, and per key type a histogram "ids per canonical id:canonical ids"."""
    names = table_names(config)
    merge_by = config.canonical_id.merge_by_keys
    scopes = ["  SELECT '*' AS from_table, leader_id, leader_ns, follower_ns FROM graph"] + [
        f"  SELECT {string_literal(t.table)}, leader_id, leader_ns, follower_ns FROM graph\n"
        f"  WHERE array_contains(follower_source_table_ids, CAST({i} AS BIGINT))"
        for i, t in enumerate(config.tables, start=1)
    ]
    counts = ",\n    ".join(
        f"COUNT(CASE WHEN follower_ns = {ns} THEN 1 END) AS n_{ns}" for ns in range(1, len(merge_by) + 1)
    )
    scoped = "\n  UNION ALL\n".join(scopes)
    query = f"""WITH graph AS (
  SELECT leader_id, leader_ns, follower_ns, follower_source_table_ids FROM {target.table(names.graph())}
),
scoped AS (
{scoped}
),
per_canonical AS (
  SELECT from_table, leader_id, leader_ns,
    {counts}
  FROM scoped
  GROUP BY from_table, leader_id, leader_ns
),
""" + result_stats_tail(merge_by)
    return (
        header(target, config, "Unification result statistics.")
        + "\n"
        + create_table_as(target, names.result_key_stats, query)
    )


def result_stats_tail(merge_by: Sequence[str]) -> str:
    """The result statistics after ``per_canonical`` (``from_table``, a leader, ``n_1..n_k`` ids per key
    type): sizes, histograms, totals and the final SELECT. Shared by the default and incremental 06."""
    unpivot = "\n  UNION ALL\n".join(
        f"  SELECT from_table, {ns} AS key_type, n_{ns} AS n FROM per_canonical WHERE n_{ns} > 0"
        for ns in range(1, len(merge_by) + 1)
    )
    counts_by_key = ",\n    ".join(
        f"COUNT(CASE WHEN n_{ns} > 0 THEN 1 END) AS distinct_with_{k}"
        for ns, k in enumerate(merge_by, start=1)
    )
    histogram_by_key = ",\n    ".join(
        f"MAX(CASE WHEN key_type = {ns} THEN histogram END) AS histogram_{k}"
        for ns, k in enumerate(merge_by, start=1)
    )
    selected = ", ".join([f"t.distinct_with_{k}" for k in merge_by] + [f"h.histogram_{k}" for k in merge_by])
    return f"""sizes AS (
{unpivot}
),
histograms AS (
  -- "n:c,..." = c canonical ids have n ids of this key type, ascending n
  SELECT from_table, key_type,
    array_join(transform(array_sort(collect_list(struct(n, canonical_ids))),
      x -> concat(CAST(x.n AS STRING), ':', CAST(x.canonical_ids AS STRING))), ',') AS histogram
  FROM (SELECT from_table, key_type, n, COUNT(*) AS canonical_ids FROM sizes GROUP BY from_table, key_type, n)
  GROUP BY from_table, key_type
),
histograms_by_key AS (
  SELECT from_table,
    {histogram_by_key}
  FROM histograms
  GROUP BY from_table
),
totals AS (
  SELECT from_table, COUNT(*) AS total_distinct,
    {counts_by_key}
  FROM per_canonical
  GROUP BY from_table
)
SELECT t.from_table, t.total_distinct, {selected}
FROM totals t
LEFT JOIN histograms_by_key h ON h.from_table = t.from_table"""
