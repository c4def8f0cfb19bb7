"""from_json with literal STRUCT schemas on local Spark and on the embedded engine.

Hand-picked texts (each conversion's edges: out-of-range integers, decimals for INT, the special
strings for DOUBLE, raw JSON text for STRING, failing array elements, partial nested rows, text that
is no JSON object) and generated objects, under a few schemas; where the engine reads the text (it
refuses some when run), its row equals Spark's. Doubles compared through ``float.hex``.
"""

from __future__ import annotations

import random
from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.spark_compat.json_reading import from_json, parse_schema
from airflow_idu.engines.duckdb.translate import translate_statement
from tests.fidelity.values import bits

pytestmark = pytest.mark.spark

SCHEMAS = [
    "a INT, b DOUBLE",
    "STRUCT<teacher: STRING, student: ARRAY<STRUCT<name: STRING, rank: INT>>>",
    "s STRING, n BIGINT, f BOOLEAN, xs ARRAY<DOUBLE>, o STRUCT<a: INT, b: ARRAY<ARRAY<INT>>>",
]
TEXTS = [
    '{"a":1, "b":0.8}', "", " ", "abc", "123", '"x"', "null", "NaN", "[{\"a\":1}]", "[]", "{}", '{"a":1} x',
    '{"a":1}{"a":2}', '{"a":"1", "b":"2.5"}', '{"a":1.5, "b":2}', '{"a":3000000000, "b":1}', '{"a":true, "b":1}',
    '{"a":null, "b":1}', '{"a":[1], "b":{}}', '{"a":1, "b":"NaN"}', '{"b":"Infinity"}', '{"b":"-INF"}',
    '{"b":"+INF"}', '{"b":"+Infinity"}', '{"b":"inf"}', '{"b":""}', '{"a":1, "b":1e400}',
    '{"b":12345678901234567890}', '{"b":-1e-400}', '{"a":-2147483648, "b":-0.0}', '{"a":2147483648}',
    '{"a":1, "a":2}', '{"a":1, "a":"x"}', '{"A":1}', '{"a":1e2}', '{"a":-0}',
    '{"teacher": "Alice", "student": [{"name": "Bob", "rank": 1}, {"name": "Charlie", "rank": 2}]}',
    '{"teacher": 5, "student": {"name": "Bob", "rank": 1}}', '{"teacher": true, "student": [null, {"rank": "x"}]}',
    '{"teacher": [1, {"x": null}, "é"], "student": [1]}', '{"teacher": {"k": "v\\"q"}, "student": "x"}',
    '{"teacher": "\\u00e9\\ud83d\\ude00", "student": [{"name": 7, "rank": 2.0}]}', '{"student": [{"rank": [1]}, 3]}',
    '{"s": "x", "n": 9223372036854775807, "f": false, "xs": [1, 2.5, "NaN", null], "o": {"a": 1, "b": [[1], [2, 3]]}}',
    '{"s": null, "n": 9223372036854775808, "f": "true", "xs": [1, "x"], "o": {"a": 1.0, "b": [[1, "x"]]}}',
    '{"s": [true, false, null], "n": -9223372036854775808, "f": 1, "xs": {}, "o": []}',
    '{"o": {"b": [null, [null]]}, "xs": []}', '\n\t{"a": 7}', "{\"a\": 1, \"b\": 2", "{'a': 1}", '{"a": NaN}',
]  # fmt: skip


def _generated(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    values = ['1', '-7', '2147483647', '2147483648', '-2147483649', '9223372036854775808', '0.5', '1e3', '-0.0',
              '"NaN"', '"Infinity"', '"x"', '""', 'true', 'false', 'null', '[1, 2]', '[1.5, "y"]', '{"a": 3}',
              '[[1], [2, null]]', '{"rank": 4, "name": "n"}', '[{"rank": 1}, {"rank": "z"}]', '12345678901234567890']  # fmt: skip
    keys = ["a", "b", "teacher", "student", "s", "n", "f", "xs", "o", "zz"]
    return ["{" + ", ".join(f'"{rng.choice(keys)}": {rng.choice(values)}' for _ in range(rng.randint(0, 5))) + "}"
            for _ in range(count)]  # fmt: skip


ALL_TEXTS = TEXTS + _generated(200, seed=11)


def _reads(text: str, schema: str) -> bool:
    try:
        from_json(text, parse_schema(schema))
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("schema", SCHEMAS)
def test_from_json_matches_spark(spark: Any, engine: duckdb.DuckDBPyConnection, schema: str) -> None:
    rows = [(n, t) for n, t in enumerate(ALL_TEXTS) if _reads(t, schema)]
    assert len(rows) >= len(ALL_TEXTS) - 20
    spark.createDataFrame(rows, schema="i INT, x STRING").createOrReplaceTempView("json_in")
    want = {r[0]: bits(r[1]) for r in spark.sql(f"SELECT i, from_json(x, '{schema}') FROM json_in").collect()}
    engine.execute("CREATE OR REPLACE TEMP TABLE json_in (i INTEGER, x VARCHAR)")
    engine.executemany("INSERT INTO json_in VALUES (?, ?)", rows)
    sql = translate_statement(f"SELECT i, from_json(x, '{schema}') FROM json_in").statements[-1]
    got = {i: bits(v) for i, v in engine.execute(sql).fetchall()}
    bad = [(ALL_TEXTS[i], want[i], got[i]) for i, _ in rows if want[i] != got[i]]
    assert not bad, bad[:3]
