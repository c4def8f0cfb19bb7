"""Identity-health SQL is Databricks SQL: on local Spark it gives the answers it gives on DuckDB.

Hand-made tables (two people joined by a shared phone, one singleton, a previous lookup that
had them apart) are written by the same Databricks statements on both engines; cluster health,
churn and explain then run through an Engine adapter over Spark and through the DuckDB engine.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airflow_idu.engines.base import EngineKind, StatementStats, fetch_rows, run_statements
from airflow_idu.engines.duckdb import DuckDBEngine
from airflow_idu.health import HealthTables
from airflow_idu.health.churn import churn
from airflow_idu.health.explain import explain
from airflow_idu.health.measure import ClusterOptions, measure_clusters
from tests.spark.test_faithful import spark_statements

pytestmark = pytest.mark.spark

T = HealthTables(prefix="uid", catalog="idu_demo", schema="unified")
SETUP = f"""
CREATE OR REPLACE TABLE {T.source_graph} AS SELECT * FROM VALUES
  ('e1', 1, 'e1', 1, 10, 20, array(1, 4), 20), ('c1', 2, 'e1', 1, 10, 10, array(1), 10),
  ('J', 3, 'e1', 1, 20, 20, array(4), 20), ('e2', 1, 'e2', 1, 30, 40, array(1, 4), 40),
  ('c2', 2, 'e2', 1, 30, 30, array(1), 30), ('J', 3, 'e2', 1, 40, 40, array(4), 40),
  ('e3', 1, 'e3', 1, 50, 50, array(2), 50)
  AS v(follower_id, follower_ns, leader_id, leader_ns, follower_first_seen_at, follower_last_seen_at,
       follower_source_table_ids, follower_last_processed_at);
CREATE OR REPLACE TABLE {T.qualify("uid_graph")} AS SELECT * FROM VALUES
  ('e1', 1, 'e1', 1), ('c1', 2, 'e1', 1), ('J', 3, 'e1', 1), ('e2', 1, 'e1', 1), ('c2', 2, 'e1', 1), ('e3', 1, 'e3', 1)
  AS v(follower_id, follower_ns, leader_id, leader_ns);
CREATE OR REPLACE TABLE {T.lookup} AS SELECT * FROM VALUES
  ('P', 'e1', 1), ('P', 'c1', 2), ('P', 'J', 3), ('P', 'e2', 1), ('P', 'c2', 2), ('R', 'e3', 1)
  AS v(canonical_id, id, id_key_type);
CREATE OR REPLACE TABLE {T.lookup_previous} AS SELECT * FROM VALUES
  ('P', 'e1', 1), ('P', 'c1', 2), ('P', 'J', 3), ('Q', 'e2', 1), ('Q', 'c2', 2), ('R', 'e3', 1)
  AS v(canonical_id, id, id_key_type);
CREATE OR REPLACE TABLE {T.keys} AS SELECT * FROM VALUES ('email', 1), ('customer_id', 2), ('phone_number', 3)
  AS v(key_name, key_type);
CREATE OR REPLACE TABLE {T.source_tables} AS SELECT * FROM VALUES (1, 'profiles'), (2, 'sessions'), (4, 'tickets')
  AS v(table_id, table_name)
"""


class SparkEngine:
    """The Engine protocol over a local SparkSession (Delta/Unity Catalog syntax adapted as in test_faithful)."""

    kind = EngineKind.DUCKDB  # not a Databricks warehouse: no Delta clone here

    def __init__(self, session: Any) -> None:
        self.session = session

    def run_script(self, sql: str, *, label: str) -> list[StatementStats]:
        def execute(statement: str) -> tuple[int | None, str | None, str | None]:
            for adapted in spark_statements(statement):
                self.session.sql(adapted).collect()
            return None, None, None

        return run_statements(sql, label=label, execute=execute)

    def query(self, sql: str, *, label: str = "query") -> list[tuple[Any, ...]]:
        def fetch(text: str) -> list[tuple[Any, ...]]:
            *setup, last = spark_statements(text)
            for statement in setup:
                self.session.sql(statement).collect()
            return [tuple(r) for r in self.session.sql(last).collect()]

        return fetch_rows(sql, label=label, fetch=fetch)

    def scalar(self, sql: str, *, label: str = "query") -> Any:
        rows = self.query(sql, label=label)
        return rows[0][0] if rows else None

    def close(self) -> None: ...

    def cancel(self) -> None: ...


@pytest.fixture
def spark_unified(spark: Any) -> Any:
    """The run's one Spark session (tests/spark_session.py), with the target schema."""
    spark.sql("CREATE DATABASE IF NOT EXISTS unified")
    return spark


def _answers(engine: Any) -> dict[str, Any]:
    engine.run_script(SETUP, label="setup")
    return {
        "clusters": measure_clusters(engine, T, ClusterOptions(largest=3, shared_min_leaders=1)),
        "churn": churn(engine, T),
        "pair": explain(engine, T, "email:e2", "customer_id:c1"),
        "one": explain(engine, T, "J"),
        "apart": explain(engine, T, "e3", "e1"),
    }


def test_health_sql_answers_the_same_on_spark_and_duckdb(
    spark_unified: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_IDU_HEALTH_SPARK",
        json.dumps({"conn_type": "duckdb", "host": str(tmp_path / "h.duckdb")}),
    )
    duck = DuckDBEngine("idu_health_spark", catalog="idu_demo", schema="unified")
    try:
        duck.run_script("CREATE SCHEMA IF NOT EXISTS unified", label="setup")
        expected = _answers(duck)
    finally:
        duck.close()
    actual = _answers(SparkEngine(spark_unified))
    assert actual == expected

    giant = actual["clusters"]["largest_clusters"][0]
    assert giant["size"] == 5
    assert {"key_type": "phone_number", "value": "J", "records": 2} in giant["top_values"]
    assert actual["clusters"]["shared_values"] == [{"key_type": "phone_number", "value": "J", "leaders": 2}]
    assert actual["churn"]["clusters_merged"] == 1 and actual["churn"]["identifiers_changed"] == 2
    hops = [(link["from"]["value"], link["to"]["value"]) for link in actual["pair"]["links"]]
    assert hops == [("e2", "J"), ("J", "e1"), ("e1", "c1")]
    assert actual["pair"]["links"][0]["source_tables"] == ["tickets"]
    assert [b["value"] for b in actual["one"]["bridges"]][:1] == ["J"]
    assert actual["apart"]["connected"] is False
