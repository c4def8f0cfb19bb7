"""counter_diff and time_bucket on local Spark and on the embedded engine, over edge inputs: counters
with resets, NULLs, repeats, NaN, infinities and start-time restarts in several series; timestamps
around the epoch, before 1900 and after 2100, microseconds, bucket sizes from 1.5 seconds to 7 days
and origins after the timestamp. One query per function on each side."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.macros import install_macros
from airflow_idu.engines.duckdb.translate import translate_statement

pytestmark = pytest.mark.spark

_NAN, _INF = math.nan, math.inf
_T0 = datetime(2026, 1, 1)
# (series, minute, counter, DOUBLE counter, start-time minute)
_COUNTERS = [
    ("a", 0, 100, 1.5, 0), ("a", 1, 200, 2.5, 0), ("a", 2, None, None, 0), ("a", 3, 150, 2.5, 0),
    ("a", 4, 150, _NAN, 0), ("a", 5, 400, 3.0, 2), ("a", 6, 400, _INF, 2), ("a", 7, 2**62, _INF, 2),
    ("b", 0, 0, 0.0, 0), ("b", 1, 0, -0.0, 0), ("b", 2, 9, 1e308, 1), ("b", 3, 10, 5e-324, 1),
    ("c", 0, None, None, 0), ("c", 1, 7, 7.0, 0), ("c", 2, 7, 7.0, 0), ("c", 3, 3, 3.0, 5),
]  # fmt: skip
_STAMPS = [
    datetime(1970, 1, 1),
    datetime(1969, 12, 31, 23, 59, 59, 999999),
    datetime(1900, 1, 1, 0, 0, 1),
    datetime(2100, 12, 31, 23, 59, 59),
    datetime(2024, 2, 29, 12, 34, 56, 789012),
    datetime(1899, 12, 31, 12),
    datetime(2000, 1, 3, 11, 59, 59, 999999),
    datetime(2024, 3, 10, 2, 30),
    None,
]
BUCKETS = (
    "time_bucket(INTERVAL '15' MINUTE, ts)",
    "time_bucket(INTERVAL '1.5' SECOND, ts)",
    "time_bucket(INTERVAL '7' DAY, ts, TIMESTAMP '2000-01-03 12:00:00')",
    "time_bucket(INTERVAL '90' MINUTE, ts, TIMESTAMP '2150-06-01 00:00:00.000001')",
    "time_bucket(INTERVAL '1' HOUR, ts, TIMESTAMP '1969-12-31 23:59:59.999999')",
)
COUNTER = (
    "SELECT s, m, counter_diff(c) OVER (PARTITION BY s ORDER BY m), counter_diff(x) OVER (PARTITION BY s ORDER BY m), "
    "counter_diff(c, st) OVER (PARTITION BY s ORDER BY m), counter_diff(float(x), st) OVER (PARTITION BY s ORDER BY m) "
    "FROM counters ORDER BY s, m"
)
BUCKET = "SELECT n, " + ", ".join(BUCKETS) + " FROM stamps ORDER BY n"


def _counter_rows() -> list[tuple[Any, ...]]:
    return [(s, m, c, x, _T0 + timedelta(minutes=st)) for s, m, c, x, st in _COUNTERS]


def _stamp_rows() -> list[tuple[Any, ...]]:
    return list(enumerate(_STAMPS))


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    install_macros(connection)
    connection.execute("CREATE TABLE counters (s VARCHAR, m INTEGER, c BIGINT, x DOUBLE, st TIMESTAMP)")
    connection.executemany("INSERT INTO counters VALUES (?, ?, ?, ?, ?)", _counter_rows())
    connection.execute("CREATE TABLE stamps (n INTEGER, ts TIMESTAMP)")
    connection.executemany("INSERT INTO stamps VALUES (?, ?)", _stamp_rows())
    yield connection
    connection.close()


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b) and type(a) is type(b)


def _compare(spark: Any, con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    expected = [tuple(r) for r in spark.sql(sql).collect()]
    found = con.execute(translate_statement(sql).statements[-1]).fetchall()
    bad = [(e, f) for e, f in zip(expected, found, strict=True) if not all(map(_same, e, f))]
    assert len(expected) == len(found) and not bad, bad[:5]
    return expected


def test_counter_diff_matches_spark(spark: Any, con: duckdb.DuckDBPyConnection) -> None:
    schema = "s STRING, m INT, c BIGINT, x DOUBLE, st TIMESTAMP"
    spark.createDataFrame(_counter_rows(), schema).createOrReplaceTempView("counters")
    expected = _compare(spark, con, COUNTER)
    assert sum(v is not None for r in expected for v in r[2:]) > len(_COUNTERS)  # differences, not only NULLs


def test_time_bucket_matches_spark(spark: Any, con: duckdb.DuckDBPyConnection) -> None:
    spark.createDataFrame(_stamp_rows(), "n INT, ts TIMESTAMP").createOrReplaceTempView("stamps")
    expected = _compare(spark, con, BUCKET)
    assert len(expected) == len(_STAMPS) and expected[0][1] == datetime(1970, 1, 1)
