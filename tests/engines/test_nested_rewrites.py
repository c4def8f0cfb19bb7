"""A rewritten Spark construct nested inside the same construct is rewritten at every level.

Each rewrite pass replaces the calls it finds by builders that copy their arguments; a pass that
went outermost first copied the inner call before rewriting it, so the inner call silently ran as
DuckDB's own function (NULLs dropped and order lost by ``array_distinct``, a rounding ``CAST``, NULL
for a division by zero). Spark's values for these forms: the ``nested-*`` rows of
tests/fidelity/compositions.py."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.translate import translate_statement

ROWS = "(SELECT * FROM VALUES (array(3L, 1L, NULL, 3L, 2L), 'abcdef', DATE'2024-03-05', 1.5D, 10.25BD) AS v(a, s, dt, d, dec))"


def _value(con: duckdb.DuckDBPyConnection, expression: str) -> Any:
    return con.execute(translate_statement(f"SELECT {expression} FROM {ROWS}").statements[-1]).fetchone()[0]


VALUES = [
    pytest.param("array_distinct(array_distinct(a))", [3, 1, None, 2], id="array-distinct"),
    pytest.param("array_remove(array_remove(a, 3), 1)", [None, 2], id="array-remove"),
    pytest.param("flatten(flatten(array(array(a), array(cast(NULL AS array<bigint>)))))", None, id="flatten"),
    pytest.param("array(array(1L, 2L), array(3L))[1][0]", 3, id="subscript"),
    pytest.param("cast(cast(d AS bigint) + cast(1.5D AS bigint) AS string)", "2", id="cast"),
    pytest.param(
        "unbase64(base64(unbase64(base64(unhex(repeat('AB', 60))))))", bytes([0xAB]) * 60, id="unbase64"
    ),
    pytest.param("substr(substr(s, -3), 0, 2)", "de", id="substr"),
    pytest.param("dayofweek(date_add(dt, dayofweek(dt)))", 6, id="dayofweek"),
    pytest.param("array_position(array(array_position(a, 1L), 0L), 0L)", 2, id="array-position"),
    # Spark's Murmur3 of Spark's Murmur3 of 'abcdef' (seed 42), not DuckDB's own hash inside
    pytest.param("hash(hash(s))", -1780906504, id="hash"),
    pytest.param(
        "sha2(sha2(s, 512), 384)",
        "8edc72746a2a8c674c2919fdc0c93b48e162a78d6c14492111fd70f04ae6162ad295c3308b57449739bcc0f42e9df4be",
        id="sha2",
    ),
]


@pytest.mark.parametrize(("expression", "expected"), VALUES)
def test_nested_calls_give_sparks_values(
    con: duckdb.DuckDBPyConnection, expression: str, expected: Any
) -> None:
    assert _value(con, expression) == expected


ERRORS = [
    pytest.param("1L / (cast(d AS bigint) - 1L) / 2", "DIVIDE_BY_ZERO", id="divide-by-zero"),
    pytest.param("(3L div 2) div 0", "DIVIDE_BY_ZERO", id="int-div-by-zero"),
    pytest.param("array(array(1L, 2L))[1][0]", "INVALID_ARRAY_INDEX", id="subscript-out-of-range"),
    pytest.param("dec / 3 / 2", "decimal division", id="decimal-division"),
    pytest.param("cast(cast('1.5' AS int) AS string)", "CAST_INVALID_INPUT", id="cast-string"),
]


@pytest.mark.parametrize(("expression", "error"), ERRORS)
def test_nested_calls_fail_where_spark_fails(
    con: duckdb.DuckDBPyConnection, expression: str, error: str
) -> None:
    with pytest.raises(duckdb.Error, match=error):
        _value(con, expression)
