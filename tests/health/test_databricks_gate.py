"""The gate on the Databricks path: the real ``DatabricksSqlHook`` and ``databricks-sql-connector``
over Thrift, against a local warehouse of this suite's own (its source data plants a junk phone)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pendulum
import pytest

from airflow_idu.demo.data import JUNK_PHONE, create_demo_data
from airflow_idu.plan import first_line
from airflow_idu.warehouse.core import Warehouse
from airflow_idu.warehouse.faults import Auth
from airflow_idu.warehouse.server import WarehouseServer
from tests.conftest import EXAMPLE_SQL
from tests.e2e.runner import dag_from_file, run_dag

pytestmark = pytest.mark.e2e

LOOKUP = "idu_demo.unified.unified_customer_id_lookup"
TOKEN = "dapiHEALTHgate0123456789"
DAG_SOURCE = f"""
from airflow_idu import create_unification_dag
dag = create_unification_dag(
    "idu_health_databricks", {str(EXAMPLE_SQL)!r}, conn_id="idu_health_dbx", default_args={{"retries": 0}}
)
"""


@dataclass
class JunkWarehouse:
    warehouse: Warehouse
    database: str

    def statements(self, since: int = 0) -> list[str]:
        return [h.sql for h in self.warehouse.history[since:]]


@pytest.fixture
def junk_warehouse(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[JunkWarehouse]:
    database = tmp_path / "warehouse.duckdb"
    create_demo_data(database, schema="customer_db", people=300, seed=5, junk_phone_share=0.05)
    warehouse = Warehouse(database)
    server = WarehouseServer(warehouse, auth=Auth(token=TOKEN)).start()
    monkeypatch.setenv("AIRFLOW_CONN_IDU_HEALTH_DBX", json.dumps(server.connection()))
    try:
        yield JunkWarehouse(warehouse=warehouse, database=str(database))
    finally:
        server.stop()
        warehouse.close()


def lookup_rows(wh: JunkWarehouse) -> list[tuple]:
    # Read through the warehouse's own connection: the file stays open in the server.
    statement = wh.warehouse.execute(
        "SELECT canonical_id, id, id_key_type FROM idu_demo.unified.unified_customer_id_lookup"
    )
    assert statement.result is not None, statement.error
    return sorted(statement.result.rows)


def test_gate_refuses_and_restores_through_the_databricks_hook(
    airflow_db: Path, junk_warehouse: JunkWarehouse
) -> None:
    first = run_dag(
        dag_from_file("idu_health_databricks", DAG_SOURCE),
        logical_date=pendulum.datetime(2026, 4, 1, tz="UTC"),
    )
    assert first.state == "success", first.failed()
    published = lookup_rows(junk_warehouse)
    sent_before = len(junk_warehouse.warehouse.history)

    refused = run_dag(
        dag_from_file("idu_health_databricks", DAG_SOURCE),
        logical_date=pendulum.datetime(2026, 4, 2, tz="UTC"),
        conf={"max_cluster_size": 20},
    )
    assert refused.state == "failed"
    assert refused.task_states["gate.identity_health"] == "failed"
    assert refused.task_states["enrichment.10_enrich_orders"] == "upstream_failed"
    health = refused.xcom("gate.identity_health", key="health")
    assert health["passed"] is False
    assert health["largest_clusters"][0]["top_values"][0]["value"] == JUNK_PHONE
    assert health["churn"]["identifiers_changed"] == 0  # same input as the published run

    sent = [s.strip() for s in junk_warehouse.statements(sent_before)]
    # On Databricks the previous lookup is a shallow clone, taken before canonicalize replaced the lookup.
    clone = f"CREATE OR REPLACE TABLE {LOOKUP}_previous SHALLOW CLONE {LOOKUP}"
    assert clone in sent
    canonicalize = next(
        i
        for i, s in enumerate(sent)
        if first_line(s).startswith(f"CREATE OR REPLACE TABLE {LOOKUP} USING DELTA AS")
    )
    assert sent.index(clone) < canonicalize
    assert f"CREATE OR REPLACE TABLE {LOOKUP} AS SELECT * FROM {LOOKUP}_previous" in sent
    assert lookup_rows(junk_warehouse) == published
