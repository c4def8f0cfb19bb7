"""INSERT of a value whose type differs from the column's: local Spark (ANSI store assignment) against
the embedded engine (DuckDB's implicit cast).

The ``known`` cases are differences found at stop 44 and not fixed yet (strict xfail: each fails
today, and the suite fails once one of them is fixed, so the mark must then go). The controls are
pairs both sides already agree on: they show the comparison itself works.
"""

from __future__ import annotations

import itertools
from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.merge import rollback
from airflow_idu.engines.duckdb.translate import translate_statement

pytestmark = pytest.mark.spark

_KNOWN = pytest.mark.xfail(
    strict=True,
    reason="store assignment differs (stop 44's closing note): Spark truncates or refuses, DuckDB rounds or casts",
)
_names = itertools.count()

# (column type, value written)
CASES = [
    pytest.param("BIGINT", "'5'", id="string-into-bigint", marks=_KNOWN),  # Spark: CANNOT_SAFELY_CAST
    pytest.param("BIGINT", "1.7D", id="double-into-bigint", marks=_KNOWN),  # Spark 1, DuckDB 2
    pytest.param("INT", "2.5", id="decimal-into-int", marks=_KNOWN),  # Spark 2, DuckDB 3
    pytest.param("INT", "true", id="boolean-into-int", marks=_KNOWN),  # Spark: CANNOT_SAFELY_CAST
    pytest.param("BOOLEAN", "7", id="number-into-boolean", marks=_KNOWN),  # Spark: CANNOT_SAFELY_CAST
    pytest.param("STRING", "1e20D", id="double-into-string", marks=_KNOWN),  # '1.0E20' against '1e+20'
    pytest.param("DECIMAL(5,1)", "1.25", id="decimal-rounded"),
    pytest.param("BIGINT", "7", id="int-into-bigint"),
    pytest.param("INT", "3000000000", id="int-overflow"),  # fails on both
    pytest.param("TIMESTAMP", "DATE'2024-03-05'", id="date-into-timestamp"),
    pytest.param("STRING", "1.5D", id="double-into-string-plain"),
]


def _spark(spark: Any, column: str, value: str) -> str:
    table = f"store_{next(_names)}"
    try:
        spark.sql(f"CREATE TABLE {table} (a {column}) USING parquet")
        spark.sql(f"INSERT INTO {table} SELECT {value}")
        return repr(spark.sql(f"SELECT CAST(a AS STRING) FROM {table}").collect()[0][0])
    except Exception:  # the outcome compared is "it failed"
        return "error"
    finally:
        spark.sql(f"DROP TABLE IF EXISTS {table}")


def _engine(con: duckdb.DuckDBPyConnection, column: str, value: str) -> str:
    table = f"store_{next(_names)}"
    try:
        for statement in (f"CREATE TABLE {table} (a {column})", f"INSERT INTO {table} SELECT {value}"):
            translation = translate_statement(statement)
            for sql in translation.statements:
                con.execute(sql)
        (last,) = translate_statement(f"SELECT CAST(a AS STRING) FROM {table}").statements[-1:]
        return repr(con.execute(last).fetchall()[0][0])
    except duckdb.Error:
        rollback(con)
        return "error"
    finally:
        con.execute(f"DROP TABLE IF EXISTS {table}")


@pytest.mark.parametrize(("column", "value"), CASES)
def test_insert_writes_what_spark_writes(
    spark: Any, con: duckdb.DuckDBPyConnection, column: str, value: str
) -> None:
    assert _engine(con, column, value) == _spark(spark, column, value)
