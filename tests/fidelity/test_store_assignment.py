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

_SELECT = "INSERT INTO {t} SELECT {v}"
_ELEMENT, _FIELDS, _KEY = (
    "CAST(a[0] AS STRING)",
    "concat_ws('|', CAST(a.x AS STRING), a.y)",
    "CAST(a['k'] AS STRING)",
)


def _case(
    column: str, value: str, expected: str, id: str, form: str = _SELECT, read: str = "CAST(a AS STRING)"
) -> Any:
    """``form`` writes ``value`` into table ``{t}``'s one column ``a``; ``read`` reads it back as a string."""
    return pytest.param(column, value, expected, form, read, id=id)


# (column type, value written, what the engine does: "same" as Spark, or "refused"); "same"
# includes failing as Spark fails
CASES = [
    _case("BIGINT", "'5'", "same", "string-into-bigint"),  # both fail: CANNOT_SAFELY_CAST
    _case("BIGINT", "1.7D", "refused", "double-into-bigint"),  # Spark truncates, DuckDB rounds
    _case("INT", "2.5", "refused", "decimal-into-int"),
    _case("INT", "true", "same", "boolean-into-int"),
    _case("BOOLEAN", "7", "same", "number-into-boolean"),
    _case("BINARY", "'x'", "same", "string-into-binary"),
    _case("STRING", "1e20D", "refused", "double-into-string"),  # '1.0E20' against '1e+20'
    _case("BIGINT", "CAST(1.7D AS BIGINT)", "same", "cast-as-advised"),
    _case("DECIMAL(5,1)", "1.25", "same", "decimal-rounded"),
    _case("BIGINT", "7", "same", "int-into-bigint"),
    _case("INT", "3000000000", "same", "int-overflow"),  # both fail
    _case("TIMESTAMP", "DATE'2024-03-05'", "same", "date-into-timestamp"),
    _case("STRING", "7", "same", "int-into-string"),
    _case("DOUBLE", "CAST(2.5 AS FLOAT)", "same", "float-into-double"),
    # every form of INSERT is checked, not only INSERT ... SELECT
    _case("BIGINT", "1.7D", "refused", "by-name", form="INSERT INTO {t} BY NAME SELECT {v} AS a"),
    _case("BIGINT", "'5'", "same", "by-name-string", form="INSERT INTO {t} BY NAME SELECT {v} AS a"),
    _case("BIGINT", "7", "same", "by-name-int", form="INSERT INTO {t} BY NAME SELECT {v} AS a"),
    _case(
        "BIGINT",
        "1.7D",
        "refused",
        "cte-first",
        form="WITH q AS (SELECT {v} AS a) INSERT INTO {t} SELECT a FROM q",
    ),
    _case(
        "BIGINT",
        "7",
        "same",
        "cte-first-int",
        form="WITH q AS (SELECT {v} AS a) INSERT INTO {t} SELECT a FROM q",
    ),
    _case("BIGINT", "1.7D", "refused", "values", form="INSERT INTO {t} VALUES ({v})"),
    _case("BIGINT", "'5'", "same", "values-string", form="INSERT INTO {t} (a) VALUES ({v})"),
    _case("BIGINT", "1.7D", "refused", "overwrite", form="INSERT OVERWRITE {t} SELECT {v}"),
    # nested types, field by field (Spark's store assignment recurses into them)
    _case("ARRAY<BIGINT>", "array(1.7D)", "refused", "array-of-doubles", read=_ELEMENT),
    _case("ARRAY<BIGINT>", "array('5')", "same", "array-of-strings", read=_ELEMENT),
    _case("ARRAY<BIGINT>", "array(5)", "same", "array-of-ints", read=_ELEMENT),
    _case("ARRAY<STRING>", "array(7)", "same", "array-of-ints-into-strings", read=_ELEMENT),
    _case("STRING", "array(1)", "same", "array-into-string"),
    _case("STRUCT<x: BIGINT, y: STRING>", "named_struct('x', 1, 'y', 'a')", "same", "struct", read=_FIELDS),
    _case(
        "STRUCT<x: BIGINT, y: STRING>",
        "named_struct('y', 'a', 'x', 1)",
        "refused",
        "struct-reordered",
        read=_FIELDS,
    ),
    _case(
        "STRUCT<x: BIGINT, y: STRING>",
        "named_struct('x', 1.7D, 'y', 'a')",
        "refused",
        "struct-double-field",
        read=_FIELDS,
    ),
    _case("MAP<STRING, BIGINT>", "map('k', 1.5D)", "refused", "map-of-doubles", read=_KEY),
    _case("MAP<STRING, BIGINT>", "map('k', 2)", "same", "map-of-ints", read=_KEY),
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBEngine]:
    db = tmp_path_factory.mktemp("store") / "store.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW_CONN_IDU_STORE", json.dumps({"conn_type": "duckdb", "host": str(db)}))
        eng = DuckDBEngine("idu_store")
        yield eng
        eng.close()


def _spark(spark: Any, column: str, value: str, form: str, read: str) -> str:
    table = f"store_{next(_names)}"
    try:
        spark.sql(f"CREATE TABLE {table} (a {column}) USING parquet")
        spark.sql(form.format(t=table, v=value))
        return repr(spark.sql(f"SELECT {read} FROM {table}").collect()[0][0])
    except Exception as err:  # the outcome compared is "it failed", and whether as Spark's store assignment
        return _failure(err)
    finally:
        spark.sql(f"DROP TABLE IF EXISTS {table}")


def _engine(engine: DuckDBEngine, column: str, value: str, form: str, read: str) -> str:
    table = f"store_{next(_names)}"
    try:
        engine.run_script(f"CREATE TABLE {table} (a {column})", label="create")
        engine.run_script(form.format(t=table, v=value), label="insert")
        return repr(engine.query(f"SELECT {read} FROM {table}")[0][0])
    except Exception as err:  # the outcome compared is "it failed", or how
        return "refused" if "[IDU_REFUSED]" in str(err) else _failure(err)
    finally:
        engine.run_script(f"DROP TABLE IF EXISTS {table}", label="drop")


def _failure(err: Exception) -> str:
    return "error: CANNOT_SAFELY_CAST" if "CANNOT_SAFELY_CAST" in str(err) else "error"


@pytest.mark.parametrize(("column", "value", "expected", "form", "read"), CASES)
def test_insert_writes_what_spark_writes_or_refuses(
    spark: Any, engine: DuckDBEngine, column: str, value: str, expected: str, form: str, read: str
) -> None:
    spark_outcome = _spark(spark, column, value, form, read)
    engine_outcome = _engine(engine, column, value, form, read)
    assert engine_outcome == (spark_outcome if expected == "same" else "refused"), spark_outcome
