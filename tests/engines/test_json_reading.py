"""from_json's reading of JSON text under a literal STRUCT schema: Spark 4.3's rows (tests/fidelity/test_json_reading.py)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from airflow_idu.engines.duckdb.spark_compat.json_reading import Unsupported, from_json, parse_schema
from airflow_idu.engines.duckdb.translate import TranslationError, translate_statement

AB = "a INT, b DOUBLE"
NESTED = "STRUCT<teacher: STRING, student: ARRAY<STRUCT<name: STRING, rank: INT>>>"
CASES = [
    ('{"a":1, "b":0.8}', AB, {"a": 1, "b": 0.8}),
    ("", AB, None),
    (" \n", AB, None),
    (None, AB, None),
    ("abc", AB, {"a": None, "b": None}),
    ("123", AB, {"a": None, "b": None}),
    ('[{"a":1}]', AB, {"a": None, "b": None}),
    ('{"a":1} x', AB, {"a": 1, "b": None}),
    ('{"a":1.5, "b":2}', AB, {"a": None, "b": 2.0}),
    ('{"a":3000000000, "b":"-INF"}', AB, {"a": None, "b": -math.inf}),
    ('{"a":"1", "b":"2.5"}', AB, {"a": None, "b": None}),
    ('{"a":1, "a":2}', AB, {"a": 2, "b": None}),
    ('{"a":1, "a":"x"}', AB, {"a": 1, "b": None}),
    ('{"A":1}', AB, {"a": None, "b": None}),
    ('{"b":12345678901234567890}', AB, {"a": None, "b": 1.2345678901234567e19}),
    ('{"teacher": {"x": [1, true, null]}, "student": [null, {"rank": "x"}]}', NESTED,
     {"teacher": '{"x":[1,true,null]}', "student": [None, {"name": None, "rank": None}]}),
    ('{"teacher": 5, "student": [1]}', NESTED, {"teacher": "5", "student": None}),
]  # fmt: skip


@pytest.mark.parametrize(("text", "schema", "expected"), CASES, ids=lambda v: str(v)[:30])
def test_spark_s_rows(text: str | None, schema: str, expected: Any) -> None:
    assert from_json(text, parse_schema(schema)) == expected


def test_nan_string_is_nan() -> None:
    row = from_json('{"b":"NaN"}', parse_schema(AB))
    assert row is not None and math.isnan(row["b"])


@pytest.mark.parametrize(
    "text", ['{"a":1', "{'a':1}", '{"a":NaN}', '{"s":1.5}', '{"s":["\\u0001"]}', "\ufeff{}"]
)
def test_refused_when_run(text: str) -> None:
    with pytest.raises(ValueError, match=r"IDU_REFUSED"):
        from_json(text, parse_schema("a INT, s STRING"))


@pytest.mark.parametrize(
    "schema", ["ARRAY<INT>", "MAP<STRING,INT>", "a DECIMAL(10,2)", "a INT, A INT", "a DATE", ""]
)
def test_schemas_outside_the_subset(schema: str) -> None:
    with pytest.raises(Unsupported):
        parse_schema(schema)


@pytest.mark.parametrize(
    "sql",
    ["SELECT from_json(s, t) FROM x", "SELECT from_json(s, 'a INT', map('mode', 'FAILFAST')) FROM x"],
)
def test_refused_forms(sql: str) -> None:
    with pytest.raises(TranslationError):
        translate_statement(sql)


def test_translation_reads_back_through_json_transform() -> None:
    sql = translate_statement("SELECT from_json(s, 'a INT, b DOUBLE') FROM x").statements[-1].lower()
    assert "json_transform(idu_from_json(" in sql and "struct(" in sql
