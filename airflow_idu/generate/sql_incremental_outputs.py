"""Enrichment and master tables of an incremental-capable directory: only the rows a run can change.

An enriched row is a source row with the canonical id of its best key. It changes only when the row
is new (in this run's window) or its component's canonical id moved (the component merged into one
with another leader, or a new identifier leads it). So each enrich file deletes and enriches again
the window's rows, then re-labels older rows in place with a MERGE from the moved ids' pairs
(``<p>_move_pairs``: ``<p>_moves``, which canonicalize adds to and the commit clears, joined with
the lookup once a run). A master row is a function of the
enriched rows of one canonical id: the rows of the ids of the window's enriched rows and of the
moved ids (old and new) are deleted and the ones still in use computed again. Every other row stays
as the last run left it (docs/incremental-runs.md, "Why the result is exact"). On a full refresh
every row is deleted and inserted.

Each statement reads the sources, the lookup, ``<p>_move_pairs`` and ``<p>_run_window``;
``<p>_moves`` holds every move since the last commit, so a retry (of the task, or of a failed run,
whose window is a superset) repeats the work exactly. The first run creates the tables empty.
"""

from __future__ import annotations

from airflow_idu.generate.config import IncrementalConfig, MasterTableSpec, TableSpec, UnifyConfig
from airflow_idu.generate.sql_outputs import enrich_columns_query, enrich_query, master_query
from airflow_idu.generate.sql_window import window_predicate, window_rows
from airflow_idu.generate.sqltext import (
    Target,
    col,
    header,
    table_names,
)
from airflow_idu.plan.contract import TableNames

__all__ = ["enrich_incremental", "master_incremental", "move_pairs_sql"]


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


def move_pairs_sql(tables: TableNames) -> str:
    """``<p>_move_pairs``: (old id, new id) of every canonical id that moved since the last commit
    (``<p>_moves``), the lookup's id now of an identifier that was in the old id's component. Links
    are only added between full refreshes, so a component only grows or merges: every row of an old
    id belongs to one component now, the one holding that identifier. None on a full refresh (every
    row is new). Written once a run (canonicalize; the persistent-ids stage again when it replaces
    the lookup's ids), so the enrich and master files do not each join the lookup. ``tables`` are
    qualified as the statement needs them (the generator's target, or the task's schema)."""
    return (
        f"CREATE OR REPLACE TABLE {tables.move_pairs} USING DELTA AS\n"
        f"SELECT v.old_id, MIN(l.canonical_id) AS new_id FROM {tables.moves} v\n"
        f"  JOIN {tables.lookup} l ON l.id = v.id AND l.id_key_type = v.id_key_type\n"
        f"  JOIN {tables.run_window} w ON w.source_table_id = 1 AND NOT w.full_refresh\n"
        "  WHERE l.canonical_id <> v.old_id\n"
        "  GROUP BY v.old_id"
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
    window, time = target.table(table_names(config).run_window), settings.time_column_of(table)
    rows = window_rows(target.source(table), col(time, "s"), window, index)
    return (
        header(target, config, purpose)
        + "\n"
        + _create_empty(target, f"enriched_{table.table}", enrich_columns_query(config, target, table))
        # the same rows of the enriched copy (it has the source's columns) are deleted first
        + f"\nDELETE FROM {name}\nWHERE {window_predicate(col(time), window, index)};\n"
        + f"\nINSERT INTO {name}\n"
        + enrich_query(config, target, table, rows=rows)
        + ";\n"
        + f"\nMERGE INTO {name} e\nUSING {target.table(table_names(config).move_pairs)} m\nON e.{p} = m.old_id\n"
        + f"WHEN MATCHED THEN UPDATE SET {p} = m.new_id;\n"
    )


def _changed_ids(config: UnifyConfig, target: Target, settings: IncrementalConfig) -> str:
    """The canonical ids a master file deletes, each with ``in_use``: the ids of the enriched rows in
    this run's window (new rows, or rows enriched again) and the new ids of moved ids are computed
    again; the old ids are only deleted. Every other id's enriched rows are as the last run left
    them. On a full refresh: every id of the lookup."""
    p = config.canonical_id.name
    window = target.table(table_names(config).run_window)
    # every table, not only the master's sources: a new component needs its row (NULL attributes too);
    # none on a full refresh, which computes every id of the lookup
    windowed = [
        f"SELECT s.{p} AS canonical_id FROM "
        + window_rows(
            target.table(f"enriched_{t.table}"),
            col(settings.time_column_of(t), "s"),
            window,
            index,
            incremental_only=True,
        )
        for index, t in enumerate(config.tables, start=1)
    ]
    pairs = target.table(table_names(config).move_pairs)
    computed = "\nUNION\n".join([*windowed, f"SELECT new_id FROM {pairs}"])
    full, lookup = _full(target, config), target.table(table_names(config).lookup)
    return (
        # the windowed reads are empty on a full refresh, and so is <p>_move_pairs
        f"SELECT canonical_id, TRUE AS in_use FROM (\n{computed}\n) AS changed\n"
        "WHERE canonical_id IS NOT NULL\n"
        f"UNION\nSELECT old_id AS canonical_id, FALSE AS in_use FROM {pairs}\n"
        f"UNION\nSELECT canonical_id, TRUE AS in_use FROM {lookup} WHERE {full}"
    )


def master_incremental(
    config: UnifyConfig, target: Target, settings: IncrementalConfig, spec: MasterTableSpec
) -> str:
    """A master table: the rows of every canonical id whose enriched rows changed, deleted and
    computed again from those rows (on a full refresh: every row). The ids are written to a table
    first: the DELETE and the INSERT then read it, and an engine that plans the INSERT knows how
    few they are (DuckDB then filters each enriched table's scan by them, instead of building a hash
    table of every enriched row; Spark inlines a repeated CTE, so it would compute them twice)."""
    names = table_names(config)
    p = config.canonical_id.name
    table = target.table(spec.name)
    ids_table = target.table(names.master_ids(spec.name))
    full = _full(target, config)
    # the table alone: a union with the lookup's ids would make the engine expect millions of ids
    query = master_query(config, target, spec, ids=f"SELECT canonical_id FROM {ids_table} WHERE in_use")
    purpose = (
        f"Incremental: master table {spec.name}; only the canonical ids whose enriched rows changed\n"
        "-- (this run's window, moved ids) are deleted and computed again."
    )
    return (
        header(target, config, purpose)
        + "\n"
        + _create_empty(target, spec.name, master_query(config, target, spec))
        + f"\nCREATE OR REPLACE TABLE {ids_table} USING DELTA AS\n{_changed_ids(config, target, settings)};\n"
        + f"\nDELETE FROM {table}\nWHERE {full}\n  OR {p} IN (SELECT canonical_id FROM {ids_table});\n"
        + f"\nINSERT INTO {table}\n{query};\n"
    )
