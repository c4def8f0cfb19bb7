"""max_by / min_by on local Spark and on the embedded engine (spark_compat/by_ties.py): Spark's NULL
semantics (a NULL value at the extreme returned, rows with a NULL ordering value skipped), struct
ordering values with NULL fields, and ties: where the rows at the extreme ordering value share their
value, or a struct tie-breaker decides, the engine gives Spark's values; where they differ, Spark's own
answer changes with the order its input arrives in and the engine refuses when run."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.translate import translate_statement

pytestmark = pytest.mark.spark

Row = tuple[Any, ...]
_SCHEMA = "g STRING, k INT, v STRING, n INT"
_NULLS = [("a", 1, "x", 0), ("a", 2, None, 0), ("a", None, "z", 0), ("b", None, "p", 0), ("c", 3, "q", 0)]
_IDENTICAL = [("a", 2, "x", 0), ("a", 2, "x", 1), ("a", 0, "w", 0), ("a", 0, "w", 2), ("c", 5, None, 0),
              ("c", 5, None, 1), ("d", 1, "y", 0)]  # fmt: skip
# ties at both extremes that differ in v (group a: values, group b: NULL against a value)
_DIFFER = [("a", 2, "x", 0), ("a", 2, "y", 1), ("a", 1, "u", 0), ("a", 1, "w", 1), ("b", 3, None, 0),
           ("b", 3, "p", 1), ("b", 0, "r", 0), ("b", 0, None, 1)]  # fmt: skip

_BOTH = "SELECT g, max_by(v, k) AS hi, min_by(v, k) AS lo FROM t GROUP BY g"
# Spark orders a struct's NULL field first (DuckDB's struct comparison: last)
_NULL_FIELDS = [("a", 1, "x", None), ("a", 1, "y", 0), ("b", 2, "p", None), ("b", 1, "q", 5)]
ACCEPTED = {
    "struct-tie-breaker": ("SELECT g, max_by(v, struct(k, v)), min_by(v, named_struct('a', k, 'b', v)) FROM t "
                           "GROUP BY g", _DIFFER),
    "value-grouped": ("SELECT g, max_by(g, k), min_by(k, k) FROM t GROUP BY g", _DIFFER),
    "array-key": ("SELECT g, max_by(v, array(k, n)), min_by(v, array(k, n)) FROM t GROUP BY g", _DIFFER),
    "struct-null-field": ("SELECT g, max_by(v, struct(k, n)), min_by(v, struct(k, n)) FROM t GROUP BY g",
                          _NULL_FIELDS),
}  # fmt: skip
_WINDOW = "SELECT g, k, v, max_by(v, k) OVER (PARTITION BY g ORDER BY k) AS w FROM t"


def _sorted(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=repr)


def _spark(spark: Any, rows: list[Row], sql: str) -> list[Row]:
    """Spark's rows, its input in one partition in the order given (so tied rows arrive in that order)."""
    spark.createDataFrame(rows, _SCHEMA).coalesce(1).createOrReplaceTempView("t")
    return _sorted([tuple(r) for r in spark.sql(sql).collect()])


def _engine(engine: duckdb.DuckDBPyConnection, rows: list[Row], sql: str) -> list[Row]:
    engine.execute("CREATE OR REPLACE TABLE t (g VARCHAR, k INTEGER, v VARCHAR, n INTEGER)")
    engine.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", rows)
    return _sorted(engine.execute(translate_statement(sql).statements[-1]).fetchall())


@pytest.mark.parametrize("rows", [_NULLS, _IDENTICAL], ids=["nulls-no-ties", "identical-ties"])
@pytest.mark.parametrize("sql", [_BOTH, _WINDOW], ids=["aggregate", "window"])
def test_matches_spark_where_tied_rows_share_the_value(
    spark: Any, engine: duckdb.DuckDBPyConnection, rows: list[Row], sql: str
) -> None:
    expected = _spark(spark, rows, sql)
    assert _engine(engine, rows, sql) == expected
    assert expected == _spark(spark, rows[::-1], sql)  # and Spark's answer does not depend on the order


@pytest.mark.parametrize(("sql", "rows"), list(ACCEPTED.values()), ids=list(ACCEPTED))
def test_tie_breakers_and_struct_keys_match_spark(
    spark: Any, engine: duckdb.DuckDBPyConnection, sql: str, rows: list[Row]
) -> None:
    expected = _spark(spark, rows, sql)
    assert expected == _spark(spark, rows[::-1], sql)
    assert _engine(engine, rows, sql) == expected


@pytest.mark.parametrize("sql", [_BOTH, _WINDOW], ids=["aggregate", "window"])
def test_differing_ties_change_sparks_answer_and_are_refused(
    spark: Any, engine: duckdb.DuckDBPyConnection, sql: str
) -> None:
    forward, backward = _spark(spark, _DIFFER, sql), _spark(spark, _DIFFER[::-1], sql)
    assert forward != backward
    with pytest.raises(duckdb.Error, match=r"\[IDU_REFUSED\] m(ax|in)_by\(v, k\) over rows that tie"):
        _engine(engine, _DIFFER, sql)


def test_array_ordering_value_with_a_null_inside_is_refused(
    spark: Any, engine: duckdb.DuckDBPyConnection
) -> None:
    # Spark orders [1, NULL] below [1, 0] (DuckDB's sort keys: above): Spark's answer is y
    sql = "SELECT max_by(v, array(k, n)) FROM t"
    assert _spark(spark, _NULL_FIELDS[:2], sql) == [("y",)]
    with pytest.raises(
        duckdb.Error, match=r"\[IDU_REFUSED\] max_by\(v, ARRAY\(k, n\)\): an ordering value with a NULL"
    ):
        _engine(engine, _NULL_FIELDS[:2], sql)
