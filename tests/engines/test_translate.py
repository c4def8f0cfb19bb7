"""Databricks -> DuckDB translation: statement rewrites, and results that match Spark semantics."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.translate import (
    COMPAT_MACROS,
    Translation,
    TranslationError,
    translate_statement,
)


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    for macro in COMPAT_MACROS:
        connection.execute(macro)
    return connection


REWRITES = [
    ("use-catalog", "USE CATALOG idu_demo", (), "USE CATALOG is a no-op"),
    ("use-schema", "USE SCHEMA unified", ('CREATE SCHEMA IF NOT EXISTS "unified"', 'USE "unified"'), None),
    (
        "use-database",
        "use database unified",
        ('CREATE SCHEMA IF NOT EXISTS "unified"', 'USE "unified"'),
        None,
    ),
    ("use-bare", "USE `unified`", ('CREATE SCHEMA IF NOT EXISTS "unified"', 'USE "unified"'), None),
    ("use-after-comment", "-- switch\nUSE SCHEMA s", ('CREATE SCHEMA IF NOT EXISTS "s"', 'USE "s"'), None),
    ("optimize", "OPTIMIZE c.s.t ZORDER BY (a)", (), "OPTIMIZE is a no-op"),
    ("vacuum", "VACUUM c.s.t RETAIN 168 HOURS", (), "VACUUM is a no-op"),
    ("analyze", "ANALYZE TABLE c.s.t COMPUTE STATISTICS", (), "ANALYZE TABLE is a no-op"),
    (
        "create-delta",
        "CREATE OR REPLACE TABLE c.s.t (a STRING, b ARRAY<BIGINT>) USING DELTA CLUSTER BY (a)",
        ("CREATE OR REPLACE TABLE s.t (a TEXT, b BIGINT[])",),
        None,
    ),
    (
        "ctas-properties",
        "CREATE TABLE c.s.t USING DELTA PARTITIONED BY (a) TBLPROPERTIES ('x' = 'y') "
        "LOCATION 's3://b/p' AS SELECT 1 AS a",
        ("CREATE TABLE s.t AS SELECT 1 AS a",),
        None,
    ),
    ("rename", "ALTER TABLE c.s.a_tmp RENAME TO c.s.a", ("ALTER TABLE s.a_tmp RENAME TO a",), None),
    ("drop", "DROP TABLE IF EXISTS c.s.t", ("DROP TABLE IF EXISTS s.t",), None),
    (
        "insert-cte",
        "INSERT INTO c.s.t WITH x AS (SELECT 1 AS a) SELECT a FROM x",
        ("INSERT INTO s.t WITH x AS (SELECT 1 AS a) SELECT a FROM x",),
        None,
    ),
    ("two-part-untouched", "SELECT * FROM s.t", ("SELECT * FROM s.t",), None),
    ("xor", "SELECT a ^ b FROM c.s.t", ("SELECT XOR(a, b) FROM s.t",), None),
    ("rlike", "SELECT a RLIKE 'x' FROM t", ("SELECT REGEXP_MATCHES(IDU_TEXT(a), 'x') FROM t",), None),
]


@pytest.mark.parametrize(
    ("sql", "statements", "note"), [c[1:] for c in REWRITES], ids=[c[0] for c in REWRITES]
)
def test_rewrites(sql: str, statements: tuple[str, ...], note: str | None) -> None:
    result = translate_statement(sql)
    assert result.statements == statements
    if note is None:
        assert result.note is None
    else:
        assert result.note is not None and note in result.note


ERRORS = [
    ("unparsable", "SELEC 1 FROM", "SELEC 1 FROM"),
    ("two-statements", "SELECT 1; SELECT 2", "expected exactly one statement"),
    ("unsupported-command", "MSCK REPAIR TABLE c.s.t", "MSCK REPAIR TABLE c.s.t"),
]


@pytest.mark.parametrize(("sql", "message"), [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_errors_name_the_statement(sql: str, message: str) -> None:
    with pytest.raises(TranslationError, match=message.replace("(", r"\(")):
        translate_statement(sql)


def test_translation_is_cached() -> None:
    sql = "SELECT 42 AS cached_probe FROM c.s.t"
    first = translate_statement(sql)
    assert translate_statement(sql) is first
    assert isinstance(first, Translation)


# Spark results of each expression, as Spark 4 returns them (checked on local pyspark).
SEMANTICS: list[tuple[str, str, Any]] = [
    ("sha2", "sha2('abc', 256)", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ("unhex-base64", "base64(unhex('0ffdbcf0c666ce190d'))", "D/288MZmzhkN"),
    ("translate", "translate('a+b/c', '+/', '-_')", "a-b_c"),
    ("xor-signed", "CAST(-1 AS BIGINT) ^ CAST(5 AS BIGINT)", -6),
    ("lpad", "lpad('ff', 4, '0')", "00ff"),
    ("rlike-partial", "'xx123yy' RLIKE '[0-9]{3}'", True),
    ("rlike-anchored", "'123456789' RLIKE '^[0-9]{10,}$'", False),
    ("not-in", "'N/A' NOT IN ('', 'N/A')", False),
    ("escaped-quote", "'it\\'s'", "it's"),
    ("escaped-backslash", "'a\\\\d'", "a\\d"),
    ("int-div", "7 DIV 2", 3),
    ("slash-div", "7 / 2", 3.5),
    ("array-sort-distinct", "array_sort(array_distinct(array(3, 1, 3, 2)))", [1, 2, 3]),
    ("flatten", "flatten(array(array(1, 2), array(2, 3)))", [1, 2, 2, 3]),
    ("array-contains", "array_contains(array(1, 2), 2)", True),
    ("array-join", "array_join(array('a', 'b'), ',')", "a,b"),
    (
        "transform-struct",
        "transform(array_sort(array(struct(2, 'b'), struct(1, 'a'))), x -> x.col2)",
        ["a", "b"],
    ),
    ("concat-null", "concat('a', CAST(NULL AS STRING))", None),
    ("coalesce", "COALESCE(NULL, 'x')", "x"),
]


@pytest.mark.parametrize(("expr", "expected"), [c[1:] for c in SEMANTICS], ids=[c[0] for c in SEMANTICS])
def test_results_match_spark(con: duckdb.DuckDBPyConnection, expr: str, expected: Any) -> None:
    [sql] = translate_statement(f"SELECT {expr} AS v").statements
    assert con.execute(sql).fetchone() == (expected,)


def test_collect_list_skips_nulls_like_spark(con: duckdb.DuckDBPyConnection) -> None:
    [sql] = translate_statement(
        "SELECT array_sort(collect_list(v)) FROM VALUES (1), (NULL), (2) AS t(v)"
    ).statements
    assert con.execute(sql).fetchone() == ([1, 2],)


# -- conv: Spark's unsigned-64 semantics --------------------------------------------


def spark_conv(num: str, from_base: int, to_base: int) -> str | None:
    """Spark's conv for bases 10/16, written from its NumberConverter (and checked on Spark in
    tests/spark): trimmed, optional '-', digits up to the first invalid one, unsigned 64-bit."""
    text = num.strip()
    if not text:
        return None
    negative = text.startswith("-")
    valid = "0123456789abcdefABCDEF"[: 22 if from_base == 16 else 10]
    digits = ""
    for ch in text[1:] if negative else text:
        if ch not in valid:
            break
        digits += ch
    value = int(digits, from_base) if digits else 0
    if value >= 1 << 64:
        raise OverflowError(num)
    if negative:
        value = (1 << 64) - 1 if value >= 1 << 63 else -value % (1 << 64)
    if to_base == -10:
        return str(value - (1 << 64) if value >= 1 << 63 else value)
    return str(value) if to_base == 10 else format(value, "X")


CONV_CASES = [
    ("ffffffffffffffff", 16, -10),
    ("FFFFFFFFFFFFFFFF", 16, 10),
    ("8000000000000000", 16, -10),
    ("7fffffffffffffff", 16, -10),
    ("0", 16, -10),
    ("00000000000000ff", 16, -10),
    ("0ffdbcf0c666ce19", 16, -10),
    ("000000000000000000ff", 16, 10),
    ("-ff", 16, 10),
    ("-ff", 16, -10),
    (" ff", 16, 10),
    ("1z", 16, 10),
    ("zz", 16, -10),
    ("-1", 10, 16),
    ("-5", 10, 16),
    ("0", 10, 16),
    ("-0", 10, 16),
    ("+5", 10, 16),
    ("255", 10, 16),
    ("12a", 10, 16),
    ("-9223372036854775807", 10, 16),
    ("-9223372036854775808", 10, 16),
    ("-9223372036854775809", 10, 16),
    ("9223372036854775807", 10, 16),
    ("18446744073709551615", 10, 16),
    ("-6066", 10, 10),
]


@pytest.mark.parametrize(
    ("num", "from_base", "to_base"), CONV_CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CONV_CASES]
)
def test_conv_macro_matches_spark(
    con: duckdb.DuckDBPyConnection, num: str, from_base: int, to_base: int
) -> None:
    [sql] = translate_statement(f"SELECT conv('{num}', {from_base}, {to_base})").statements
    assert con.execute(sql).fetchone() == (spark_conv(num, from_base, to_base),)


def test_conv_of_null_and_empty_is_null(con: duckdb.DuckDBPyConnection) -> None:
    assert con.execute("SELECT conv(NULL, 16, 10), conv('', 16, 10), conv('  ', 10, 16)").fetchone() == (
        None,
        None,
        None,
    )


@pytest.mark.parametrize("num", ["1ffffffffffffffff", "18446744073709551616"])
def test_conv_overflow_fails_like_spark_ansi(con: duckdb.DuckDBPyConnection, num: str) -> None:
    base = 16 if "f" in num else 10
    with pytest.raises(duckdb.Error, match="conv: overflow"):
        con.execute(f"SELECT conv('{num}', {base}, 10)").fetchall()


def test_conv_on_a_column_mixes_valid_and_invalid_rows(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "SELECT conv(x, 16, -10) FROM (VALUES ('ff'), ('zz'), (NULL), ('8000000000000000')) t(x)"
    ).fetchall()
    assert rows == [("255",), ("0",), (None,), ("-9223372036854775808",)]


def test_conv_rejects_unsupported_bases(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(duckdb.Error, match="conv: only bases"):
        con.execute("SELECT conv('101', 2, 10)").fetchall()
