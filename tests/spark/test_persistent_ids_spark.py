"""Persistent-id SQL is Databricks SQL: on local Spark it writes the tables it writes on DuckDB.

Four hand-made runs (first run; a merge with a first-seen tie; a split whose smaller part's own
canonical id was given before, so it gets the salted hash; a removal and a new identifier) are
staged and committed through the Spark Engine adapter and through the DuckDB engine; the state,
the change log and the lookup must be identical.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from airflow_idu.engines.duckdb import DuckDBEngine
from airflow_idu.plan import split_statements
from airflow_idu.plan.contract import TableNames
from airflow_idu.runstate import PersistentIdMode
from airflow_idu.runstate.steps import commit_persistent_ids, stage_persistent_ids
from tests.spark.test_health_spark import SparkEngine

pytestmark = pytest.mark.spark

T = TableNames(prefix="pid", catalog="idu_demo", schema="unified")
RUNS = [
    ("r1", "('X','x',50), ('Y','y',40), ('Z','z',40), ('A','a1',10), ('A','a2',20), ('A','a3',30)"),
    ("r2", "('X','x',50), ('X','y',40), ('X','z',40), ('A','a1',10), ('A','a2',20), ('A','a3',30)"),
    ("r3", "('X','x',50), ('X','y',40), ('X','z',40), ('A','a1',10), ('B','a2',20), ('B','a3',30)"),
    ("r4", "('X','x',50), ('X','y',40), ('A','a1',10), ('B','a2',20), ('B','a3',30), ('B','a0',5)"),
]


_DELETE = re.compile(r"\s*DELETE FROM (\S+) WHERE (.*)", re.S)


class DeletingSparkEngine(SparkEngine):
    """Local Spark's tables (no Delta) have no DELETE: it becomes keep-the-rest, drop, rename."""

    def run_script(self, sql: str, *, label: str) -> list[Any]:
        stats: list[Any] = []
        for statement in split_statements(sql):
            match = _DELETE.fullmatch(statement)
            if match:
                table, condition = match.groups()
                statement = (
                    f"CREATE TABLE {table}_kept AS SELECT * FROM {table} WHERE NOT COALESCE({condition}, false);\n"
                    f"DROP TABLE {table};\nALTER TABLE {table}_kept RENAME TO {table}"
                )
            stats += super().run_script(statement, label=label)
        return stats


def _runs(engine: Any) -> list[tuple[Any, ...]]:
    answers: list[tuple[Any, ...]] = []
    for run_id, rows in RUNS:
        engine.run_script(
            f"CREATE OR REPLACE TABLE {T.lookup} AS SELECT canonical_id, id, CAST(1 AS BIGINT) AS id_key_type, "
            f"CAST(seen AS BIGINT) AS id_first_seen_at FROM VALUES {rows} AS v(canonical_id, id, seen)",
            label="lookup",
        )
        stage_persistent_ids(engine, T, run_id=run_id, mode=PersistentIdMode.BESIDE)
        commit_persistent_ids(engine, T, run_id=run_id)
        answers.append(
            tuple(
                sorted(engine.query(f"SELECT * FROM {table}"), key=repr)
                for table in (T.id_map, T.id_changes, T.lookup)
            )
        )
    return answers


def test_persistent_ids_are_the_same_on_spark_and_duckdb(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_IDU_PID_SPARK", json.dumps({"conn_type": "duckdb", "host": str(tmp_path / "p.duckdb")})
    )
    duck = DuckDBEngine("idu_pid_spark", catalog="idu_demo", schema="unified")
    try:
        duck.run_script("CREATE SCHEMA IF NOT EXISTS unified", label="setup")
        expected = _runs(duck)
    finally:
        duck.close()
    spark.sql("CREATE DATABASE IF NOT EXISTS unified")
    for table in (T.id_map, T.id_changes, T.id_map_staging, T.lookup, f"{T.id_changes}_kept"):
        spark.sql(f"DROP TABLE IF EXISTS unified.{table.rsplit('.', 1)[1]}")
    actual = _runs(DeletingSparkEngine(spark))
    assert actual == expected
    final_map = {row[0]: row[2] for row in actual[-1][0]}
    assert final_map["y"] == "Y" and final_map["x"] == "Y"  # merge: first-seen tie, smaller id
    assert (
        final_map["a2"] == "A" and final_map["a1"] not in ("A", "B") and len(final_map["a1"]) == 12
    )  # salted
    assert {row[5] for row in actual[-1][1]} == {"new", "merged", "split", "removed"}
