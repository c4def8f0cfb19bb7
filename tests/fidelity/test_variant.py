"""The VARIANT functions (spark_compat/variant.py) on local Spark and on the embedded engine.

Spark's text of ``parse_json(j)`` (its ``to_json``, Spark's own printer) against the engine's value
over JSON edge texts; ``parse_json`` raises on the engine exactly where Spark's ``try_parse_json`` is
NULL. ``try_variant_get`` over each (text, path, type), and ``variant_get`` raises on the engine
exactly where Spark's cast fails (its ``try_`` value NULL though the path finds a non-null value).
A row the engine refuses (``[IDU_REFUSED]``) is skipped, and must be one the rules refuse.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.spark_compat.variant import _parse_json
from airflow_idu.engines.duckdb.spark_compat.variant_cast import variant_get
from airflow_idu.engines.duckdb.spark_compat.variant_values import REFUSED
from airflow_idu.engines.duckdb.translate import translate_statement

pytestmark = pytest.mark.spark

TEXTS = [
    '{"b":1,"a":0.8}', "[1.0, -0.0, 1.50, 100, 0.000001, 100.00]", "0", "-0", "-45", " 42 ", "\t7\n", "1.5",
    "9223372036854775807", "9223372036854775808", "-9223372036854775809", "99999999999999999999",
    "12345678901234567890123456789012345678", "0.00000000000000000000000000000000000001", "-12.340",
    '"a\\u0001\\b\\f\\u001f\\u007f\\t\\n\\r\\"/\\\\é😀\\u2028"', '"\\ud83d\\ude00"', '""', "null", "true",
    "false", "[]", "{}", '{"":null,"B":true,"a":{"d":[],"c":{}},"b":1,"é":false,"\\uffff":1,"😀":2}',
    '{"a":1,"a":2}', "01", "1.", ".5", "+1", "NaN", "Infinity", "-", "tru", "[1,]", "[1,2", "{'a':1}", "",
    " ", "abc", "2024-03-05", '"x\ty"', '"\\a"', '"\\u12"', "[1]]", '{"a":{"b":[1,{"c":"d"}]}}',
    '{"a b":1,"a.b":2,"x":[1,"2",true,null,1.75,-3,"yes","7","1.5"," 7"]}', "1e0", "[1, 2] x", "123456.789",
]  # fmt: skip


def _engine(con: duckdb.DuckDBPyConnection, expression: str, **values: Any) -> tuple[Any, str]:
    """The engine's value of ``SELECT expression`` with ``values`` as literal columns, or its error."""
    select = ", ".join(f"{_literal(v)} AS {k}" for k, v in values.items())
    [sql] = translate_statement(f"SELECT {expression} FROM (SELECT {select}) AS t").statements[-1:]
    try:
        return con.execute(sql).fetchone()[0], ""  # type: ignore[index]
    except duckdb.Error as exc:
        return None, str(exc)


def _refused(text: str) -> bool:
    try:
        _parse_json(text, True)
    except ValueError:
        return True
    return False


def _literal(value: Any) -> str:
    return "NULL" if value is None else "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


@pytest.mark.beyond_test  # about 30 s: a translation per text
def test_parse_json_gives_spark_s_text_and_raises_where_spark_does(spark: Any, engine: Any) -> None:
    spark.createDataFrame([(n, t) for n, t in enumerate(TEXTS)], "n INT, j STRING").createOrReplaceTempView(
        "vj"
    )
    found = {r[0]: r[1] for r in spark.sql("SELECT n, to_json(try_parse_json(j)) FROM vj").collect()}
    refused = 0
    for n, text in enumerate(TEXTS):
        value, error = _engine(engine, "try_parse_json(j)", j=text)
        _, raised = _engine(engine, "parse_json(j)", j=text)
        if REFUSED in error or REFUSED in raised:
            refused += 1
            continue
        assert (value, bool(raised)) == (found[n], found[n] is None), (text, error, raised)
    assert refused <= 4  # the DOUBLE, the text after a value


PATHS = ["$", "$.a", "$.x", "$.x[0]", "$.x[1]", "$.x[2]", "$.x[3]", "$.x[4]", "$.x[5]", "$.x[6]", "$.x[7]",
         "$.x[8]", "$.x[9]", "$.x[10]", "$['a b']", '$["a.b"]', "$.a.b[1].c", "$.a.b[1]", "$[0]", "$[01]",
         "$.*", "$['']", "$.a.b"]  # fmt: skip
TYPES = [
    "string",
    "int",
    "tinyint",
    "bigint",
    "boolean",
    "decimal(5,2)",
    "decimal(3,0)",
    "decimal(38,1)",
    "double",
]


def _python(text: str, path: str, target: str, is_try: bool) -> tuple[Any, str]:
    """What the engine's Python function answers (the engine's SQL casts its text to the type)."""
    try:
        value = variant_get(_parse_json(text, True), path, target, is_try)
    except ValueError as exc:
        return None, str(exc) or "error"
    if value is None or target in ("string", "variant"):
        return value, ""
    if target == "boolean":
        return value == "true", ""
    if target == "double":
        return float(value), ""
    return (Decimal(value) if target.startswith("decimal") else int(value)), ""


@pytest.mark.beyond_test  # about 20 s
def test_variant_get_casts_like_spark(spark: Any, engine: Any) -> None:
    texts = [t for t in TEXTS if t not in ("1e0", "[1, 2] x")]
    rows = [(n, t, p) for n, (t, p) in enumerate((t, p) for t in texts for p in PATHS)]
    spark.createDataFrame(rows, "n INT, j STRING, p STRING").createOrReplaceTempView("vg")
    columns = ", ".join(
        [f"try_variant_get(try_parse_json(j), p, '{t}')" for t in TYPES]
        + ["to_json(try_variant_get(try_parse_json(j), p))"]
    )
    found = {r[0]: r[1:] for r in spark.sql(f"SELECT n, {columns} FROM vg").collect()}
    compared = 0
    for n, text, path in rows:
        *typed, variant = found[n]
        for target, expected in [*zip(TYPES, typed, strict=True), ("variant", variant)]:
            value, error = _python(text, path, target, True)
            if REFUSED in error:
                continue
            assert (value, error) == (expected, ""), (text, path, target)
            fails = expected is None and variant is not None and variant != "null"
            _, raised = _python(text, path, target, False)
            assert bool(raised) == fails and REFUSED not in raised, (text, path, target, raised)
            compared += 1
            if path in ("$", "$.x[4]") and target in (
                "int",
                "decimal(5,2)",
                "double",
                "variant",
            ):  # and through SQL
                suffix = f", '{target}'" if target != "variant" else ""
                sql = f"try_variant_get(try_parse_json(j), p{suffix})"
                assert _engine(engine, sql, j=text, p=path) == (expected, ""), (text, path, target)
                assert bool(_engine(engine, "variant_get" + sql[15:], j=text, p=path)[1]) == fails
    assert compared > 0.9 * len(rows) * (len(TYPES) + 1)


@pytest.mark.parametrize("path", ["a", "$.", "$ .a", "$[-1]", "$['a'", "$[*]", "$[2147483648]", "$..a", ""])
def test_an_invalid_path_raises_on_both(spark: Any, engine: Any, path: str) -> None:
    with pytest.raises(Exception, match="INVALID_VARIANT_GET_PATH"):
        spark.sql(
            f"SELECT try_variant_get(parse_json('1'), p, 'int') FROM VALUES ({_literal(path)}) t(p)"
        ).collect()
    _, error = _engine(engine, "try_variant_get(parse_json('1'), p, 'int')", p=path)
    assert "invalid path" in error


EDIT_TEXTS = [
    '{"a":1}',
    '{"a":{"b":1}}',
    '{"a":[1,[2]],"b":null}',
    "[1,2]",
    '["a",{"b":[]}]',
    "null",
    "3",
    "[]",
    "{}",
]
EDIT_PATHS = ["$", "$.a", "$.b", "$.a.b", "$.a.c.d", "$.a[0]", "$.a[1]", "$.a[1][0]", "$.a[5]", "$[0]", "$[1]",
              "$[1].b", "$[2]", "$[4].x", "$.b.c", "$['a']"]  # fmt: skip
EDITS = ["try_variant_set({v}, p, 7)", "try_variant_set({v}, p, 'z', false)", "try_variant_insert({v}, p, 7)",
         "try_variant_array_append({v}, p, 7)", "try_variant_set({v}, p, parse_json('[null]'))",
         "variant_delete({v}, p)", "variant_delete({v}, p, '$.a')", "variant_strip_nulls({v})"]  # fmt: skip


def _rooted(edit: str) -> bool:
    """Whether the edit takes ``$`` alone as its path (else that path raises, in ``try_`` forms too)."""
    return "append" in edit or "strip" in edit


@pytest.mark.beyond_test  # about 25 s
def test_editing_functions_edit_like_spark(spark: Any, engine: Any) -> None:
    """Each edit over each (text, path) on Spark (``to_json``) and on the engine's SQL; ``$`` alone
    raises on both where Spark does not take it; a ``try_`` form's non-``try_`` twin raises on the
    engine exactly where it gives NULL."""
    rows = [(n, t, p) for n, (t, p) in enumerate((t, p) for t in EDIT_TEXTS for p in EDIT_PATHS)]
    spark.createDataFrame(rows, "n INT, j STRING, p STRING").createOrReplaceTempView("ve")
    engine.execute("CREATE OR REPLACE TABLE ve (n INTEGER, j VARCHAR, p VARCHAR)")
    engine.executemany("INSERT INTO ve VALUES (?, ?, ?)", rows)
    for edit in EDITS:
        expression = edit.format(v="parse_json(j)")
        where = "" if _rooted(edit) else " WHERE p <> '$'"
        query = f"SELECT n, to_json({expression}) FROM ve{where}"
        found = dict(spark.sql(query).collect())
        query = f"SELECT n, {expression} FROM ve{where}"
        assert dict(engine.execute(translate_statement(query).statements[-1]).fetchall()) == found, edit
        if not _rooted(edit):
            with pytest.raises(Exception, match="INVALID_VARIANT_PATH"):
                spark.sql(f"SELECT {expression} FROM ve WHERE p = '$' LIMIT 1").collect()
            assert _engine(engine, expression, j=EDIT_TEXTS[0], p="$")[1]
        for n, text, path in rows:
            if edit.startswith("try_") and n in found and found[n] is None:
                assert _engine(engine, expression.removeprefix("try_"), j=text, p=path)[1], (edit, text, path)


SCHEMA_TEXTS = [
    "[1, 1.5]", "[1.25, 1.5]", "[1, null]", '[{"a":1}, {"b":2}]', '[{"a":1}, {"a":"x"}]', "[[1],[null]]",
    "[1.5, 100]", "[99999999999999999999.5, 1]", "[0.00000000000000000000000000000000000001, 1000]",
    "[0.00000000000000000000000000000000000001, 1000, 2.5]", '{"a b":1, "c":[{"x":1.5},{"x":2}]}', "[[],[1]]",
    '[{},{"a":1}]', "[null]", "[true, 1]", '{"1":1,"1a":2,"a`b":3,"_":4,"A_1":5}', "[[1],[[2]]]", '[{"a":[]},{"a":{}}]',
    "[1.0, 2.00]", "[100.00, -0.0]", '["x", "y"]', "[0.5, 12345678901234567890123456789012345.5]",
]  # fmt: skip


def test_schema_of_variant_is_spark_s(spark: Any, engine: Any) -> None:
    texts = [t for t in TEXTS + SCHEMA_TEXTS if not _refused(t)]
    spark.createDataFrame(list(enumerate(texts)), "n INT, j STRING").createOrReplaceTempView("vs")
    found = dict(spark.sql("SELECT n, schema_of_variant(try_parse_json(j)) FROM vs").collect())
    engine.execute("CREATE OR REPLACE TABLE vs (n INTEGER, j VARCHAR)")
    engine.executemany("INSERT INTO vs VALUES (?, ?)", list(enumerate(texts)))
    sql = translate_statement("SELECT n, schema_of_variant(try_parse_json(j)) FROM vs").statements[-1]
    assert dict(engine.execute(sql).fetchall()) == found


def test_schema_of_variant_agg_is_spark_s(spark: Any, engine: Any) -> None:
    texts = [t for t in SCHEMA_TEXTS + TEXTS if not _refused(t)]
    spark.createDataFrame(list(enumerate(texts)), "n INT, j STRING").createOrReplaceTempView("va")
    engine.execute("CREATE OR REPLACE TABLE va (n INTEGER, j VARCHAR)")
    engine.executemany("INSERT INTO va VALUES (?, ?)", list(enumerate(texts)))
    for groups in (3, 9, 29):  # the schemas merged over a few rows each, and over many
        query = f"SELECT n % {groups}, schema_of_variant_agg(try_parse_json(j)) FROM va GROUP BY n % {groups}"
        found = dict(spark.sql(query).collect())
        assert dict(engine.execute(translate_statement(query).statements[-1]).fetchall()) == found


@pytest.mark.beyond_test  # a few seconds
def test_variant_get_to_double_is_the_nearest_double(spark: Any) -> None:
    """Spark's DECIMAL (and integer) to DOUBLE is correctly rounded, as Python's float of a Decimal:
    the engine's rule, over random DECIMALs of 1 to 38 digits."""
    rng = random.Random(7)
    texts = []
    for _ in range(3000):
        digits = rng.randint(1, 38)
        scale = rng.randint(0, digits)
        text = str(rng.randint(0, 10**digits - 1)).rjust(scale + 1, "0")
        text = (text[:-scale] + "." + text[-scale:]) if scale else text
        texts.append(("-" if rng.random() < 0.5 else "") + text)
    spark.createDataFrame(list(enumerate(texts)), "n INT, j STRING").createOrReplaceTempView("vd")
    query = "SELECT n, variant_get(parse_json(j), '$', 'double'), variant_get(to_variant_object(array(j)), '$[0]', 'double') FROM vd"
    for n, number, string in spark.sql(query).collect():
        expected = float(_python(texts[n], "$", "double", False)[0])
        assert number == expected == string, texts[n]
