"""Run an incremental-capable directory without Airflow, through the product's engine and steps, and
compare it with a full rebuild of the default directory over the same source rows."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb import DuckDBEngine
from airflow_idu.generate.config import load_unify_config
from airflow_idu.generate.sql import generate_sql_directory
from airflow_idu.loop.runner import LoopRunner
from airflow_idu.plan import Phase, read_plan
from airflow_idu.plan.contract import TableNames
from airflow_idu.runstate.incremental_steps import RunWindow, commit_incremental, prepare_incremental
from bench.incremental_cost import differences as table_differences
from tests.conftest import EXAMPLE_YML
from tests.generate.sqlrun import duckdb_adapter, run_directory
from tests.incremental.case import BRIDGE_DAY, IncrementalCase

TABLES = TableNames(prefix="unified_customer_id", catalog="idu_demo", schema="unified")
RAW = TableNames(prefix="unified_customer_id", schema="unified")
CONN_ID = "idu_incremental"
# Tables a full rebuild and an incremental run both write; compared row for row.
OUTPUTS = (
    "unified_customer_id_lookup",
    "unified_customer_id_graph",
    "unified_customer_id_keys",
    "unified_customer_id_tables",
    "unified_customer_id_source_key_stats",
    "unified_customer_id_result_key_stats",
    "enriched_customer_profiles",
    "enriched_web_sessions",
    "enriched_orders",
    "enriched_support_tickets",
    "customer_master",
    "unification_metadata",
    "filter_lookup",
    "column_lookup",
)


class InjectedFailure(RuntimeError):
    """A late task failed (raised by the driver after the master phase, before the commit)."""


def generate(out: Path, *, incremental: bool) -> Path:
    generate_sql_directory(
        load_unify_config(EXAMPLE_YML),
        catalog="idu_demo",
        schema="unified",
        out_dir=out,
        incremental=incremental,
    )
    return out


@contextmanager
def engine_on(database: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DuckDBEngine]:
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps({"conn_type": "duckdb", "host": str(database)})
    )
    engine = DuckDBEngine(CONN_ID, catalog="idu_demo", schema="unified")
    try:
        yield engine
    finally:
        engine.close()


def run_incremental(
    engine: DuckDBEngine, sql_dir: Path, run_id: str, *, full_refresh: bool = False, fail_late: bool = False
) -> RunWindow:
    """prepare, every file in plan order (the loop to convergence), commit; ``fail_late`` raises
    after the master phase, as a failed late task would, so the commit never runs."""
    plan = read_plan(sql_dir)
    window = prepare_incremental(engine, TABLES, sql_dir, run_id=run_id, full_refresh=full_refresh)
    for phase in plan.phases:
        if phase.phase is Phase.LOOP:
            _loop(engine, plan.loop)
            continue
        if fail_late and phase.phase is Phase.METADATA:
            raise InjectedFailure(f"run {run_id}: injected failure before the metadata phase")
        for f in phase.files:
            engine.run_script(f.path.read_text(encoding="utf-8"), label=f.path.name)
    commit_incremental(engine, TABLES, run_id=run_id)
    return window


def _loop(engine: DuckDBEngine, loop) -> None:
    """The product's loop driver, to convergence (at most 30 iterations)."""
    runner = LoopRunner(engine, loop, "driver", resume=False)
    while not runner.converged:
        runner.check_limit()
        runner.step()
    runner.finish()


def rebuild(database: Path, reference: Path, sql_dir: Path) -> None:
    """``reference``: the source tables of ``database`` unified from scratch by the default directory."""
    reference.unlink(missing_ok=True)
    with duckdb.connect(str(reference)) as con:
        from airflow_idu.engines.duckdb.translate import COMPAT_MACROS

        con.execute(f"ATTACH '{database}' AS inc (READ_ONLY)")
        con.execute("CREATE SCHEMA customer_db")
        for (table,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'inc' AND schema_name = 'customer_db'"
        ).fetchall():
            con.execute(f"CREATE TABLE customer_db.{table} AS SELECT * FROM inc.customer_db.{table}")
        con.execute("DETACH inc")
        for macro in COMPAT_MACROS:
            con.execute(macro)
        run_directory(sql_dir, *duckdb_adapter(con))


def differences(database: Path, reference: Path, *, tables: tuple[str, ...] = OUTPUTS) -> dict[str, int]:
    """Per table, the rows in one and not the other (multiset), where any (the benchmark's comparison)."""
    return table_differences(database, reference, tables)


def watermarks(database: Path) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(
            f"SELECT source_table, watermark, digest, committed_run_id FROM {RAW.run_state} ORDER BY 1"
        ).fetchall()


def copy(database: Path, to: Path) -> Path:
    shutil.copyfile(database, to)
    return to


@dataclass(frozen=True, kw_only=True)
class BridgeDayState:
    """Day 1 committed by a DAG run, the bridge day delivered: what each fault case starts from."""

    committed: list[tuple]  # the watermarks after day 1
    snapshot: Path  # the database with that state, copied back before each case
    reference: Path  # a full rebuild of the default directory over the same rows


def bridge_day_state(case: IncrementalCase, dag: Any, start: Any, tmp_path: Path) -> BridgeDayState:
    """Run ``dag`` over day 1 at ``start``, deliver the bridge day, and keep that state and its rebuild."""
    from tests.e2e.runner import run_dag

    case.deliver(1)
    assert run_dag(dag, logical_date=start).failed() == {}
    committed = watermarks(case.database)
    case.deliver(BRIDGE_DAY)
    snapshot = copy(case.database, tmp_path / "snapshot.duckdb")
    reference = tmp_path / "ref.duckdb"
    rebuild(snapshot, reference, generate(tmp_path / "full", incremental=False))
    return BridgeDayState(committed=committed, snapshot=snapshot, reference=reference)
