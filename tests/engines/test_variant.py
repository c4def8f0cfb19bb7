"""parse_json, try_parse_json, variant_get, try_variant_get, is_variant_null and is_valid_variant on the
embedded engine (spark_compat/variant.py), with the values local Spark 4.3 gives (read off it), and
where a VARIANT value is refused. DuckDB only: fast. tests/fidelity/test_variant.py compares with Spark."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.spark_compat.variant_cast import parse_path
from airflow_idu.engines.duckdb.spark_compat.variant_values import VariantError, variant_text
from airflow_idu.engines.duckdb.translate import TranslationError, translate_statement


def value(con: duckdb.DuckDBPyConnection, expression: str) -> Any:
    return con.execute(translate_statement(f"SELECT {expression}").statements[-1]).fetchone()[0]  # type: ignore[index]


# JSON text -> Spark's to_json(parse_json(text))
TEXTS = [
    ('{"b":1,"a":0.8}', '{"a":0.8,"b":1}'),
    ("[1.0, -0.0, 1.50, 100, 0.000001, 100.00]", "[1,0,1.5,100,0.000001,100]"),
    (" 42 ", "42"),
    ("99999999999999999999", "99999999999999999999"),
    ("-12.340", "-12.34"),
    ("1234567890123456789012345678901234.50", "1234567890123456789012345678901234.5"),
    ('"a\\u0001\\b\\f\\u001f\\u007f\\t\\n\\r\\"/\\\\é"', '"a\\u0001\\b\\f\\u001F\x7f\\t\\n\\r\\"/\\\\é"'),
    ('{"b":1,"a":{"d":[],"c":{}},"":null,"B":true,"é":false}', '{"":null,"B":true,"a":{"c":{},"d":[]},"b":1,"é":false}'),
    ('{"\\uffff":1,"😀":2}', '{"😀":2,"\uffff":1}'),  # Java's order: UTF-16 code units
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), TEXTS, ids=[t[:20] for t, _ in TEXTS])
def test_parse_json_is_spark_s_text(con: duckdb.DuckDBPyConnection, text: str, expected: str) -> None:
    assert variant_text(text) == expected
    literal = text.replace("\\", "\\\\").replace("'", "\\'")
    assert value(con, f"parse_json('{literal}')") == expected


MALFORMED = [
    '{"a":1,"a":2}',
    "01",
    "1.",
    ".5",
    "+1",
    "NaN",
    "",
    " ",
    "[1,]",
    "{'a':1}",
    '"\\a"',
    "2024-03-05",
]
REFUSED = ["1e0", "1.5E300", "1" * 40, '{"a":1} x', '"\\\\ud800"']


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_json_raises_and_try_gives_null(con: duckdb.DuckDBPyConnection, text: str) -> None:
    with pytest.raises(VariantError):
        variant_text(text)
    literal = text.replace("\\", "\\\\").replace("'", "\\'")
    assert value(con, f"try_parse_json('{literal}')") is None
    with pytest.raises(duckdb.Error, match="parse_json"):
        value(con, f"parse_json('{literal}')")


@pytest.mark.parametrize("text", REFUSED)
def test_doubles_and_trailing_text_are_refused_when_run(con: duckdb.DuckDBPyConnection, text: str) -> None:
    with pytest.raises(duckdb.Error, match=r"\[IDU_REFUSED\]"):
        value(con, f"try_parse_json('{text}')")


GETS = [
    ("variant_get(parse_json('{\"a\": 1}'), '$.a', 'int')", 1),
    ("variant_get(parse_json('{\"a\": 1}'), '$.b', 'int')", None),
    ("variant_get(parse_json('[1, \"2\"]'), '$[1]', 'string')", "2"),
    ("variant_get(parse_json('[1, \"hello\"]'), '$[1]')", '"hello"'),
    ("variant_get(parse_json('{\"a\":{\"b\":[1,{\"c\":\"d\"}]}}'), '$.a.b[1].c')", '"d"'),
    ("variant_get(parse_json('{\"a b\":1}'), '$[''a b'']', 'int')", 1),
    ("variant_get(parse_json('{\"a\":[1,2]}'), '$.a', 'string')", "[1,2]"),
    ("variant_get(parse_json('{\"a\":{\"y\":1,\"x\":2.50}}'), '$.a', 'string')", '{"x":2.5,"y":1}'),
    ("variant_get(parse_json('1.55'), '$', 'decimal(3,1)')", Decimal("1.6")),
    ("variant_get(parse_json('-1.55'), '$', 'decimal(3,1)')", Decimal("-1.6")),
    ("variant_get(parse_json('true'), '$', 'decimal(3,1)')", Decimal("1.0")),
    ("variant_get(parse_json('-1.7'), '$', 'tinyint')", -1),
    ("variant_get(parse_json('\"1\"'), '$', 'boolean')", True),
    ("variant_get(parse_json('0.5'), '$', 'boolean')", True),
    ("variant_get(parse_json('null'), '$', 'int')", None),
    ("try_variant_get(parse_json('300'), '$', 'tinyint')", None),
    ("try_variant_get(parse_json('\"x\"'), '$', 'int')", None),
    ("try_variant_get(parse_json('true'), '$', 'string')", "true"),
    ("try_variant_get(parse_json('999.5'), '$', 'decimal(3,0)')", None),
    ("try_variant_get(parse_json('127.9'), '$', 'tinyint')", 127),
    ("try_variant_get(parse_json('{\"a\":1}'), '$', 'int')", None),
    ("variant_get(parse_json('1.005'), '$', 'double')", 1.005),
    ("variant_get(parse_json('9007199254740993'), '$', 'double')", 9007199254740992.0),
    ("variant_get(parse_json('true'), '$', 'double')", 1.0),
    ("variant_get(parse_json('\"-2.5\"'), '$', 'double')", -2.5),
    ("try_variant_get(parse_json('[1]'), '$', 'double')", None),
    ("is_variant_null(parse_json('null'))", True),
    ("is_variant_null(parse_json('\"null\"'))", False),
    ("is_variant_null(parse_json(null))", False),
    ("is_variant_null(variant_get(parse_json('{\"a\":null}'), '$.a'))", True),
    ("is_valid_variant(parse_json('[1]'))", True),
    ("is_valid_variant(parse_json(null))", None),
]  # fmt: skip


@pytest.mark.parametrize(("expression", "expected"), GETS, ids=[e[:60] for e, _ in GETS])
def test_variant_get_gives_spark_s_value(
    con: duckdb.DuckDBPyConnection, expression: str, expected: Any
) -> None:
    assert value(con, expression) == expected


FAILING = ["'\"abc\"', '$', 'int'", "'300', '$', 'tinyint'", "'\"x\"', '$', 'boolean'", "'{\"a\":1}', '$', 'boolean'",
           "'1', '$', 'decimal(1,1)'", "'123456', '$', 'decimal(5,2)'", "'1', '$[-1]', 'int'"]  # fmt: skip


@pytest.mark.parametrize("arguments", FAILING)
def test_a_failing_cast_or_path_raises(con: duckdb.DuckDBPyConnection, arguments: str) -> None:
    text, rest = arguments.split(", ", 1)
    with pytest.raises(duckdb.Error, match="variant_get"):
        value(con, f"variant_get(parse_json({text}), {rest})")


PATHS = [
    ("$", []), ("$.a", ["a"]), ("$.a-b", ["a-b"]), ("$.1", ["1"]), ("$.*", ["*"]), ("$[01]", [1]),
    ("$['a b']", ["a b"]), ('$["a.b"]', ["a.b"]), ("$['']", [""]), ("$.a]b", ["a]b"]), ("$.a[0].b", ["a", 0, "b"]),
]  # fmt: skip


@pytest.mark.parametrize(("path", "segments"), PATHS, ids=[p for p, _ in PATHS])
def test_paths_read_as_spark_s_parser(path: str, segments: list[Any]) -> None:
    assert parse_path(path) == segments


@pytest.mark.parametrize(
    "path", ["a", "$.", "$ .a", "$[-1]", "$['a'", "$[*]", "$[2147483648]", "$..a", "", "$[\u0661]"]
)
def test_invalid_paths_raise(path: str) -> None:
    with pytest.raises(VariantError):
        parse_path(path)


PLACED = [
    "SELECT id, parse_json(s) AS v FROM t",
    "SELECT variant_get(variant_get(parse_json(s), '$.a'), '$.b', 'int') FROM t",
    "SELECT is_variant_null(NULL)",
]
MISPLACED = [
    "SELECT upper(parse_json(s)) FROM t",
    "SELECT CAST(parse_json(s) AS STRING) FROM t",
    "SELECT to_json(parse_json(s)) FROM t",
    "WITH x AS (SELECT parse_json(s) AS v FROM t) SELECT v FROM x",
    "SELECT DISTINCT parse_json(s) FROM t",
    "SELECT parse_json(s) FROM t UNION ALL SELECT parse_json(s) FROM t",
    "INSERT INTO u SELECT parse_json(s) FROM t",
    "SELECT is_variant_null(s) FROM t",
    "SELECT variant_get(parse_json(s), '$.a', 'float') FROM t",
    "SELECT variant_get(parse_json(s), '$.a', s) FROM t",
    "SELECT variant_get(parse_json(s), '$.a', 'int', 1) FROM t",
    "SELECT id, parse_json(s) AS v FROM t ORDER BY v",
    "SELECT CAST(s AS VARIANT) FROM t",
    "SELECT parse_json(s):a FROM t",
]


@pytest.mark.parametrize("sql", PLACED)
def test_a_variant_is_accepted_where_nothing_else_reads_it(sql: str) -> None:
    assert translate_statement(sql).statements


@pytest.mark.parametrize("sql", MISPLACED)
def test_a_variant_anywhere_else_is_refused(sql: str) -> None:
    with pytest.raises(TranslationError, match=r"variant|parse_json"):
        translate_statement(sql)


# Spark 4.3's ExpressionInfo examples and edges read off local Spark (NULL: the try_ form's NULL)
EDITS = [
    ("variant_strip_nulls(parse_json('[null, {\"a\":null}, [null]]'))", "[{},[]]"),
    ("variant_strip_nulls(parse_json('[null, {\"a\":null}, [null]]'), false)", "[null,{},[null]]"),
    ("variant_strip_nulls(parse_json('[1]'), NULL)", None),
    ("variant_delete(parse_json('{\"a\": 1, \"b\": 2, \"c\": 3}'), NULL, '$.a', '$.c')", '{"b":2}'),
    ("variant_delete(parse_json('{\"items\": [1, 2, 3]}'), '$.items[0]', '$.items[0]')", '{"items":[3]}'),
    ("variant_delete(parse_json('{\"a\":1}'), '$.a.b')", '{"a":1}'),
    ("variant_delete(parse_json('1'), '$[0]')", "1"),
    ("try_variant_set(parse_json('{\"a\":1}'), '$.a.b', 2)", None),
    ("try_variant_set(parse_json('{\"a\":1}'), '$.b[2].c', 2)", '{"a":1,"b":[null,null,{"c":2}]}'),
    ("try_variant_set(parse_json('null'), '$.b', 2)", None),
    ("try_variant_set(parse_json('{\"a\":1}'), '$.b.c', 2, false)", '{"a":1}'),
    ("variant_set(parse_json('[\"a\",\"b\",\"c\"]'), '$[5]', 'z')", '["a","b","c",null,null,"z"]'),
    ("variant_set(parse_json('{\"a\":1}'), '$.a', 1.50)", '{"a":1.5}'),
    ("variant_set(parse_json('{\"a\":1}'), '$.a', 'x\"y')", '{"a":"x\\"y"}'),
    ("variant_set(parse_json('{\"a\":1}'), '$.a', parse_json('null'))", '{"a":null}'),
    ("variant_set(parse_json('{\"a\":1}'), '$.a', NULL)", None),
    ("try_variant_insert(parse_json('{\"a\": 1}'), '$.a', 2)", None),
    ("try_variant_insert(parse_json('[1,2]'), '$[0]', 0)", "[0,1,2]"),
    ("try_variant_insert(parse_json('{}'), '$.a[1]', 3)", '{"a":[null,3]}'),
    ("variant_insert(parse_json('[\"a\",\"b\"]'), '$[5]', 'z')", '["a","b",null,null,null,"z"]'),
    ("try_variant_array_append(parse_json('{\"a\": 1}'), '$.a', 2)", None),
    ("try_variant_array_append(parse_json('{\"a\": [[1]]}'), '$.a[0]', 2)", '{"a":[[1,2]]}'),
    ("try_variant_array_append(parse_json('{\"a\": [[1]]}'), '$.a[3]', 2)", '{"a":[[1]]}'),
    ("variant_array_append(parse_json('[1]'), '$', parse_json('[2, 3]'))", "[1,[2,3]]"),
]  # fmt: skip


@pytest.mark.parametrize(("expression", "expected"), EDITS, ids=[e[:70] for e, _ in EDITS])
def test_editing_functions_give_spark_s_value(
    con: duckdb.DuckDBPyConnection, expression: str, expected: Any
) -> None:
    assert value(con, expression) == expected


@pytest.mark.parametrize(
    "expression",
    ["try_variant_set(parse_json('{}'), '$', 1)", "variant_delete(parse_json('{}'), '$')",
     "try_variant_insert(parse_json('{}'), 'x', 1)", "variant_set(parse_json('{}'), '$.a', 1.5d)"],
)  # fmt: skip
def test_root_or_invalid_paths_and_doubles_raise(con: duckdb.DuckDBPyConnection, expression: str) -> None:
    with pytest.raises(duckdb.Error, match=r"path|IDU_REFUSED"):
        value(con, expression)


def test_a_non_literal_flag_is_refused() -> None:
    with pytest.raises(TranslationError, match="non-literal flag"):
        translate_statement("SELECT variant_strip_nulls(parse_json(s), k > 1) FROM t")


SCHEMAS = [
    ("null", "VOID"), ('[{"b":true,"a":0}]', "ARRAY<OBJECT<a: BIGINT, b: BOOLEAN>>"), ("1.50", "DECIMAL(2,1)"),
    ("100.00", "DECIMAL(3,0)"), ("0.00", "DECIMAL(1,0)"), ("0.00001", "DECIMAL(5,5)"), ("[1, 1.5]", "ARRAY<DECIMAL(21,1)>"),
    ("[0.00000000000000000000000000000000000001, 1000]", "ARRAY<DOUBLE>"), ('[{"a":1}, {"a":"x"}]', "ARRAY<OBJECT<a: VARIANT>>"),
    ('{"1":1,"1a":2,"a`b":3,"_":4,"":5}', "OBJECT<``: BIGINT, `1`: BIGINT, `1a`: BIGINT, _: BIGINT, `a``b`: BIGINT>"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), SCHEMAS, ids=[t for t, _ in SCHEMAS])
def test_schema_of_variant_reads_the_parsed_text(
    con: duckdb.DuckDBPyConnection, text: str, expected: str
) -> None:
    literal = text.replace("\\", "\\\\").replace("'", "\\'")
    assert value(con, f"schema_of_variant(parse_json('{literal}'))") == expected


def test_schema_of_an_edited_variant_is_refused() -> None:
    """The held text no longer tells an integral DECIMAL (1.0) from an integer."""
    with pytest.raises(TranslationError, match="schema_of_variant"):
        translate_statement("SELECT schema_of_variant(variant_get(parse_json(s), '$.a')) FROM t")


OBJECTS = [
    ("to_variant_object(named_struct('b', 1, 'a', 2))", '{"a":2,"b":1}'),
    ("to_variant_object(array(1, NULL, 3))", "[1,null,3]"),
    ("to_variant_object(array(map('a', 2)))", '[{"a":2}]'),
    ("to_variant_object(named_struct('b', 1.50, 's', 'x\"é', 'c', array(map('x', true))))", '{"b":1.5,"c":[{"x":true}],"s":"x\\"é"}'),
    ("variant_get(to_variant_object(array(1, 2, 3)), '$[1]', 'int')", 2),
]  # fmt: skip


@pytest.mark.parametrize(("expression", "expected"), OBJECTS, ids=[e[:60] for e, _ in OBJECTS])
def test_to_variant_object_gives_spark_s_text(
    con: duckdb.DuckDBPyConnection, expression: str, expected: Any
) -> None:
    assert value(con, expression) == expected


@pytest.mark.parametrize(
    "expression",
    ["to_variant_object(array(1.5d))", "to_variant_object(map(1, 2))", "to_variant_object(1)",
     "to_variant_object(array(DATE'2024-01-01'))"],
)  # fmt: skip
def test_to_variant_object_of_other_types_is_refused_when_run(
    con: duckdb.DuckDBPyConnection, expression: str
) -> None:
    with pytest.raises(duckdb.Error, match=r"IDU_REFUSED\] to_variant_object"):
        value(con, expression)


def test_schema_of_variant_agg_merges_the_group_s_schemas(con: duckdb.DuckDBPyConnection) -> None:
    sql = "SELECT schema_of_variant_agg(try_parse_json(j)) FROM VALUES ('1'), ('1.5'), ('x'), (NULL) AS t(j)"
    assert con.execute(translate_statement(sql).statements[-1]).fetchall() == [("DECIMAL(21,1)",)]
    sql = "SELECT schema_of_variant_agg(parse_json(j)) FROM VALUES ('1') AS t(j) WHERE false"
    assert con.execute(translate_statement(sql).statements[-1]).fetchall() == [("VOID",)]
