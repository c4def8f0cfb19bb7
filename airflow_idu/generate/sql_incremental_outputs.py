"""Enrichment and master tables of an incremental-capable directory: only the rows a run can change.

An enriched row is a source row with the canonical id of its best key. It changes only when the row
is new (in this run's window) or its component's canonical id moved (the component merged into one
with another leader, or a new identifier leads it). So each enrich file deletes and enriches again
the window's rows, then re-labels older rows in place with a MERGE on the old id (``_moved``). A
master row is a function of the enriched rows of one canonical id: the rows of every id a reached
component had or has are deleted and the reached components' rows computed again. Every other row
stays as the last run left it (docs/incremental-runs.md, "Why the result is exact"). On a full
refresh every row is deleted and inserted.

Each statement reads the sources, the lookup, ``<p>_affected`` and ``<p>_run_window``, and a MERGE
moves a row only from an id that no longer exists, so a retry (of the task, or of a failed run,
whose window and reached components are a superset) repeats the work exactly. The first run creates
the tables empty.
"""

from __future__ import annotations

from airflow_idu.generate.config import IncrementalConfig, MasterTableSpec, TableSpec, UnifyConfig
from airflow_idu.generate.sql_outputs import enrich_query, master_query
from airflow_idu.generate.sqltext import (
    Target,
    best_key_sql,
    canonical_id_sql,
    col,
    header,
    merged_columns,
    table_names,
)

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


def _in_window(
    config: UnifyConfig,
    target: Target,
    settings: IncrementalConfig,
    index: int,
    table: TableSpec,
    alias: str | None,
) -> str:
    """Every row on a full refresh, else the rows of the source table (or of its enriched copy: the
    same columns) in this run's window; the same condition chooses the rows deleted and inserted."""
    window = target.table(table_names(config).run_window)
    time = col(settings.time_column_of(table), alias)
    since = f"(SELECT MAX(since) FROM {window} WHERE source_table_id = {index})"
    return f"{_full(target, config)}\n  OR CAST({time} AS BIGINT) > {since}"


def _moved(config: UnifyConfig, target: Target, table: TableSpec) -> str:
    """(old id, new id) for every canonical id enriched rows carry that the lookup no longer has.

    Links are only added between full refreshes, so a component only grows or merges: an id that is
    still in the lookup is still its rows' id (its leader still leads them), and all rows of an id
    that is gone moved to one new component. One row per gone id is enough to find it: its best key's
    id in the lookup. Only the rows that carry a gone id are looked up, and the condition reads the
    table's state, not this run's inputs, so an interrupted run's successor finishes the job."""
    p = config.canonical_id.name
    lookup = target.table(table_names(config).lookup)
    best_id, best_ns = best_key_sql(merged_columns(config, table), alias="s")
    return (
        f"SELECT s.{p} AS old_id, MIN(l.canonical_id) AS new_id\n"
        f"  FROM {target.table(f'enriched_{table.table}')} s\n"
        f"  JOIN {lookup} l ON l.id = {best_id} AND l.id_key_type = {best_ns}\n"
        f"  WHERE s.{p} NOT IN (SELECT canonical_id FROM {lookup})\n"
        f"  GROUP BY s.{p}"
    )


def enrich_incremental(
    config: UnifyConfig, target: Target, settings: IncrementalConfig, index: int, table: TableSpec
) -> str:
    """``enriched_<t>``: the window's rows enriched again, older rows whose canonical id moved
    re-labelled in place (a MERGE on the id, so running it twice changes nothing more)."""
    p = config.canonical_id.name
    name = target.table(f"enriched_{table.table}")
    purpose = (
        f"Incremental: source table {table.table} with its canonical id; the rows in this run's window\n"
        "-- are enriched again, older rows get the new id where their component's id moved."
    )
    window = _in_window(config, target, settings, index, table, None)
    return (
        header(target, config, purpose)
        + "\n"
        + _create_empty(target, f"enriched_{table.table}", enrich_query(config, target, table))
        + f"\nDELETE FROM {name}\nWHERE {window};\n"
        + f"\nINSERT INTO {name}\n"
        + enrich_query(config, target, table, rows=_in_window(config, target, settings, index, table, "s"))
        + ";\n"
        + f"\nMERGE INTO {name} e\nUSING (\n  {_moved(config, target, table)}\n) m\nON e.{p} = m.old_id\n"
        + f"WHEN MATCHED THEN UPDATE SET {p} = m.new_id;\n"
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
