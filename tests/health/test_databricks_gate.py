"""The gate on the Databricks path: the real ``DatabricksSqlHook`` with only the driver replaced
(tests/fake_databricks.py answers from DuckDB through the same translation)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pendulum
import pytest

from airflow_idu.demo.data import JUNK_PHONE, create_demo_data
from airflow_idu.engines.translate import translate_statement
from airflow_idu.plan import first_line
from tests import fake_databricks
from tests.conftest import EXAMPLE_SQL
from tests.e2e.runner import dag_from_file, run_dag
from tests.fake_databricks import Recorder

pytestmark = pytest.mark.e2e

LOOKUP = "idu_demo.unified.unified_customer_id_lookup"
DAG_SOURCE = f"""
from airflow_idu import create_unification_dag
dag = create_unification_dag(
    "idu_health_databricks", {str(EXAMPLE_SQL)!r}, conn_id="idu_health_dbx", default_args={{"retries": 0}}
)
"""
_CLONE = re.compile(r"CREATE OR REPLACE TABLE (\S+) SHALLOW CLONE (\S+)$", re.I)


def _translate_with_clone(statement: str):  # type: ignore[no-untyped-def]
    """The warehouse side of a Delta shallow clone, emulated on DuckDB as a copy."""
    clone = _CLONE.fullmatch(statement.strip())
    if clone:
        statement = f"CREATE OR REPLACE TABLE {clone.group(1)} AS SELECT * FROM {clone.group(2)}"
    return translate_statement(statement)


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Recorder:
    database = tmp_path / "warehouse.duckdb"
    create_demo_data(database, schema="customer_db", people=300, seed=5, junk_phone_share=0.05)
    monkeypatch.setenv(
        "AIRFLOW_CONN_IDU_HEALTH_DBX",
        json.dumps(
            {
                "conn_type": "databricks",
                "host": "dbc-fake.cloud.databricks.com",
                "password": "dapiFAKE",
                "extra": {"http_path": "/sql/1.0/warehouses/fake"},
            }
        ),
    )
    rec = Recorder(database=str(database))
    from airflow.providers.databricks.hooks import databricks_sql

    monkeypatch.setattr(databricks_sql.sql, "connect", rec.connect)
    monkeypatch.setattr(fake_databricks, "translate_statement", _translate_with_clone)
    return rec


def lookup_rows(database: str) -> list[tuple]:
    with duckdb.connect(database, read_only=True) as con:
        return sorted(
            con.execute(
                "SELECT canonical_id, id, id_key_type FROM unified.unified_customer_id_lookup"
            ).fetchall()
        )


def test_gate_refuses_and_restores_through_the_databricks_hook(airflow_db: Path, recorder: Recorder) -> None:
    first = run_dag(
        dag_from_file("idu_health_databricks", DAG_SOURCE),
        logical_date=pendulum.datetime(2026, 4, 1, tz="UTC"),
    )
    assert first.state == "success", first.failed()
    published = lookup_rows(recorder.database)
    sent_before = len(recorder.statements)

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

    sent = recorder.statements[sent_before:]
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
    assert lookup_rows(recorder.database) == published
