"""schema_of_json / schema_of_csv folded when translated: Spark 4.3's texts (tests/fidelity/test_schema_inference.py)."""

from __future__ import annotations

import pytest

from airflow_idu.engines.duckdb.spark_compat.schema_inference import (
    Unsupported,
    csv_schema,
    json_schema,
    xml_schema,
)
from airflow_idu.engines.duckdb.translate import TranslationError, translate_statement

JSON = [
    ('[{"col":0}]', "ARRAY<STRUCT<col: BIGINT>>"),
    ('{"b":1, "a":"x"}', "STRUCT<a: STRING, b: BIGINT>"),
    ("null", "STRING"),
    ("[]", "ARRAY<STRING>"),
    ("12345678901234567890", "DECIMAL(20,0)"),
    ("123456789012345678901234567890123456789012", "DOUBLE"),
    ("[9223372036854775807, 9223372036854775808]", "ARRAY<DECIMAL(20,0)>"),
    ("[1, 1.5]", "ARRAY<DOUBLE>"),
    ('[1, "x"]', "ARRAY<STRING>"),
    ("[[1],2]", "ARRAY<STRING>"),
    ('[{"a":1},{"b":2.5}]', "ARRAY<STRUCT<a: BIGINT, b: DOUBLE>>"),
    ('{"a":1, "A":2}', "STRUCT<A: BIGINT, a: BIGINT>"),
    ('{"a b":1, "c`d":2, "1a":3}', "STRUCT<`1a`: BIGINT, `a b`: BIGINT, `c``d`: BIGINT>"),
    ('{"\U0001f600":1, "\uffff":2}', "STRUCT<`\U0001f600`: BIGINT, `\uffff`: BIGINT>"),
]
CSV = [
    ("1,abc", "STRUCT<_c0: INT, _c1: STRING>"),
    ("2147483648,9223372036854775808", "STRUCT<_c0: BIGINT, _c1: DECIMAL(19,0)>"),
    ("+1,1.5,TRUE,,x y", "STRUCT<_c0: INT, _c1: DOUBLE, _c2: BOOLEAN, _c3: STRING, _c4: STRING>"),
]
REFUSED_JSON = [
    "",
    "abc",
    '{"a":01}',
    "{'a':1}",
    '{"a":NaN}',
    "{}",
    '{"a":{}}',
    '{"a":1, "a":2}',
    '{"":1}',
    "1 x",
]
REFUSED_CSV = ["", " 1", "5.", "1e5", "NaN", "2020-01-01", '"1"', "Infinity", "a\tb"]


@pytest.mark.parametrize(("text", "expected"), JSON, ids=[t for t, _ in JSON])
def test_json_schema(text: str, expected: str) -> None:
    assert json_schema(text) == expected


@pytest.mark.parametrize(("text", "expected"), CSV, ids=[t for t, _ in CSV])
def test_csv_schema(text: str, expected: str) -> None:
    assert csv_schema(text) == expected


@pytest.mark.parametrize("text", REFUSED_JSON, ids=repr)
def test_json_outside_the_subset(text: str) -> None:
    with pytest.raises(Unsupported):
        json_schema(text)


@pytest.mark.parametrize("text", REFUSED_CSV, ids=repr)
def test_csv_outside_the_subset(text: str) -> None:
    with pytest.raises(Unsupported):
        csv_schema(text)


def test_folded_to_a_literal() -> None:
    sql = translate_statement("""SELECT schema_of_json('{"a":[1]}') AS s""").statements[-1]
    assert "'STRUCT<a: ARRAY<BIGINT>>'" in sql


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT schema_of_json(s) FROM t",
        "SELECT schema_of_json('[1]', map('a', 'b'))",
        "SELECT schema_of_csv('5.')",
    ],
)
def test_refused_forms(sql: str) -> None:
    with pytest.raises(TranslationError):
        translate_statement(sql)


XML = [
    ("<p><a>1</a></p>", "STRUCT<a: BIGINT>"),
    ("<p><b>0.8</b><a>x y</a><c>True</c><d></d></p>", "STRUCT<a: STRING, b: DOUBLE, c: BOOLEAN, d: STRING>"),
    ("<p><a-b>1</a-b><B>3</B></p>", "STRUCT<B: BIGINT, `a-b`: BIGINT>"),
]
REFUSED_XML = ["abc", "<p></p>", "<p>t</p>", "<p a='1'><x>1</x></p>", "<p><a>1</a><a>2</a></p>", "<p><a><b/></a></p>",
               "<p><a>1e5</a></p>", "<p><a>NaN</a></p>", "<p><a>9223372036854775808</a></p>"]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), XML, ids=[t for t, _ in XML])
def test_xml_schema(text: str, expected: str) -> None:
    assert xml_schema(text) == expected


@pytest.mark.parametrize("text", REFUSED_XML, ids=repr)
def test_xml_outside_the_subset(text: str) -> None:
    with pytest.raises(Unsupported):
        xml_schema(text)
