"""counter_diff, time_bucket and collate on the embedded engine, with Spark 4.3's documented values and
edges, and the refusals of the functions with no exact counterpart. DuckDB only: fast."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.translate import TranslationError, translate_statement


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(translate_statement(sql).statements[-1]).fetchall()


def _ts(minute: int, second: int = 0) -> str:
    return f"TIMESTAMP_NTZ '2026-01-01 00:{minute:02d}:{second:02d}'"


# Spark's ExpressionInfo examples of counter_diff, and the edges of CounterDiff.scala
_SERIES = ", ".join(f"('m', {_ts(t)}, {c}, {_ts(s, 15 if s else 0)})" for t, c, s in
                    [(0, 100, 0), (1, 200, 0), (2, 400, 0), (3, 500, 2), (4, 600, 2)])  # fmt: skip
COUNTER_CASES = [
    (
        "counter_diff(c)",
        "VALUES " + _SERIES.replace("500", "50").replace("600", "100"),
        [None, 100, 200, None, 50],
    ),
    ("counter_diff(c, s)", "VALUES " + _SERIES, [None, 100, 200, None, 100]),
    (
        "counter_diff(c)",
        "VALUES ('m', 1, 5, 0), ('m', 2, NULL, 0), ('m', 3, 7, 0), ('m', 4, 7, 0)",
        [None, None, 2, 0],
    ),
    (
        "counter_diff(c)",
        "VALUES ('m', 1, 1.5D, 0), ('m', 2, double('NaN'), 0), ('m', 3, 2.0D, 0)",
        [None, "nan", None],
    ),
]


@pytest.mark.parametrize(
    ("call", "source", "expected"), COUNTER_CASES, ids=["reset", "start-time", "null", "nan"]
)
def test_counter_diff(con: duckdb.DuckDBPyConnection, call: str, source: str, expected: list[Any]) -> None:
    sql = f"SELECT {call} OVER (PARTITION BY m ORDER BY t) FROM {source} AS tab(m, t, c, s) ORDER BY t"
    found = [r[0] for r in rows(con, sql)]
    assert [("nan" if v != v else v) for v in found] == expected


@pytest.mark.parametrize(
    ("call", "source"),
    [
        ("counter_diff(c)", "VALUES ('m', 1, 5, 0), ('m', 2, -1, 0)"),
        ("counter_diff(c, s)", f"VALUES ('m', 1, 5, {_ts(2)}), ('m', 2, 6, {_ts(1)})"),
        ("counter_diff(c)", "VALUES ('m', 1, 5.0BD, 0)"),
    ],
    ids=["negative", "start-time-decreased", "decimal-refused"],
)
def test_counter_diff_raises(con: duckdb.DuckDBPyConnection, call: str, source: str) -> None:
    with pytest.raises(duckdb.Error):
        rows(con, f"SELECT {call} OVER (PARTITION BY m ORDER BY t) FROM {source} AS tab(m, t, c, s)")


BUCKETS = [
    ("INTERVAL '15' MINUTE, TIMESTAMP '2024-01-01 11:27:00', TIMESTAMP '1970-01-01 00:00:00'", datetime(2024, 1, 1, 11, 15)),
    ("INTERVAL '1' HOUR, TIMESTAMP '2024-01-01 11:27:00'", datetime(2024, 1, 1, 11)),
    ("INTERVAL '1' HOUR, TIMESTAMP '1969-12-31 23:27:00'", datetime(1969, 12, 31, 23)),  # floor, not truncation
    ("INTERVAL '2' DAY, TIMESTAMP '2024-01-01 11:27:00', TIMESTAMP '2024-01-04 06:00:00'", datetime(2023, 12, 31, 6)),
    ("INTERVAL '1.5' SECOND, TIMESTAMP '1970-01-01 00:00:04'", datetime(1970, 1, 1, 0, 0, 3)),
    ("INTERVAL '1' HOUR, CAST(NULL AS TIMESTAMP)", None),
]  # fmt: skip


@pytest.mark.parametrize(("args", "expected"), BUCKETS, ids=[b[0][:40] for b in BUCKETS])
def test_time_bucket(con: duckdb.DuckDBPyConnection, args: str, expected: datetime | None) -> None:
    assert rows(con, f"SELECT time_bucket({args})") == [(expected,)]


def test_time_bucket_of_a_date_is_refused_when_run(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(duckdb.Error, match="IDU_REFUSED"):
        rows(con, "SELECT time_bucket(INTERVAL '1' HOUR, DATE '2024-01-01')")


def test_collate_utf8_binary_is_the_string(con: duckdb.DuckDBPyConnection) -> None:
    sql = "SELECT collate('Ab', 'UTF8_BINARY'), 'Ab' COLLATE utf8_binary = 'ab', collate(collate('x', 'UTF8_BINARY'), 'utf8_binary')"
    assert rows(con, sql) == [("Ab", False, "x")]


REFUSED = [
    ("SELECT collate('a', 'UTF8_LCASE')", "only the default collation"),
    ("SELECT typeof(collate('a', 'UTF8_BINARY'))", "typeof of a collated string"),
    ("SELECT time_bucket(INTERVAL '1' MONTH, TIMESTAMP '2024-01-01 00:00:00')", "year-month"),
    ("SELECT time_bucket(INTERVAL '0' HOUR, TIMESTAMP '2024-01-01 00:00:00')", "positive"),
    ("SELECT time_bucket(INTERVAL '1' HOUR, ts, ts) FROM t", "foldable"),
    ("SELECT counter_diff(c) FROM t", "outside an OVER"),
    ("SELECT counter_diff(c) OVER (PARTITION BY m) FROM t", "ORDER BY"),
    ("SELECT counter_diff(c) OVER (ORDER BY t ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t", "frame"),
    ("SELECT st_geomfromwkb(b) FROM t", "GEOMETRY"),
    ("SELECT unix_nanos(ts) FROM t", "nanosecond"),
    ("SELECT make_interval(1, 2)", "CalendarInterval"),
    ("SELECT make_ym_interval(1, 2)", "YEAR TO MONTH"),
    ("SELECT window(ts, '5 minutes') FROM t", "time windows change the rows"),
    ("SELECT current_path()", "SQL path"),
    ("SELECT localtime()", "clock"),
    ("SELECT collect_union(a) FROM t", "hash"),
]


@pytest.mark.parametrize(("sql", "reason"), REFUSED, ids=[r[0][7:40] for r in REFUSED])
def test_refused_with_reason(sql: str, reason: str) -> None:
    with pytest.raises(TranslationError, match=reason):
        translate_statement(sql)
