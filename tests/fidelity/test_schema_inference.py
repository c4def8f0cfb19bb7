"""schema_of_json and schema_of_csv of literals: the engine's folded text against local Spark's.

Each literal the engine accepts must give Spark's schema text; the ones it refuses are listed too,
so the subset's edges stay visible (Spark's value for some of them differs from a naive reading).
"""

from __future__ import annotations

from typing import Any

import pytest

from airflow_idu.engines.duckdb.spark_compat.schema_inference import (
    Unsupported,
    csv_schema,
    json_schema,
    xml_schema,
)

pytestmark = pytest.mark.spark

JSON = [
    '[{"col":0}]', '{"a":1}', '{"b":1, "a":"x"}', "1", '"x"', "true", "null", "1.5", "1e5", "-0", "1E2",
    "12345678901234567890", "-9223372036854775809", "9223372036854775807", "-9223372036854775808",
    "123456789012345678901234567890123456789012", "[]", "[null]", '{"a":null}', '{"a":[]}', "[1, 1.5]",
    '[1, "x"]', "[1, true]", '[{"a":1},{"b":2}]', '[{"a":1},{"a":1.5}]', '[{"a":1},{"a":"x"}]', '[{"a":1},2]',
    "[[1],[2.5]]", "[[1],2]", '{"a b":1, "c`d":2}', '{"a":1, "A":2}', '{"a":"2020-01-01"}', "[1, null, 2]",
    "[[], [1]]", '{"a":[null]}', '{"a":[{"b":null}]}', '{"z":{"y":1,"x":[true]}}', "[1.5, 12345678901234567890]",
    "[1, 12345678901234567890]", '{"ü":1}', ' {"a":1} ', '[{"a":1}, {"a":[1]}]', '[{"a":{"b":1}}, {"a":{"c":"x"}}]',
    "[1e400]", '{"struct":1, "select":4}', '{"a.b":1}', '{"1a":1, "_b":2, "B9":3}', "[12345678901234567890, 1.5]",
    '[9223372036854775807, 9223372036854775808]', '[12345678901234567890, 123456789012345678901234]',
    '{"😀":1, "\uffff":2, "z":3}', "[[]]", '{"a":[[]]}', '[true, false]', '{"a":{"b":{"c":[1, 2.5, null]}}}',
    '[{"b":1, "a":[{"y":true}]}, {"a":[{"x":"s"}], "c":null}]', '"\\u00e9"',
]  # fmt: skip
CSV = [
    "1,abc", "1", "+1,-1", "2147483648,9223372036854775808", "-2147483649,-9223372036854775809", "1.5,-2.25",
    "true,FALSE,tRuE", "a,,b", ",", "abc def,x y", "0,00,007", "nan,infinity", "1.0,2", "x",
    "99999999999999999999999999999999999999",
]  # fmt: skip


XML = [
    "<p><a>1</a></p>", "<p><a>1</a><b>0.8</b><c>x</c><d>true</d><e></e></p>", "<p><b>1</b><a>2</a></p>",
    "<p> <a>1</a>\n <b>TRUE</b> </p>", "<p><a-b>1</a-b><a.c>2</a.c><B>3</B></p>", '<?xml version="1.0"?><p><a>1</a></p>',
    "<p><a>01</a><b>-5</b><c>+5</c><d>-0.5</d><e>1.0</e><f>False</f><g>abc def</g></p>",
    "<p><a>999999999999999999</a><b>-999999999999999999</b><c> 12.50 </c><d/></p>", "<row><x>y</x></row>",
]  # fmt: skip


def _spark(spark: Any, function: str, literals: list[str]) -> list[str]:
    def quoted(text: str) -> str:
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"

    row = spark.sql("SELECT " + ", ".join(f"{function}({quoted(t)})" for t in literals)).collect()[0]
    return list(row)


def _engine(infer: Any, literals: list[str]) -> tuple[list[str], list[str | None]]:
    accepted, values = [], []
    for text in literals:
        try:
            values.append(infer(text))
            accepted.append(text)
        except Unsupported:
            pass
    return accepted, values


@pytest.mark.parametrize(("function", "infer", "literals"), [("schema_of_json", json_schema, JSON),
                                                             ("schema_of_csv", csv_schema, CSV),
                                                             ("schema_of_xml", xml_schema, XML)])  # fmt: skip
def test_inferred_schemas_are_spark_s(spark: Any, function: str, infer: Any, literals: list[str]) -> None:
    accepted, values = _engine(infer, literals)
    assert len(accepted) >= len(literals) - 2, set(literals) - set(accepted)
    assert values == _spark(spark, function, accepted)
