"""Spark built-ins the embedded engine added beyond the catalogue: values Spark gives (worked out from
Spark's definitions and checked on local Spark by tests/fidelity/test_functions.py), and the refusals
for what sqlglot's parse loses. DuckDB only: fast."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.macros import install_macros
from airflow_idu.engines.duckdb.translate import TranslationError, translate_statement


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    install_macros(connection)  # the session settings, the Python functions and the macros
    connection.execute("CREATE TABLE t AS SELECT [1, 2, 3] AS arr, 2 AS x, 5 AS i, 7 AS k, 'p' AS p")
    return connection


def value(con: duckdb.DuckDBPyConnection, expression: str) -> Any:
    [sql] = translate_statement(f"SELECT {expression} AS v FROM t").statements
    return con.execute(sql).fetchone()[0]  # type: ignore[index]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("shiftleft(1, 31)", -2147483648),  # Java drops the bits shifted out; the type stays INT
        ("shiftleft(3, 33)", 6),  # the count is masked to the width
        ("shiftright(-8, 1)", -4),
        ("shiftrightunsigned(-1, 28)", 15),
        ("bit_count(-1)", 64),  # Spark counts the sign-extended long
        ("bit_get(11, 3)", 1),
        ("bigint('42')", 42),
        ("signum(-0.0D)", -0.0),
        ("char(321)", "A"),
        ("elt(2, 'a', 'b')", "b"),
        ("substring_index('a.b.c', '.', -2)", "b.c"),
        ("next_day(DATE'2015-01-14', 'TU')", date(2015, 1, 20)),
        ("months_between('1997-02-28 10:30:00', '1996-10-30')", 3.94959677),
        ("width_bucket(5.3, 0.2, 10.6, 5)", 3),
        ("median(i)", 5.0),
        ("percentile(x, array(0.25, 0.75))", [2.0, 2.0]),
        ("soundex('Robert')", "R163"),
        ("url_encode('a b~')", "a+b%7E"),
        ("url_decode('%2B%41+')", "+A "),
        ("array_insert(arr, -1, 9)", [1, 2, 3, 9]),
        ("array_insert(arr, 5, 9)", [1, 2, 3, None, 9]),
        ("array_repeat(i, 2)", [5, 5]),  # the macro's lambda does not capture a column named like it
        ("array_insert(arr, 1, k)", [7, 1, 2, 3]),
        ("find_in_set('ab', 'abc,b,ab')", 3),
        ("decode(2, 1, 'a', 2, 'b', 'c')", "b"),
        ("try_add(2147483647, 1)", None),
        ("factorial(21)", None),
    ],
)
def test_value(con: duckdb.DuckDBPyConnection, expression: str, expected: Any) -> None:
    assert value(con, expression) == expected


@pytest.mark.parametrize(
    ("expression", "error"),
    [
        ("elt(3, 'a', 'b')", "INVALID_ARRAY_INDEX"),
        ("bit_get(11, 32)", "BIT_POSITION_RANGE"),
        ("date_from_unix_date(3000000)", "IDU_REFUSED"),
        ("percentile(1.5D, 0.5)", "IDU_REFUSED"),
    ],
)
def test_raises(con: duckdb.DuckDBPyConnection, expression: str, error: str) -> None:
    with pytest.raises(duckdb.Error, match=error):
        value(con, expression)


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        ("SELECT percentile(x, 0.5, 2) FROM t", "frequency"),  # sqlglot drops the third argument
        ("SELECT trunc(d, fmt) FROM t", "format other than"),  # sqlglot reads the column as 'FMT'
        ("SELECT trunc(d, 'Q') FROM t", "format other than"),  # sqlglot expands 'Q'; Spark gives NULL
        ("SELECT date_trunc('Q', ts) FROM t", "unit other than"),
        ("SELECT stddev(x) FROM t", "Welford"),
        ("SELECT sin(x) FROM t", "last bit"),
        ("SELECT median(x) OVER (PARTITION BY k) FROM t", "window"),
        ("SELECT substring_index(s, 'aa', -1) FROM t", "overlap itself"),
        ("SELECT next_day(d, day_col) FROM t", "day name"),
        ("SELECT extract(SECOND FROM ts) FROM t", "field other than"),
    ],
)
def test_refused(statement: str, reason: str) -> None:
    with pytest.raises(TranslationError, match=reason):
        translate_statement(statement)
