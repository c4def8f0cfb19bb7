"""json_tuple on local Spark against the embedded engine: JSON documents at the edges (repeated keys, JSON null,
nested values with escapes and characters beyond U+FFFF, big integers, -0, malformed or truncated text, what
follows the object, non-objects), several fields with default names and with AS (...) aliases, in a SELECT list and a LATERAL VIEW; and
get_json_object of the same fields (the same Jackson writing: a character beyond U+FFFF in a nested value)."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.translate import translate_statement

pytestmark = pytest.mark.spark

DOCUMENTS = [
    '{"a": 1, "b": "x"}',
    '{"a": [1, {"c": "\\n\\u0001\\"/é"}], "b": null}',
    '{"a": 1, "a": null, "b": 2, "b": [true, false, null]}',
    '{"a": {"x": "\U0001f389", "\U0001f389": "\\ud83c\\udf89"}, "b": "\U0001f389 \\ud83c\\udf89"}',
    '  {"b": -0, "a": 123456789012345678901234567890, "c": -9223372036854775809} tail',
    '{"a": 1',
    '{"a": 1, "b": [1, }',
    '{"a": 1, "b": 01}',
    '{"a": 1}{"b": 2}',
    '[{"a": 1}]',
    '"a"',
    "",
    '\t\r\n{"b": "\t"}',
    '{"a": {}, "b": []}',
    '{"A": 1, "a ": 2}',
    None,
]


@pytest.mark.parametrize(
    "select",
    [
        "json_tuple(s, 'a', 'b')",
        "json_tuple(s, 'b', 'a', 'b', 'c') AS (w, x, y, z)",
        "id, json_tuple(s, 'a') AS v",
    ],
    ids=["default-names", "aliases", "one-field"],
)
def test_json_tuple(spark: Any, con: duckdb.DuckDBPyConnection, select: str) -> None:
    compare(spark, con, f"SELECT {select} FROM t ORDER BY id")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id, v.x, y FROM t LATERAL VIEW json_tuple(s, 'a', 'b') v AS x, y ORDER BY id",
        "SELECT * FROM t LATERAL VIEW json_tuple(s, 'b', 'a') v WHERE id > 2 ORDER BY id",
    ],
    ids=["aliases", "default-names"],
)
def test_lateral_view(spark: Any, con: duckdb.DuckDBPyConnection, sql: str) -> None:
    compare(spark, con, sql)


def compare(spark: Any, con: duckdb.DuckDBPyConnection, sql: str) -> None:
    rows = list(enumerate(DOCUMENTS))
    con.execute("CREATE OR REPLACE TABLE t (id INTEGER, s VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", rows)
    cursor = con.execute(translate_statement(sql).statements[-1])
    mine = cursor.fetchall()
    spark.createDataFrame(rows, schema="id INT, s STRING").createOrReplaceTempView("t")
    frame = spark.sql(sql)
    assert [d[0] for d in cursor.description] == frame.columns
    assert mine == [tuple(r) for r in frame.collect()]
