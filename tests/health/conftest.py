"""Health fixtures: demo data unified by running the example SQL directly (no Airflow), and an engine on it."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import networkx as nx
import pytest

from airflow_idu.demo.data import create_demo_data
from airflow_idu.engines.duckdb import DuckDBEngine
from airflow_idu.health import HealthTables
from tests.conftest import EXAMPLE_SQL, EXAMPLE_YML
from tests.generate.sqlrun import duckdb_adapter, run_directory
from tests.ground_truth import load_identifier_graph

MERGE_BY_KEYS = ["email", "customer_id", "phone_number"]
NS = {name: i for i, name in enumerate(MERGE_BY_KEYS, start=1)}
TABLES = HealthTables(prefix="unified_customer_id", catalog="idu_demo", schema="unified")


@dataclass(frozen=True)
class Unified:
    database: Path
    conn_id: str
    graph: nx.Graph  # ground truth: identifier graph of the source rows
    junk_people: int

    def engine(self) -> DuckDBEngine:
        return DuckDBEngine(self.conn_id, catalog="idu_demo", schema="unified")


def unify_directly(database: Path, sql_dir: Path = EXAMPLE_SQL) -> None:
    """Run a SQL directory (the example's by default) to completion on the DuckDB file (the loop
    driver of tests/generate)."""
    from airflow_idu.engines.duckdb.translate import COMPAT_MACROS

    with duckdb.connect(str(database)) as con:
        for macro in COMPAT_MACROS:
            con.execute(macro)
        run_directory(sql_dir, *duckdb_adapter(con))


def _unified(tmp: Path, name: str, *, people: int, seed: int, junk: float) -> Iterator[Unified]:
    database = tmp / f"{name}.duckdb"
    create_demo_data(database, schema="customer_db", people=people, seed=seed, junk_phone_share=junk)
    unify_directly(database)
    conn_id = f"idu_health_{name}"
    env = f"AIRFLOW_CONN_{conn_id.upper()}"
    os.environ[env] = json.dumps({"conn_type": "duckdb", "host": str(database)})
    with duckdb.connect(str(database), read_only=True) as con:
        (junk_people,) = con.execute(
            "SELECT COUNT(*) FROM customer_db.support_tickets WHERE contact_phone = '5550000000'"
        ).fetchone()
    graph = load_identifier_graph(database, EXAMPLE_YML, source_schema="customer_db")
    yield Unified(database=database, conn_id=conn_id, graph=graph, junk_people=int(junk_people))
    os.environ.pop(env, None)


@pytest.fixture(scope="session")
def junk_unified(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Unified]:
    """1,000 demo people, 1% of them sharing the junk phone; unified without Airflow."""
    yield from _unified(tmp_path_factory.mktemp("health"), "junk", people=1000, seed=3, junk=0.01)
