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
from airflow_idu.generate.sql_graph import source_key_stats
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

__all__ = ["source_key_stats_incremental"]

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


def _since(target: Target, config: UnifyConfig, index: int) -> str:
    window = target.table(table_names(config).run_window)
    return f"(SELECT MAX(since) FROM {window} WHERE source_table_id = {index})"


def _counted_again(target: Target, config: UnifyConfig, index: int, time: str) -> str:
    """Rows (by their window column ``time``) of the hours this run counts again."""
    since = _since(target, config, index)
    return (
        f"({since} IS NULL OR CAST({time} AS BIGINT) >= FLOOR({since} / {BUCKET_SECONDS}) * {BUCKET_SECONDS})"
    )


def _count_sql(config: UnifyConfig, target: Target, settings: IncrementalConfig) -> str:
    names = table_names(config)
    counts = target.table(names.source_key_counts)
    deletes = " OR\n  ".join(
        f"(source_table_id = {index} AND ({_since(target, config, index)} IS NULL OR "
        f"bucket >= FLOOR({_since(target, config, index)} / {BUCKET_SECONDS})))"
        for index in sorted({index for index, _, _ in _columns(config)})
    )
    inserts = []
    for index, table in enumerate(config.tables, start=1):
        time = col(settings.time_column_of(table))
        for c in merged_columns(config, table):
            raw = f"CAST({col(c.column)} AS STRING)"
            inserts.append(
                f"SELECT CAST({index} AS BIGINT) AS source_table_id, {string_literal(c.column)} AS column_name,\n"
                f"  CAST(FLOOR(CAST({time} AS BIGINT) / {BUCKET_SECONDS}) AS BIGINT) AS bucket,\n"
                "  COUNT(*) AS total_rows,\n"
                f"  COUNT(CASE WHEN {raw} IS NOT NULL AND {valid_id_sql(c.column, c.key)} IS NULL THEN 1 END)"
                " AS invalid_count,\n"
                f"  COUNT(CASE WHEN {raw} IS NULL THEN 1 END) AS null_count\n"
                f"FROM {target.source(table)}\nWHERE {_counted_again(target, config, index, time)}\n"
                f"GROUP BY CAST(FLOOR(CAST({time} AS BIGINT) / {BUCKET_SECONDS}) AS BIGINT)"
            )
    return (
        f"CREATE TABLE IF NOT EXISTS {counts} (source_table_id BIGINT, column_name STRING, bucket BIGINT, "
        "total_rows BIGINT, invalid_count BIGINT, null_count BIGINT) USING DELTA;\n"
        f"\nDELETE FROM {counts}\nWHERE {deletes};\n"
        f"\nINSERT INTO {counts}\n" + "\nUNION ALL\n".join(inserts) + ";\n"
    )


def _distinct_sql(config: UnifyConfig, target: Target) -> str:
    """CTEs ``stored_ids`` and ``added_ids``: per (table, key type) the identifiers counted."""
    names = table_names(config)
    graph, delta, window = (target.table(t) for t in (names.graph(), names.edges_delta, names.run_window))
    pairs = sorted({(index, c.ns) for index, _, c in _columns(config)})

    def counts(ids: str, extra: str = "", ns_column: str = "follower_ns") -> str:
        return ",\n    ".join(
            f"COUNT(CASE WHEN {ns_column} = {ns} AND array_contains({ids}, CAST({i} AS BIGINT)){extra.format(i=i)}"
            f" THEN 1 END) AS d_{i}_{ns}"
            for i, ns in pairs
        )

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
stored_ids AS (
  SELECT
    {counts("ids")}
  FROM stored
),
added_ids AS (
  -- this run's identifiers in a table their stored row does not have (or new ones)
  SELECT
    {counts("r.ids", " AND NOT COALESCE(array_contains(s.ids, CAST({i} AS BIGINT)), false)", "r.follower_ns")}
  FROM run r LEFT JOIN stored s ON s.follower_id = r.follower_id AND s.follower_ns = r.follower_ns
)"""


def source_key_stats_incremental(config: UnifyConfig, target: Target, settings: IncrementalConfig) -> str:
    """Per source table and merged key column: rows, distinct valid ids, invalid and NULL values."""
    if not _one_column_per_key(config):
        return source_key_stats(config, target)
    names = table_names(config)
    counts = target.table(names.source_key_counts)
    rows = "\nUNION ALL\n".join(
        f"SELECT {string_literal(name)} AS from_table, {string_literal(c.key.name)} AS key_name,"
        f" CAST({c.ns} AS BIGINT) AS key_type, {string_literal(c.column)} AS column_name,\n"
        "  CAST(COALESCE(SUM(total_rows), 0) AS BIGINT) AS total_rows,\n"
        f"  CAST((SELECT d_{index}_{c.ns} FROM stored_ids) + (SELECT d_{index}_{c.ns} FROM added_ids) AS BIGINT)"
        " AS distinct_valid_ids,\n"
        "  CAST(COALESCE(SUM(invalid_count), 0) AS BIGINT) AS invalid_count,\n"
        "  CAST(COALESCE(SUM(null_count), 0) AS BIGINT) AS null_count\n"
        f"FROM {counts} WHERE source_table_id = {index} AND column_name = {string_literal(c.column)}"
        for index, name, c in _columns(config)
    )
    purpose = (
        "Incremental: key quality of the source tables; rows counted per hour of the window column\n"
        "-- (only the hours this run's window reaches again), distinct ids from the graph and this run's links."
    )
    return (
        header(target, config, purpose)
        + "\n"
        + _count_sql(config, target, settings)
        + "\n"
        + create_table_as(target, names.source_key_stats, f"WITH {_distinct_sql(config, target)}\n{rows}")
    )
