"""An aggregate over one table ``t(g, v)`` on the embedded engine and on local Spark with each
partitioning: Spark's answer may depend on how its partitions merge, the engine's may not."""

from __future__ import annotations

from typing import Any

import duckdb

from airflow_idu.engines.duckdb.translate import translate_statement
from tests.fidelity.values import norm

__all__ = ["PARTITIONS", "both"]

PARTITIONS = (1, 4)  # one partition, and four: Spark's merge order changes


def both(spark: Any, con: duckdb.DuckDBPyConnection, kind: str, rows: list[tuple[int, Any]], sql: str) -> Any:
    """``sql`` (Spark SQL over t(g, v)) on DuckDB and on Spark with each partitioning: DuckDB's rows, or
    its error; and Spark's rows per partitioning."""
    con.execute(f"CREATE OR REPLACE TABLE t (g INTEGER, v {kind.replace('STRING', 'VARCHAR')})")
    con.executemany("INSERT INTO t VALUES (?, ?)", rows)
    frame = spark.createDataFrame(rows, f"g INT, v {kind}")
    spark_rows = {}
    for parts in PARTITIONS:
        (frame.coalesce(1) if parts == 1 else frame.repartition(parts)).createOrReplaceTempView("t")
        spark_rows[parts] = [tuple(norm(x) for x in r) for r in spark.sql(sql).collect()]
    try:
        mine: Any = [
            tuple(norm(x) for x in r) for r in con.execute(translate_statement(sql).statements[-1]).fetchall()
        ]
    except duckdb.Error as exc:
        mine = str(exc)
    return mine, spark_rows
