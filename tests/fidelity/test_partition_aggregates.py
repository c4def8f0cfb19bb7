"""Whole-partition window aggregates, rewritten as a GROUP BY joined back
(spark_compat/partition_aggregates.py), on local Spark and on the embedded engine: the same rows,
NULL partition keys, WHERE, DISTINCT/ORDER BY/LIMIT, structs and several partitions included."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.translate import translate_statement
from tests.engines.test_partition_aggregates import REWRITTEN, ROWS
from tests.fidelity.values import all_equal, norm

pytestmark = pytest.mark.spark


def _sorted(rows: list[Any]) -> list[list[Any]]:
    return sorted((norm(list(r)) for r in rows), key=repr)


@pytest.mark.parametrize("statement", list(REWRITTEN.values()), ids=list(REWRITTEN))
def test_rewritten_windows_give_sparks_rows(
    spark: Any, engine: duckdb.DuckDBPyConnection, statement: str
) -> None:
    spark.createDataFrame(ROWS, "g STRING, k INT, v STRING, n BIGINT").createOrReplaceTempView("t")
    expected = _sorted(spark.sql(statement).collect())
    engine.execute("CREATE OR REPLACE TABLE t (g VARCHAR, k INTEGER, v VARCHAR, n BIGINT)")
    engine.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", ROWS)
    sql = translate_statement(statement).statements[-1]
    assert "idu_pa1_s AS MATERIALIZED" in sql  # the rewrite is what runs
    got = _sorted(engine.execute(sql).fetchall())
    assert expected, "the data reaches the form"
    assert len(got) == len(expected)
    assert all_equal(got, expected)[0], (got, expected)
