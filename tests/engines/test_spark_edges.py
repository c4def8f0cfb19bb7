"""The edge macros of spark_compat against Python written from Spark's own source (no Spark needed).

Each reference below follows the Java/Scala code Spark runs (``UTF8String.substringSQL``,
``StringSplitSQL``, ``ArrayUnion``/``ArrayExcept``, ``Levenshtein``); the translated Spark SQL
runs on DuckDB over a grid of arguments and must agree on every one. Local Spark checks the same
functions over the function inventory (``make fidelity-functions``); this is the quick check.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.translate import COMPAT_MACROS, translate_statement

INT_MIN, INT_MAX = -(2**31), 2**31 - 1


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    for macro in COMPAT_MACROS:
        connection.execute(macro)
    yield connection
    connection.close()


def run(con: duckdb.DuckDBPyConnection, spark_sql: str, rows: list[tuple[Any, ...]], names: str) -> list[Any]:
    """``spark_sql`` (a SELECT list over columns ``names``) on DuckDB, one value per row."""
    [sql] = translate_statement(f"SELECT k, {spark_sql} FROM t").statements
    con.execute(f"CREATE OR REPLACE TEMP TABLE t AS SELECT * FROM (VALUES {_values(rows)}) AS v(k, {names})")
    return [r[1] for r in con.execute(sql + " ORDER BY k").fetchall()]


def _values(rows: list[tuple[Any, ...]]) -> str:
    def lit(v: Any) -> str:
        if v is None:
            return "NULL"
        if isinstance(v, str):
            return "'" + v.replace("'", "''") + "'"
        if isinstance(v, list):
            return "[" + ", ".join(lit(x) for x in v) + "]::BIGINT[]" if v else "[]::BIGINT[]"
        return str(v)

    return ", ".join("(" + ", ".join([str(n), *(lit(v) for v in row)]) + ")" for n, row in enumerate(rows))


def spark_substr(s: str, pos: int, length: int) -> str:
    """UTF8String.substringSQL."""
    n = len(s)
    start = pos - 1 if pos > 0 else (n + pos if pos < 0 else 0)
    end = max(min(start + length, INT_MAX), INT_MIN)
    start = max(start, 0)
    return "" if start >= end else s[start:end]


def test_substr_clamps_like_spark(con: duckdb.DuckDBPyConnection) -> None:
    grid = list(itertools.product(["", "a", "Spark SQL", "日本語😀x"], [INT_MIN, -10, -3, -1, 0, 1, 2, 9, INT_MAX],
                                  [INT_MIN, -1, 0, 1, 3, INT_MAX]))  # fmt: skip
    got = run(con, "substr(s, p, l)", grid, "s, p, l")
    assert got == [spark_substr(*row) for row in grid]


def spark_split_part(s: str, d: str, n: int) -> str:
    if d == "":
        return s if abs(n) == 1 else ""
    parts = s.split(d)
    index = n - 1 if n > 0 else len(parts) + n
    return parts[index] if 0 <= index < len(parts) else ""


def test_split_part_like_spark(con: duckdb.DuckDBPyConnection) -> None:
    grid = list(
        itertools.product(["", "a,b,,c", "11.12.13", "x"], [",", ".", "", ",,"], [-5, -2, -1, 1, 2, 4, 9])
    )
    got = run(con, "split_part(s, d, n)", grid, "s, d, n")
    assert got == [spark_split_part(*row) for row in grid]


def _distinct(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


ARRAYS = [[], [1], [3, 1, 3, None, 2], [None, None], [2, 1], [5, 4, 3, 2, 1, 1], [None, 7]]


def test_array_union_and_except_keep_first_occurrences(con: duckdb.DuckDBPyConnection) -> None:
    grid = list(itertools.product(ARRAYS, ARRAYS))
    assert run(con, "array_union(a, b)", grid, "a, b") == [_distinct(a + b) for a, b in grid]
    assert run(con, "array_except(a, b)", grid, "a, b") == [
        [x for x in _distinct(a) if x not in b] for a, b in grid
    ]


def spark_overlap(a: list[Any], b: list[Any]) -> bool | None:
    if set(a) & set(b) - {None}:
        return True
    return None if a and b and (None in a or None in b) else False


def test_arrays_overlap_three_valued(con: duckdb.DuckDBPyConnection) -> None:
    grid = list(itertools.product(ARRAYS, ARRAYS))
    assert run(con, "arrays_overlap(a, b)", grid, "a, b") == [spark_overlap(a, b) for a, b in grid]


def levenshtein(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def test_levenshtein_over_code_points_with_threshold(con: duckdb.DuckDBPyConnection) -> None:
    words = ["", "Robert", "Rupert", "straße", "strasse", "日本語", "日本", "e\u0301", "😀a"]
    grid = [(a, b, t) for a, b in itertools.product(words, words) for t in (0, 2, 5)]
    expected = [d if (d := levenshtein(a, b)) <= t else -1 for a, b, t in grid]
    assert run(con, "levenshtein(a, b, t)", grid, "a, b, t") == expected


def test_initcap_lowers_then_capitalises_each_word(con: duckdb.DuckDBPyConnection) -> None:
    words = ["", "hello WORLD", "  two  spaces", "o'brien mcDONALD", "ünïcode straße", "x-y z_w"]
    expected = [" ".join(w[:1].upper() + w[1:] for w in s.lower().split(" ")) for s in words]
    assert run(con, "initcap(s)", [(w,) for w in words], "s") == expected


def test_sequence_of_integers_is_inclusive(con: duckdb.DuckDBPyConnection) -> None:
    grid = [(a, b) for a in (-3, 0, 5) for b in (-3, 0, 5)]
    expected = [list(range(a, b + 1)) if a <= b else list(range(a, b - 1, -1)) for a, b in grid]
    assert run(con, "sequence(a, b)", grid, "a, b") == expected
