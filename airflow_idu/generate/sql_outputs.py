"""Files 10-32: enriched source tables, master tables and small metadata tables.

All of them commit through `<table>_tmp` + DROP + RENAME (see sqltext.commit_via_tmp).
"""

from __future__ import annotations

from airflow_idu.generate.config import AttributeSpec, MasterTableSpec, TableSpec, UnifyConfig
from airflow_idu.generate.sqltext import (
    Target,
    best_key_sql,
    canonical_id_sql,
    col,
    commit_via_tmp,
    header,
    merged_columns,
    string_array,
    string_literal,
    table_names,
)

__all__ = [
    "column_lookup",
    "enrich",
    "enrich_columns_query",
    "enrich_query",
    "filter_lookup",
    "master",
    "master_query",
    "unification_metadata",
]


def enrich_query(config: UnifyConfig, target: Target, table: TableSpec, *, rows: str | None = None) -> str:
    """Every row of the source table (alias ``s``) with the canonical id of its best (first valid) key;
    or the rows of ``rows``, a FROM item over the source's columns aliased ``s`` (chosen before the
    join, so the lookup is probed by those rows only)."""
    p = config.canonical_id.name
    best_id, best_ns = best_key_sql(merged_columns(config, table), alias="s")
    fallback = canonical_id_sql(best_id, best_ns, len(config.canonical_id.merge_by_keys))
    source = f"{target.source(table)} s" if rows is None else rows
    return (
        f"SELECT s.*,\n"
        f"  -- a key not in the lookup yet (new rows) gets the id it would lead\n"
        f"  COALESCE(l.canonical_id, {fallback}) AS {p}\n"
        f"FROM {source}\n"
        f"LEFT JOIN {target.table(table_names(config).lookup)} l\n"
        f"  ON l.id = {best_id}\n  AND l.id_key_type = {best_ns}"
    )


def enrich_columns_query(config: UnifyConfig, target: Target, table: TableSpec) -> str:
    """The columns ``enrich_query`` gives (the source's and a STRING canonical id), without its lookup
    join to plan: for creating the table empty."""
    return f"SELECT s.*, CAST(NULL AS STRING) AS {config.canonical_id.name} FROM {target.source(table)} s"


def enrich(config: UnifyConfig, target: Target, table: TableSpec) -> str:
    """`enriched_<t>`: every source row plus the canonical id of its best (first valid) key."""
    return (
        header(target, config, f"Source table {table.table} with its canonical id.")
        + "\n"
        + commit_via_tmp(target, f"enriched_{table.table}", enrich_query(config, target, table))
    )


def master_query(
    config: UnifyConfig,
    target: Target,
    spec: MasterTableSpec,
    *,
    ctes: tuple[str, ...] = (),
    ids: str | None = None,
) -> str:
    """One row per canonical id of ``ids`` (a query of ``canonical_id``; default: every one of the
    lookup); ``ctes`` come first, for ``ids`` to read. With ``ids``, each enriched table is read
    once, for the rows of those ids (``rows_<table>``), and every attribute reads those rows."""
    p = config.canonical_id.name
    tables = list(dict.fromkeys(src.table for a in spec.attributes for src in a.source_columns))
    if ids is None:
        ids = f"SELECT DISTINCT canonical_id FROM {target.table(table_names(config).lookup)}"
        sources = {t: target.table(f"enriched_{t}") for t in tables}
        ctes = (*ctes, f"ids AS (\n  {ids}\n)")
    else:
        sources = {t: f"rows_{t}" for t in tables}
        ctes = (
            *ctes,
            f"ids AS (\n  {ids}\n)",
            *(
                f"rows_{t} AS (\n  SELECT * FROM {target.table(f'enriched_{t}')}\n"
                f"  WHERE {p} IN (SELECT canonical_id FROM ids)\n)"
                for t in tables
            ),
        )
    for i, attribute in enumerate(spec.attributes, start=1):
        ctes = (*ctes, *_attribute_ctes(config, attribute, f"a{i}", sources))
    columns = ",\n  ".join(
        [f"ids.canonical_id AS {p}"]
        + [f"a{i}.value AS {a.name}" for i, a in enumerate(spec.attributes, start=1)]
    )
    joins = "\n".join(
        f"LEFT JOIN a{i} ON a{i}.canonical_id = ids.canonical_id" for i in range(1, len(spec.attributes) + 1)
    )
    return "WITH\n" + ",\n".join(ctes) + f"\nSELECT\n  {columns}\nFROM ids\n{joins}"


def master(config: UnifyConfig, target: Target, spec: MasterTableSpec) -> str:
    """One row per canonical id; each attribute picked by priority, then recency, then value."""
    query = master_query(config, target, spec)
    return (
        header(target, config, f"Master table {spec.name}.") + "\n" + commit_via_tmp(target, spec.name, query)
    )


def _attribute_ctes(
    config: UnifyConfig, attribute: AttributeSpec, name: str, source_of: dict[str, str]
) -> list[str]:
    p = config.canonical_id.name
    sources = []
    for src in attribute.source_columns:
        latest = col(src.order_by) if src.order == "last" else "NULL"
        earliest = col(src.order_by) if src.order == "first" else "NULL"
        sources.append(
            f"  SELECT {p} AS canonical_id, {col(src.column)} AS value, {src.priority} AS priority,\n"
            f"    {latest} AS latest_key, {earliest} AS earliest_key\n"
            f"  FROM {source_of[src.table]}\n"
            f"  WHERE {p} IS NOT NULL AND {col(src.column)} IS NOT NULL"
        )
    # rank = priority first, then recency in the column's direction, then the value itself
    # so ties are broken the same way on every engine.
    ranked = (
        f"{name}_ranked AS (\n  SELECT canonical_id, value, ROW_NUMBER() OVER (\n"
        "    PARTITION BY canonical_id\n"
        "    ORDER BY priority, latest_key DESC NULLS LAST, earliest_key ASC NULLS LAST, value) AS rn\n"
        "  FROM (\n" + "\n  UNION ALL\n".join(sources) + "\n  )\n)"
    )
    comment = f"  -- {attribute.name}"
    if attribute.array_elements is None:
        pick = f"{name} AS (\n{comment}\n  SELECT canonical_id, value FROM {name}_ranked WHERE rn = 1\n)"
        return [ranked, pick]
    # array: distinct values in the order of their best occurrence, first N of them (best_rn is unique
    # per canonical_id; value as a tie-breaker lets the translator prove row_number sees no ties)
    pick = (
        f"{name} AS (\n{comment}\n"
        "  SELECT canonical_id, transform(array_sort(collect_list(struct(pos, value))), x -> x.value) AS value\n"
        "  FROM (\n"
        "    SELECT canonical_id, value, ROW_NUMBER() OVER (PARTITION BY canonical_id ORDER BY best_rn, value) AS pos\n"
        f"    FROM (SELECT canonical_id, value, MIN(rn) AS best_rn FROM {name}_ranked GROUP BY canonical_id, value)\n"
        f"  )\n  WHERE pos <= {attribute.array_elements}\n  GROUP BY canonical_id\n)"
    )
    return [ranked, pick]


def unification_metadata(config: UnifyConfig, target: Target) -> str:
    cid = config.canonical_id
    query = (
        f"SELECT {string_literal(cid.name)} AS canonical_id_name,\n"
        f"  {string_literal(config.name)} AS unification_name,\n"
        f"  {string_array(list(cid.merge_by_keys))} AS merge_by_keys,\n"
        f"  CAST({cid.merge_iterations} AS BIGINT) AS merge_iterations,\n"
        f"  CAST({len(config.tables)} AS BIGINT) AS source_table_count,\n"
        f"  {string_literal(target.table(table_names(config).lookup))} AS lookup_table"
    )
    return (
        header(target, config, "Unification metadata.")
        + "\n"
        + commit_via_tmp(target, "unification_metadata", query)
    )


def filter_lookup(config: UnifyConfig, target: Target) -> str:
    """Validation rules per key; key_type is NULL for keys that do not take part in the merge."""
    merge_by = config.canonical_id.merge_by_keys
    rows = []
    for key in config.keys:
        ns = (
            f"CAST({merge_by.index(key.name) + 1} AS BIGINT)"
            if key.name in merge_by
            else "CAST(NULL AS BIGINT)"
        )
        regexp = string_literal(key.valid_regexp) if key.valid_regexp is not None else "CAST(NULL AS STRING)"
        rows.append(
            f"SELECT {string_literal(key.name)} AS key_name, {ns} AS key_type,\n"
            f"  {regexp} AS valid_regexp, {string_array(key.invalid_texts)} AS invalid_texts"
        )
    return (
        header(target, config, "Key validation rules.")
        + "\n"
        + commit_via_tmp(target, "filter_lookup", "\nUNION ALL\n".join(rows))
    )


def column_lookup(config: UnifyConfig, target: Target) -> str:
    """Which source column feeds which key."""
    merge_by = config.canonical_id.merge_by_keys
    rows = []
    for i, table in enumerate(config.tables, start=1):
        for kc in table.key_columns:
            ns = (
                f"CAST({merge_by.index(kc.key) + 1} AS BIGINT)"
                if kc.key in merge_by
                else "CAST(NULL AS BIGINT)"
            )
            rows.append(
                f"SELECT CAST({i} AS BIGINT) AS table_id, {string_literal(target.source(table))} AS source_table,\n"
                f"  {string_literal(table.table)} AS table_name, {string_literal(kc.column)} AS column_name,\n"
                f"  {string_literal(kc.key)} AS key_name, {ns} AS key_type"
            )
    return (
        header(target, config, "Source columns and the keys they feed.")
        + "\n"
        + commit_via_tmp(target, "column_lookup", "\nUNION ALL\n".join(rows))
    )
