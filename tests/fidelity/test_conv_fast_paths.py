"""conv's fast paths and the canonical id's shortcuts on local Spark and on the embedded engine.

Every boundary a shortcut draws (conv_macros.py, plain_args.py, hex_text.py) with inputs on both
sides of it: 15 and 16 hex digits, 18 and 19 decimal digits, leading zeros, signs, spaces, invalid
digits, NULL and empty text, 2^63-1, -2^63 and negative XOR results; each conv both on a column
(the macros that copy a plain argument) and on ``concat(s, '')`` (the macros that bind it); unhex
of even and odd hex, base64 of 57 bytes and more. One wide query per table on each side, and one
query per input Spark fails on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.macros import install_macros
from airflow_idu.engines.duckdb.translate import translate_statement

pytestmark = pytest.mark.spark

# text no conv from base 16 overflows on (at most 16 significant hex digits)
HEX = [
    "", " ", "0", "00", "-0", "f", "F", "fffffffffffffff", "ffffffffffffffff", "7fffffffffffffff",
    "8000000000000000", "000000000000000ff", "0123456789abcdef0", "123456789abcdef", "-1", "-ff",
    "-8000000000000000", "-8000000000000001", "-ffffffffffffffff", " 1f ", "\t1f", "1fz", "z", "zz",
    "1_0", "+5", "\uff41", "é1", "0x1f", "1e3", "0000000000000001", "fffffffffffffffe", "8000000000000001",
    "00000000000000000", None,
]  # fmt: skip
_BIG_DECIMALS = ("9223372036854775808", "18446744073709551615")
# text no conv from base 10 overflows on (below 2^64)
DECIMAL = [
    "", " ", "0", "-0", "5", "123456789012345678", "999999999999999999", "1000000000000000000",
    "9223372036854775807", "9223372036854775808", "18446744073709551615", "-1", "-9223372036854775808",
    "-9223372036854775809", "-18446744073709551615", "0000000000000000000000012", " 12 ", "\t12", "12z",
    "z", "1_0", "+5", "١٢", "1e3", "12.5", None,
]  # fmt: skip
INTEGERS = [0, 1, -1, 5, -5, 255, 2**31 - 1, -(2**31), 2**62, 2**63 - 1, -(2**63), -(2**63) + 1, None]


def _both(template: str) -> list[str]:
    """The expression on the column (a plain argument) and on concat(s, '') (a bound one)."""
    return [template.format(s="s"), template.format(s="concat(s, '')")]


HEX_EXPRESSIONS = [
    *_both("conv({s}, 16, 10)"), *_both("conv({s}, 16, -10)"), *_both("conv({s}, 16, 16)"),
    *_both("CAST(conv({s}, 16, -10) AS BIGINT)"), *_both("upper(conv({s}, 16, 16))"),
    "upper(conv(s, 16, 36))",
    "hex(unhex(lpad(conv(s, 16, 16), 8, '0') || rpad(conv(s, 16, 10), 6, 'f')))",
    "hex(unhex(lpad(conv(s, 16, 16), 7, '0')))",
    "hex(unhex(lpad(conv(s, 16, 16), 4, '0')))",
    "base64(unhex(lpad(conv(s, 16, 16), 112, '0')) || unhex(substr(s, 1, 2)))",
    "base64(unhex(lpad(conv(s, 16, 16), 114, '0')) || unhex(substr(s, 1, 2)))",
    "base64(unhex(lpad(conv(s, 16, 16), 16, '0')) || unhex(substr(concat(s, 'ab'), 1, 2)))",
]  # fmt: skip
DECIMAL_EXPRESSIONS = [
    *_both("conv({s}, 10, 10)"), *_both("conv({s}, 10, -10)"), *_both("conv({s}, 10, 16)"),
    *_both("CAST(conv({s}, 10, -10) AS BIGINT)"),
]  # fmt: skip
# below 2^63 read unsigned: CAST(conv(s, b, 10) AS BIGINT) is defined
SMALL_HEX = [
    h
    for h in HEX
    if h is None or not (h.strip().startswith("-") or (h.startswith(("f", "8")) and len(h) == 16))
]
SMALL_DECIMAL = [d for d in DECIMAL if d is None or not (d.strip().startswith("-") or d in _BIG_DECIMALS)]
INTEGER_EXPRESSIONS = [
    "conv(i, 10, 16)", "conv(i ^ 0, 10, 16)", "conv(i ^ -1, 10, 16)", "conv(i + 0, 10, 16)",
    "conv(CAST(i % 1000 AS INT) ^ 7, 10, 16)", "conv(i, 10, 10)", "conv(i, 10, -10)",
    "lpad(conv(i ^ 12345, 10, 16), 8, '0')", "upper(conv(~i, 10, 16))", "conv(i & 255, 10, 16)",
    "conv(i | 1, 10, 16)", "conv(CAST(i % 100 AS TINYINT) ^ CAST(1 AS TINYINT), 10, 16)",
    # an integer operator printed first (as generated canonical ids do): the same text for conv
    "conv(CAST(i ^ 12345 AS STRING), 10, 16)", "lpad(conv(CAST(i ^ -1 AS STRING), 10, 16), 16, '0')",
    "conv(CAST(CAST(i % 100 AS TINYINT) ^ CAST(1 AS TINYINT) AS STRING), 10, 16)",
    "conv(CAST(~i AS STRING), 10, 16)", "conv(CAST(i AS STRING), 10, 16)",
]  # fmt: skip
# Spark fails on each (overflow past 64 bits, a CAST past BIGINT); DuckDB must fail too
FAILING = [
    *_both("conv({s}, 16, 10)"), *_both("conv({s}, 10, 16)"), *_both("CAST(conv({s}, 16, 10) AS BIGINT)"),
]  # fmt: skip
FAILING_INPUTS = ["10000000000000000", "18446744073709551616", "ffffffffffffffff", "-1"]

TABLES = {
    "hex_in": (HEX, HEX_EXPRESSIONS),
    "dec_in": (DECIMAL, DECIMAL_EXPRESSIONS),
    "small_hex": (SMALL_HEX, _both("CAST(conv({s}, 16, 10) AS BIGINT)")),
    "small_dec": (SMALL_DECIMAL, _both("CAST(conv({s}, 10, 10) AS BIGINT)")),
}


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    install_macros(connection)
    for table, (values, _) in TABLES.items():
        connection.execute(f"CREATE TABLE {table} (k INTEGER, s VARCHAR)")
        connection.executemany(f"INSERT INTO {table} VALUES (?, ?)", list(enumerate(values)))
    connection.execute("CREATE TABLE int_in (k INTEGER, i BIGINT)")
    connection.executemany("INSERT INTO int_in VALUES (?, ?)", list(enumerate(INTEGERS)))
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def views(spark: Any) -> None:
    for table, (values, _) in TABLES.items():
        spark.createDataFrame(list(enumerate(values)), "k INT, s STRING").createOrReplaceTempView(table)
    spark.createDataFrame(list(enumerate(INTEGERS)), "k INT, i BIGINT").createOrReplaceTempView("int_in")


def _compare(spark: Any, con: duckdb.DuckDBPyConnection, table: str, expressions: list[str]) -> None:
    sql = f"SELECT k, {', '.join(expressions)} FROM {table} ORDER BY k"
    expected = [tuple(r) for r in spark.sql(sql).collect()]
    found = con.execute(translate_statement(sql).statements[-1]).fetchall()
    bad = [
        (e[0], expressions[i - 1], e[i], f[i])
        for e, f in zip(expected, found, strict=True)
        for i in range(1, len(e))
        if e[i] != f[i] or type(e[i]) is not type(f[i])
    ]
    assert len(expected) == len(found) and not bad, bad
    assert sum(v is not None for r in expected for v in r[1:]) > len(expected)  # values, not only NULLs


@pytest.mark.parametrize("table", [*TABLES, "int_in"])
def test_conv_and_the_canonical_id_shortcuts_match_spark(
    spark: Any, con: duckdb.DuckDBPyConnection, views: None, table: str
) -> None:
    _compare(spark, con, table, TABLES[table][1] if table in TABLES else INTEGER_EXPRESSIONS)


@pytest.mark.parametrize("number", FAILING_INPUTS)
def test_conv_fails_where_spark_fails(spark: Any, con: duckdb.DuckDBPyConnection, number: str) -> None:
    failed = 0
    for expression in FAILING:
        sql = f"SELECT {expression} FROM (SELECT '{number}' AS s) t"
        try:
            expected = [tuple(r) for r in spark.sql(sql).collect()]
        except Exception:
            failed += 1
            with pytest.raises(duckdb.Error):
                con.execute(translate_statement(sql).statements[-1]).fetchall()
        else:
            assert con.execute(translate_statement(sql).statements[-1]).fetchall() == expected, expression
    assert failed >= 2  # each input fails in both the copying and the binding macro
