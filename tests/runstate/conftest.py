"""Run-state fixtures: a DuckDB file, the example directory unified on it directly, an engine on it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from airflow_idu.engines.duckdb import DuckDBEngine
from airflow_idu.plan.contract import TableNames
from airflow_idu.runstate.persistent_ids import PERSISTENT_ID_COLUMN
from tests.health.conftest import unify_directly
from tests.runstate.checks import Day, node
from tests.runstate.days import DailyCase

TABLES = TableNames(prefix="unified_customer_id", catalog="idu_demo", schema="unified")
RAW = TableNames(prefix="unified_customer_id", schema="unified")  # as a plain DuckDB connection names them


@pytest.fixture
def open_engine(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], DuckDBEngine]:
    def engine(database: Path) -> DuckDBEngine:
        monkeypatch.setenv(
            "AIRFLOW_CONN_IDU_RUNSTATE", json.dumps({"conn_type": "duckdb", "host": str(database)})
        )
        return DuckDBEngine("idu_runstate", catalog="idu_demo", schema="unified")

    return engine


def unify(case: DailyCase, day: int, sql_dir: Path | None = None):
    """Deliver ``day`` and run a full refresh of ``sql_dir`` (the example directory by default)."""
    graph = case.deliver(day)
    if sql_dir is None:
        unify_directly(case.database)
    else:
        unify_directly(case.database, sql_dir)
    return graph


def read_day(database: Path, graph, run_id: str) -> Day:
    """What run ``run_id`` left: the lookup's persistent ids, the committed map, its change rows."""
    with duckdb.connect(str(database), read_only=True) as con:
        ids = con.execute(f"SELECT id, id_key_type, {PERSISTENT_ID_COLUMN} FROM {RAW.lookup}").fetchall()
        seen = con.execute(
            f"SELECT DISTINCT persistent_id, persistent_id_first_seen_at FROM {RAW.id_map}"
        ).fetchall()
        changes = con.execute(
            f"SELECT id, id_key_type, old_id, new_id, reason FROM {RAW.id_changes} WHERE run_id = ?",
            [run_id],
        ).fetchall()
    return Day(
        graph=graph,
        ids={node(i, int(k)): pid for i, k, pid in ids},
        first_seen=dict(seen),
        changes={node(i, int(k)): (old, new, reason) for i, k, old, new, reason in changes},
    )
