"""json_tuple in a SELECT list on the embedded engine: Spark's values (fields of the top-level object, strings
as their text, other values as Jackson writes them, NULL for malformed JSON), the columns' names, and the
refusals. DuckDB only: fast. tests/fidelity/test_json_tuple.py compares with local Spark."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.translate import TranslationError, translate_statement


def _run(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    cursor = con.execute(translate_statement(sql).statements[-1])
    rows = cursor.fetchall()
    return [d[0] for d in cursor.description], rows


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ('{"a": 1, "b": "x"}', ("1", "x")),
        ('{"a": [1, {"c": "\\n\\u0001"}], "b": null}', ('[1,{"c":"\\n\\u0001"}]', None)),
        ('{"a": 1, "a": null, "a": true, "b": "\\ud83c\\udf89"}', ("true", "\U0001f389")),
        ('{"a": {"x": "\U0001f389"}}', ('{"x":"\\uD83C\\uDF89"}', None)),
        ('  {"b": -0, "a": 123456789012345678901234567890} tail', ("123456789012345678901234567890", "0")),
        ('{"a": 1', (None, None)),
        ('{"a": 1, "b": [1, }', (None, None)),
        ("[1, 2]", (None, None)),
        ('"a"', (None, None)),
        ('{"a": NaN}', (None, None)),
        ("", (None, None)),
        (None, (None, None)),
    ],
    ids=["plain", "nested", "repeated", "beyond-bmp-nested", "big-int-tail", "truncated", "malformed", "array",
         "string", "nan", "empty", "null"],
)  # fmt: skip
def test_values(con: duckdb.DuckDBPyConnection, document: str | None, expected: tuple[Any, ...]) -> None:
    con.execute("CREATE OR REPLACE TABLE j (s VARCHAR)")
    con.execute("INSERT INTO j VALUES (?)", [document])
    assert _run(con, "SELECT json_tuple(s, 'a', 'b') FROM j")[1] == [expected]


@pytest.mark.parametrize(
    ("select", "names"),
    [
        ("json_tuple(s, 'a', 'b')", ["c0", "c1"]),
        ("id, json_tuple(s, 'a') AS x, id", ["id", "x", "id"]),
        ("json_tuple(s, 'a', 'b', 'a') AS (x, y, z)", ["x", "y", "z"]),
    ],
    ids=["default-names", "one-alias", "aliases"],
)
def test_columns(con: duckdb.DuckDBPyConnection, select: str, names: list[str]) -> None:
    sql = f"SELECT {select} FROM VALUES (1, '{{\"a\": 2}}') t(id, s)"
    assert _run(con, sql)[0] == names


@pytest.mark.parametrize(
    ("sql", "names", "rows"),
    [
        ("SELECT id, v.x, y FROM t LATERAL VIEW json_tuple(s, 'a', 'b') v AS x, y ORDER BY id", ["id", "x", "y"],
         [(1, "2", None), (2, None, None)]),
        ("SELECT * FROM t LATERAL VIEW json_tuple(s, 'a') v WHERE c0 IS NULL", ["id", "s", "c0"], [(2, None, None)]),
    ],
    ids=["aliases", "default-names"],
)  # fmt: skip
def test_lateral_view(con: duckdb.DuckDBPyConnection, sql: str, names: list[str], rows: list[Any]) -> None:
    con.execute("CREATE OR REPLACE TABLE t AS SELECT * FROM (VALUES (1, '{\"a\": 2}'), (2, NULL)) v(id, s)")
    assert _run(con, sql) == (names, rows)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT upper(json_tuple(s, 'a')) FROM t",
        "SELECT x FROM t LATERAL VIEW json_tuple(s, 'a') v AS x, y",
        "SELECT x FROM t LATERAL VIEW json_tuple(s, 'a') v AS x LATERAL VIEW explode(a) w AS y",
        "SELECT json_tuple(s, 'a', 'b') AS x FROM t",
        "SELECT json_tuple(s, 'a', 'b') AS (x, y, z) FROM t",
        "SELECT json_tuple(s) FROM t",
        "SELECT json_tuple(s, 'a'), json_tuple(s, 'b') FROM t",
        "SELECT explode(a), json_tuple(s, 'a') AS x FROM t",
    ],
    ids=[
        "nested",
        "lateral-view-aliases",
        "two-lateral-views",
        "one-alias-two-fields",
        "three-aliases",
        "no-field",
        "two-generators",
        "explode",
    ],
)
def test_refused_at_translate_time(sql: str) -> None:
    with pytest.raises(TranslationError):
        translate_statement(sql)


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("""SELECT json_tuple('{"a": 1.5}', 'a')""", "fraction"),
        ("""SELECT json_tuple('{"a": [0.5]}', 'a')""", "fraction"),
        ("""SELECT json_tuple("{'a': 1}", 'a')""", "single-quoted"),
        ("SELECT json_tuple(X'7B7D', 'a')", "BLOB"),
    ],
    ids=["fraction", "nested-fraction", "single-quotes", "binary"],
)
def test_refused_when_run(con: duckdb.DuckDBPyConnection, sql: str, reason: str) -> None:
    with pytest.raises(duckdb.Error, match=rf"IDU_REFUSED\] json_tuple.*{reason}"):
        _run(con, sql)
