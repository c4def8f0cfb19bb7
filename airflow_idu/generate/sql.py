"""Generate the Databricks SQL directory for a unify.yml (see docs/sql-directory-contract.md).

Output is deterministic: the same config and target produce byte-identical files.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

from airflow_idu.generate import (
    sql_graph,
    sql_incremental,
    sql_incremental_outputs,
    sql_incremental_stats,
    sql_loop,
    sql_loop_full,
    sql_outputs,
)
from airflow_idu.generate.config import IncrementalConfig, UnifyConfig
from airflow_idu.generate.sqltext import Target
from airflow_idu.plan.contract import INCREMENTAL_MARKER

__all__ = ["LoopAlgorithm", "generate_sql_directory", "render_sql_files"]


class LoopAlgorithm(StrEnum):
    """Which unify loop the directory gets."""

    # sql_loop_full.py: every iteration rewrites the whole graph (`generate --loop full`; kept as the
    # reference the incremental loop is compared with, docs/benchmarks.md sections 8 and 13)
    FULL = "full"
    # sql_loop.py: recomputes only around changed labels (the default: identical tables, never slower)
    INCREMENTAL = "incremental"


def _iteration_files(config: UnifyConfig, target: Target, loop: LoopAlgorithm) -> dict[str, str]:
    if loop is LoopAlgorithm.FULL:
        count = config.canonical_id.merge_iterations
        render = sql_loop_full.loop_iteration
    else:
        # iteration 1 differs from the rest: at least one file of the repeating kind
        # for later iterations to be derived from
        count = max(2, config.canonical_id.merge_iterations)
        render = sql_loop.loop_iteration
    return {f"04_unify_loop_iteration_{k:02d}.sql": render(config, target, k) for k in range(1, count + 1)}


# Files we generate; stale ones (e.g. iteration files beyond a lowered merge_iterations)
# are removed so the runner never executes an outdated file.
_GENERATED_NAME = re.compile(r"\d\d_[A-Za-z0-9_]+\.sql")


def render_sql_files(
    config: UnifyConfig,
    *,
    catalog: str,
    schema: str,
    source_catalog: str | None = None,
    source_schema: str | None = None,
    loop: LoopAlgorithm = LoopAlgorithm.INCREMENTAL,
    incremental: bool = False,
) -> dict[str, str]:
    """File name -> text, in execution order (SQL files, then the incremental marker if any).

    The directory is incremental-capable when ``incremental`` is set or the config has an
    ``incremental:`` section (its settings, else the defaults).
    """
    target = Target(
        catalog=catalog, schema=schema, source_catalog=source_catalog or catalog, source_schema=source_schema
    )
    settings = config.incremental or (IncrementalConfig() if incremental else None)
    files = {
        "01_create_graph.sql": sql_graph.create_graph(config, target),
        "02_extract_merge.sql": sql_graph.extract_merge(config, target)
        if settings is None
        else sql_incremental.extract_merge_incremental(config, target, settings),
        "03_source_key_stats.sql": sql_graph.source_key_stats(config, target)
        if settings is None
        else sql_incremental_stats.source_key_stats_incremental(config, target, settings),
    }
    files.update(_iteration_files(config, target, loop))
    files["05_canonicalize.sql"] = (
        sql_graph.canonicalize(config, target)
        if settings is None
        else sql_incremental.canonicalize_incremental(config, target)
    )
    files["06_result_key_stats.sql"] = (
        sql_graph.result_key_stats(config, target)
        if settings is None
        else sql_incremental_stats.result_key_stats_incremental(config, target)
    )
    for index, table in enumerate(config.tables, start=1):
        files[f"10_enrich_{table.table}.sql"] = (
            sql_outputs.enrich(config, target, table)
            if settings is None
            else sql_incremental_outputs.enrich_incremental(config, target, settings, index, table)
        )
    for spec in config.master_tables:
        files[f"20_master_{spec.name}.sql"] = (
            sql_outputs.master(config, target, spec)
            if settings is None
            else sql_incremental_outputs.master_incremental(config, target, settings, spec)
        )
    files["30_unification_metadata.sql"] = sql_outputs.unification_metadata(config, target)
    files["31_filter_lookup.sql"] = sql_outputs.filter_lookup(config, target)
    files["32_column_lookup.sql"] = sql_outputs.column_lookup(config, target)
    if settings is not None:
        files[INCREMENTAL_MARKER] = sql_incremental.incremental_marker(config, target, settings)
    return files


def generate_sql_directory(
    config: UnifyConfig,
    *,
    catalog: str,
    schema: str,
    source_catalog: str | None = None,
    source_schema: str | None = None,
    out_dir: str | Path,
    loop: LoopAlgorithm = LoopAlgorithm.INCREMENTAL,
    incremental: bool = False,
) -> list[Path]:
    """Write the SQL directory; returns the written paths in execution order.

    ``source_catalog`` defaults to ``catalog``; ``source_schema`` to each table's ``database``.
    """
    for name, value in (
        ("catalog", catalog),
        ("schema", schema),
        ("source_catalog", source_catalog),
        ("source_schema", source_schema),
    ):
        if value is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
            raise ValueError(f"{name}: {value!r} is not a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]*)")
    files = render_sql_files(
        config,
        catalog=catalog,
        schema=schema,
        source_catalog=source_catalog,
        source_schema=source_schema,
        loop=loop,
        incremental=incremental,
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for stale in sorted(out.glob("*.sql")):
        if _GENERATED_NAME.fullmatch(stale.name) and stale.name not in files:
            stale.unlink()
    marker = out / INCREMENTAL_MARKER
    if INCREMENTAL_MARKER not in files and marker.is_file():
        marker.unlink()  # a stale marker would make the directory claim incremental runs
    written = []
    for name, text in files.items():
        path = out / name
        path.write_bytes(text.encode("utf-8"))  # bytes: no platform newline translation
        written.append(path)
    return written
