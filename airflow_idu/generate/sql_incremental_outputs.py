"""Enrichment and master tables of an incremental-capable directory: only the rows a run can change.

An enriched row is a source row with the canonical id of its best key; it can change only when
the row is new (in this run's window) or its key is in a component this run reached
(``<p>_affected``). A master row is a function of the enriched rows of one canonical id; it can
change only for the canonical ids of the reached components, and it disappears when its id is
no longer in the lookup (its component merged into one with another leader). So each file
deletes exactly those rows and inserts them again, computed as the default file computes them;
every other row stays as the last run left it (docs/incremental-runs.md, "Why the result is
exact"). On a full refresh every row is deleted and inserted.

Each statement is computed from the sources, the lookup, ``<p>_affected`` and ``<p>_run_window``
only, never from the table it writes, so a retry (of the task or of a failed run, whose window
and reached components are a superset) repeats it exactly. The first run creates the tables empty.
"""

from __future__ import annotations

from airflow_idu.generate.config import IncrementalConfig, MasterTableSpec, TableSpec, UnifyConfig
from airflow_idu.generate.sql_outputs import enrich_query, master_query
from airflow_idu.generate.sqltext import Target, canonical_id_sql, col, header, merged_columns, table_names

__all__ = ["enrich_incremental", "master_incremental"]


def _create_empty(target: Target, table: str, query: str) -> str:
    """The table with the query's columns and no rows, unless it exists (the first run)."""
    return (
        f"CREATE TABLE IF NOT EXISTS {target.table(table)} USING DELTA AS\n"
        f"SELECT * FROM (\n{query}\n) WHERE 1 = 0;\n"
    )


def _full(target: Target, config: UnifyConfig) -> str:
    """1 when this run refreshes in full (one scalar subquery, as DELETE allows)."""
    window = target.table(table_names(config).run_window)
    return f"(SELECT MAX(CASE WHEN full_refresh THEN 1 ELSE 0 END) FROM {window}) = 1"


def _reached(target: Target, config: UnifyConfig, value: str) -> str:
    """``value`` of every reached identifier (``<p>_affected``: id, ns); none on a full refresh, which
    changes every row anyway (so a full refresh never computes it over every identifier)."""
    names = table_names(config)
    window, affected = target.table(names.run_window), target.table(names.affected)
    return (
        f"SELECT {value} FROM {affected} a\n"
        f"    JOIN {window} w ON w.source_table_id = 1 AND NOT w.full_refresh"
    )


def _changes(
    config: UnifyConfig,
    target: Target,
    settings: IncrementalConfig,
    index: int,
    table: TableSpec,
    alias: str | None,
) -> str:
    """The rows of the source table (or of its enriched copy: the same columns) this run re-enriches:
    every row on a full refresh, rows in the window, rows with a key value of a reached component.
    A key column's raw value is what its valid key is (``valid_id_sql``), so comparing it is exact and
    needs no validation; a value of another key type that happens to match only adds a row that is
    recomputed to the same value. The same condition chooses the rows deleted and the rows inserted."""
    window = target.table(table_names(config).run_window)
    time = col(settings.time_column_of(table), alias)
    since = f"(SELECT MAX(since) FROM {window} WHERE source_table_id = {index})"
    keys = [
        f"CAST({col(c.column, alias)} AS STRING) IN ({_reached(target, config, 'a.id')})"
        for c in merged_columns(config, table)
    ]
    return "\n  OR ".join([_full(target, config), f"CAST({time} AS BIGINT) > {since}", *keys])


def enrich_incremental(
    config: UnifyConfig, target: Target, settings: IncrementalConfig, index: int, table: TableSpec
) -> str:
    """``enriched_<t>``: the rows this run can change deleted and enriched again."""
    name = f"enriched_{table.table}"
    query = enrich_query(config, target, table)
    purpose = (
        f"Incremental: source table {table.table} with its canonical id; only rows in this run's window\n"
        "-- or with a key of a component it reached are enriched again."
    )
    return (
        header(target, config, purpose)
        + "\n"
        + _create_empty(target, name, query)
        + f"\nDELETE FROM {target.table(name)}\nWHERE {_changes(config, target, settings, index, table, None)};\n"
        + f"\nINSERT INTO {target.table(name)}\n"
        + enrich_query(config, target, table, rows=_changes(config, target, settings, index, table, "s"))
        + ";\n"
    )


def master_incremental(config: UnifyConfig, target: Target, spec: MasterTableSpec) -> str:
    """A master table: the rows of every canonical id a reached component had or has, deleted; the
    reached components' rows computed again.

    A component's canonical id is computed from its leader, and the leader of every component a
    reached identifier was in (in any run since this table was written) is itself a reached
    identifier. So the ids an affected identifier would have as a leader hold every id to delete,
    computed from ``<p>_affected`` alone (no scan of the lookup)."""
    p = config.canonical_id.name
    names = table_names(config)
    lookup, table = target.table(names.lookup), target.table(spec.name)
    reached = (
        f"SELECT l.canonical_id FROM {lookup} l\n  JOIN (\n    {_reached(target, config, 'a.id, a.ns')}\n  ) r "
        "ON r.id = l.id AND r.ns = l.id_key_type"
    )
    as_leader = canonical_id_sql("a.id", "a.ns", len(config.canonical_id.merge_by_keys))
    query = master_query(
        config,
        target,
        spec,
        ctes=(f"reached AS (\n  {reached}\n)",),
        ids=f"SELECT canonical_id FROM reached\n  UNION\n  SELECT canonical_id FROM {lookup} WHERE {_full(target, config)}",
        rows=f"\n    AND {p} IN (SELECT canonical_id FROM ids)",
    )
    purpose = (
        f"Incremental: master table {spec.name}; only the canonical ids of the components this run\n"
        "-- reached are deleted and computed again."
    )
    return (
        header(target, config, purpose)
        + "\n"
        + _create_empty(target, spec.name, master_query(config, target, spec))
        + f"\nDELETE FROM {table}\nWHERE {_full(target, config)}\n  OR {p} IN ({_reached(target, config, as_leader)});\n"
        + f"\nINSERT INTO {table}\n{query};\n"
    )
