"""INSERT of a value whose type differs from the column's: local Spark (ANSI store assignment) against
the embedded engine (engines/duckdb/store_assignment.py). The engine writes what Spark writes, fails
where Spark fails, or refuses with ``[IDU_REFUSED]`` naming the CAST that gives Spark's value; never
a different value."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_idu.engines.duckdb.engine import DuckDBEngine

pytestmark = pytest.mark.spark

_names = itertools.count()

# (column type, value written, what the engine does: "same" as Spark, or "refused")
CASES = [
    pytest.param("BIGINT", "'5'", "same", id="string-into-bigint"),  # both fail: CANNOT_SAFELY_CAST
    pytest.param("BIGINT", "1.7D", "refused", id="double-into-bigint"),  # Spark truncates, DuckDB rounds
    pytest.param("INT", "2.5", "refused", id="decimal-into-int"),
    pytest.param("INT", "true", "same", id="boolean-into-int"),
    pytest.param("BOOLEAN", "7", "same", id="number-into-boolean"),
    pytest.param("BINARY", "'x'", "same", id="string-into-binary"),
    pytest.param("STRING", "1e20D", "refused", id="double-into-string"),  # '1.0E20' against '1e+20'
    pytest.param("BIGINT", "CAST(1.7D AS BIGINT)", "same", id="cast-as-advised"),
    pytest.param("DECIMAL(5,1)", "1.25", "same", id="decimal-rounded"),
    pytest.param("BIGINT", "7", "same", id="int-into-bigint"),
    pytest.param("INT", "3000000000", "same", id="int-overflow"),  # both fail
    pytest.param("TIMESTAMP", "DATE'2024-03-05'", "same", id="date-into-timestamp"),
    pytest.param("STRING", "7", "same", id="int-into-string"),
    pytest.param("DOUBLE", "CAST(2.5 AS FLOAT)", "same", id="float-into-double"),
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBEngine]:
    db = tmp_path_factory.mktemp("store") / "store.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW_CONN_IDU_STORE", json.dumps({"conn_type": "duckdb", "host": str(db)}))
        eng = DuckDBEngine("idu_store")
        yield eng
        eng.close()


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


def _engine(engine: DuckDBEngine, column: str, value: str) -> str:
    table = f"store_{next(_names)}"
    try:
        engine.run_script(
            f"CREATE TABLE {table} (a {column}); INSERT INTO {table} SELECT {value}", label="insert"
        )
        return repr(engine.query(f"SELECT CAST(a AS STRING) FROM {table}")[0][0])
    except Exception as err:  # the outcome compared is "it failed", or how
        return "refused" if "[IDU_REFUSED]" in str(err) else "error"
    finally:
        engine.run_script(f"DROP TABLE IF EXISTS {table}", label="drop")


@pytest.mark.parametrize(("column", "value", "expected"), CASES)
def test_insert_writes_what_spark_writes_or_refuses(
    spark: Any, engine: DuckDBEngine, column: str, value: str, expected: str
) -> None:
    spark_outcome = _spark(spark, column, value)
    assert spark_outcome != "refused"
    assert _engine(engine, column, value) == (spark_outcome if expected == "same" else "refused")
