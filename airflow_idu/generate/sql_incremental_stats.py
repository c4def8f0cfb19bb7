"""``03_source_key_stats`` of an incremental-capable directory: the same table without a full scan.

The default file validates every source row (a regular expression per key column and row: most of
its cost) and counts distinct valid ids. Here:

* the row counts (rows, invalid values, NULLs) are kept per source column and *hour* of the table's
  window column in ``<p>_source_key_counts``; a run deletes and counts again the hours from its
  window's ``since`` on (every hour on a full refresh, or for a table without a watermark: ``since``
  is NULL then), and the statistics sum them;
* the distinct valid ids of a column are the identifiers of its key type whose source tables include
  the column's table: ``<p>_graph`` (as the previous run left it, none on a full refresh) beside this
  run's links (``<p>_edges_delta``), which add an identifier when its stored row lacks the table.
  Exact when a table has one column per key type; otherwise the default file is used.

Both count the rows the runs have read: a row older than the watermark minus the look-back is not
counted until a full refresh, as for the graph (docs/incremental-runs.md).
"""

from __future__ import annotations

from airflow_idu.generate.config import IncrementalConfig, UnifyConfig
from airflow_idu.generate.sql_graph import result_stats_tail, source_key_stats
from airflow_idu.generate.sql_window import window_rows
from airflow_idu.generate.sqltext import (
    MergedColumn,
    Target,
    col,
    create_table_as,
    header,
    merged_columns,
    string_literal,
    table_names,
    valid_id_sql,
)

__all__ = ["result_key_stats_incremental", "source_key_stats_incremental"]

# An hour of the window column (epoch seconds): the unit counted again
BUCKET_SECONDS = 3600


def _columns(config: UnifyConfig) -> list[tuple[int, str, MergedColumn]]:
    """(source table id, table name, merged column) of every table's merged key columns."""
    return [
        (index, table.table, c)
        for index, table in enumerate(config.tables, start=1)
        for c in merged_columns(config, table)
    ]


def _one_column_per_key(config: UnifyConfig) -> bool:
    return all(
        len({c.ns for c in merged_columns(config, t)}) == len(merged_columns(config, t))
        for t in config.tables
    )


def _start(target: Target, config: UnifyConfig, index: int) -> str:
    """One row: the first second of the hours this run counts again for source table ``index``
    (NULL: every row, on a full refresh or for a table without a watermark); the counts of those
    hours are deleted."""
    window = target.table(table_names(config).run_window)
    return (
        f"SELECT FLOOR(MAX(since) / {BUCKET_SECONDS}) * {BUCKET_SECONDS} AS start FROM {window}"
        f" WHERE source_table_id = {index}"
    )


def _count_sql(config: UnifyConfig, target: Target, settings: IncrementalConfig) -> str:
    names = table_names(config)
    counts = target.table(names.source_key_counts)
    indexes = sorted({index for index, _, _ in _columns(config)})
    deletes = " OR\n  ".join(
        f"(source_table_id = {i} AND (({_start(target, config, i)}) IS NULL\n"
        f"    OR bucket >= ({_start(target, config, i)}) / {BUCKET_SECONDS}))"
        for i in indexes
    )
    ctes, inserts = [], []
    # the hours from the one holding since: the rows of the hours counted again
    window, hour = target.table(names.run_window), f"FLOOR(since / {BUCKET_SECONDS}) * {BUCKET_SECONDS}"
    for index, table in enumerate(config.tables, start=1):
        columns = merged_columns(config, table)
        if not columns:
            continue
        time = col(settings.time_column_of(table), "s")
        bucket = f"CAST(FLOOR(CAST({time} AS BIGINT) / {BUCKET_SECONDS}) AS BIGINT)"
        tallies = "".join(
            f",\n    COUNT(CASE WHEN CAST({col(c.column, 's')} AS STRING) IS NOT NULL"
            f" AND {valid_id_sql(c.column, c.key, 's')} IS NULL THEN 1 END) AS invalid_{k},\n"
            f"    COUNT(CASE WHEN CAST({col(c.column, 's')} AS STRING) IS NULL THEN 1 END) AS null_{k}"
            for k, c in enumerate(columns, start=1)
        )
        # one scan per table (each column's counts side by side), turned into a row per column below
        ctes.append(
            f"t{index}_counts AS (\n  SELECT {bucket} AS bucket, COUNT(*) AS total_rows{tallies}\n"
            f"  FROM {window_rows(target.source(table), time, window, index, since=hour, inclusive=True)}\n"
            f"  GROUP BY {bucket}\n)"
        )
        which = "\n    UNION ALL ".join(
            f"SELECT {k} AS k, {string_literal(c.column)} AS column_name"
            for k, c in enumerate(columns, start=1)
        )

        def pick(kind: str, n: int = len(columns)) -> str:
            return f"CASE c.k {' '.join(f'WHEN {k} THEN t.{kind}_{k}' for k in range(1, n + 1))} END"

        inserts.append(
            f"SELECT CAST({index} AS BIGINT) AS source_table_id, c.column_name, t.bucket, t.total_rows,\n"
            f"  {pick('invalid')} AS invalid_count, {pick('null')} AS null_count\n"
            f"FROM t{index}_counts t CROSS JOIN (\n    {which}\n  ) c"
        )
    return (
        f"CREATE TABLE IF NOT EXISTS {counts} (source_table_id BIGINT, column_name STRING, bucket BIGINT, "
        "total_rows BIGINT, invalid_count BIGINT, null_count BIGINT) USING DELTA;\n"
        f"\nDELETE FROM {counts}\nWHERE {deletes};\n"
        f"\nINSERT INTO {counts}\nWITH\n" + ",\n".join(ctes) + "\n" + "\nUNION ALL\n".join(inserts) + ";\n"
    )


def _distinct_sql(config: UnifyConfig, target: Target) -> str:
    """CTE ``distinct_ids`` (``follower_ns, source_table_id, n``): per key type and table, the
    identifiers counted: the stored rows' tables, and this run's tables their stored row lacks."""
    names = table_names(config)
    graph, delta, window = (target.table(t) for t in (names.graph(), names.edges_delta, names.run_window))
    return f"""mode AS (
  SELECT MAX(CASE WHEN full_refresh THEN 1 ELSE 0 END) AS full FROM {window}
),
stored AS (
  SELECT follower_id, follower_ns, follower_source_table_ids AS ids FROM {graph} CROSS JOIN mode WHERE mode.full = 0
),
run AS (
  SELECT follower_id, follower_ns, array_distinct(flatten(collect_list(follower_source_table_ids))) AS ids
  FROM {delta} GROUP BY follower_id, follower_ns
),
added AS (
  -- this run's identifiers in a table their stored row does not list (or new ones)
  SELECT follower_ns, source_table_id FROM (
    SELECT r.follower_ns, explode(r.ids) AS source_table_id, s.ids AS stored_ids
    FROM run r LEFT JOIN stored s ON s.follower_id = r.follower_id AND s.follower_ns = r.follower_ns
  ) AS run_tables
  WHERE NOT COALESCE(array_contains(stored_ids, source_table_id), false)
),
distinct_ids AS (
  SELECT follower_ns, source_table_id, COUNT(*) AS n FROM (
    SELECT follower_ns, explode(ids) AS source_table_id FROM stored
    UNION ALL
    SELECT follower_ns, source_table_id FROM added
  ) AS identifier_tables
  GROUP BY follower_ns, source_table_id
)"""


def source_key_stats_incremental(config: UnifyConfig, target: Target, settings: IncrementalConfig) -> str:
    """Per source table and merged key column: rows, distinct valid ids, invalid and NULL values."""
    if not _one_column_per_key(config):
        return source_key_stats(config, target)
    names = table_names(config)
    counts = target.table(names.source_key_counts)
    columns = "\n  UNION ALL\n".join(
        f"  SELECT {string_literal(name)} AS from_table, {string_literal(c.key.name)} AS key_name,"
        f" CAST({c.ns} AS BIGINT) AS key_type, {string_literal(c.column)} AS column_name,"
        f" CAST({index} AS BIGINT) AS source_table_id"
        for index, name, c in _columns(config)
    )
    rows = f"""columns AS (
{columns}
),
sums AS (
  SELECT source_table_id, column_name, SUM(total_rows) AS total_rows, SUM(invalid_count) AS invalid_count,
    SUM(null_count) AS null_count
  FROM {counts} GROUP BY source_table_id, column_name
)
SELECT c.from_table, c.key_name, c.key_type, c.column_name,
  CAST(COALESCE(s.total_rows, 0) AS BIGINT) AS total_rows,
  CAST(COALESCE(d.n, 0) AS BIGINT) AS distinct_valid_ids,
  CAST(COALESCE(s.invalid_count, 0) AS BIGINT) AS invalid_count,
  CAST(COALESCE(s.null_count, 0) AS BIGINT) AS null_count
FROM columns c
LEFT JOIN sums s ON s.source_table_id = c.source_table_id AND s.column_name = c.column_name
LEFT JOIN distinct_ids d ON d.source_table_id = c.source_table_id AND d.follower_ns = c.key_type"""
    purpose = (
        "Incremental: key quality of the source tables; rows counted per hour of the window column\n"
        "-- (only the hours this run's window reaches again), distinct ids from the graph and this run's links."
    )
    return (
        header(target, config, purpose)
        + "\n"
        + _count_sql(config, target, settings)
        + "\n"
        + create_table_as(target, names.source_key_stats, f"WITH {_distinct_sql(config, target)},\n{rows}")
    )


def _result_stats_parts(config: UnifyConfig) -> dict[str, str]:
    """The per-scope and per-key-type column lists of the incremental result statistics."""
    key_count = len(config.canonical_id.merge_by_keys)
    scopes = [("*", None)] + [(t.table, i) for i, t in enumerate(config.tables, start=1)]
    tallies = ",\n    ".join(
        f"COUNT(CASE WHEN follower_ns = {ns}"
        + ("" if i is None else f" AND array_contains(follower_source_table_ids, CAST({i} AS BIGINT))")
        + f" THEN 1 END) AS s{s}_{ns}"
        for s, (_, i) in enumerate(scopes)
        for ns in range(1, key_count + 1)
    )
    which = "\n    UNION ALL ".join(
        f"SELECT {s} AS scope, {string_literal(name)} AS from_table" for s, (name, _) in enumerate(scopes)
    )
    picks = ",\n    ".join(
        f"CASE s.scope {' '.join(f'WHEN {s} THEN p.s{s}_{ns}' for s in range(len(scopes)))} END AS n_{ns}"
        for ns in range(1, key_count + 1)
    )
    any_id = " + ".join(f"n_{ns}" for ns in range(1, key_count + 1))
    ids = ", ".join(f"n_{ns}" for ns in range(1, key_count + 1))
    return {"tallies": tallies, "which": which, "picks": picks, "any_id": any_id, "ids": ids}


def result_key_stats_incremental(config: UnifyConfig, target: Target) -> str:
    """``<p>_result_key_stats`` as the default file computes it, from one pass over ``<p>_graph``:
    each leader's identifiers per key type counted for every scope side by side (one group-by), then
    one row per (scope, leader) that has an identifier in the scope (the default file groups the
    graph once per scope)."""
    names = table_names(config)
    parts = _result_stats_parts(config)
    merge_by = config.canonical_id.merge_by_keys
    query = f"""WITH per_leader AS (
  SELECT leader_id, leader_ns,
    {parts["tallies"]}
  FROM {target.table(names.graph())}
  GROUP BY leader_id, leader_ns
),
per_canonical AS (
  SELECT from_table, leader_id, leader_ns, {parts["ids"]} FROM (
    SELECT s.from_table, p.leader_id, p.leader_ns,
    {parts["picks"]}
    FROM per_leader p CROSS JOIN (
    {parts["which"]}
    ) s
  ) AS scoped
  WHERE {parts["any_id"]} > 0
),
""" + result_stats_tail(merge_by)
    purpose = "Incremental: unification result statistics, from one pass over the graph."
    return header(target, config, purpose) + "\n" + create_table_as(target, names.result_key_stats, query)
