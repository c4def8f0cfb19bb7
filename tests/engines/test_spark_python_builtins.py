"""The Python functions behind try_to_date/try_to_timestamp, conv, json_array_length/json_object_keys,
format_number and floor/ceil with a scale, on values whose Spark result was read from local Spark
(tests/fidelity compares them on the whole input table)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
import pytest

from airflow_idu.engines.duckdb.macros import install_macros
from airflow_idu.engines.duckdb.spark_compat.datetime_parsing import (
    spark_string_to_date,
    spark_string_to_timestamp,
)
from airflow_idu.engines.duckdb.spark_compat.json_functions import json_array_length, json_object_keys
from airflow_idu.engines.duckdb.spark_compat.number_conversion import conv
from airflow_idu.engines.duckdb.spark_compat.number_format import format_number
from airflow_idu.engines.duckdb.spark_compat.scaled_rounding import round_to_scale
from airflow_idu.engines.duckdb.translate import translate_statement


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024", date(2024, 1, 1)),
        (" 2024-03 ", date(2024, 3, 1)),
        ("2024-03-05T99", date(2024, 3, 5)),
        ("2024-1-1", date(2024, 1, 1)),
        ("2024-001-1", None),
        ("2024-01-01\t12", None),
        ("2024-02-30", None),
        ("123", None),
    ],
)
def test_spark_string_to_date(text: str, expected: date | None) -> None:
    assert spark_string_to_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-3-5 1:2:3", datetime(2024, 3, 5, 1, 2, 3)),
        ("2024-02-29 05", datetime(2024, 2, 29, 5)),
        ("2024-03-05T12:34:56.123456789", datetime(2024, 3, 5, 12, 34, 56, 123456)),
        ("2024-03-05 12:34:56+01:00", datetime(2024, 3, 5, 11, 34, 56)),
        ("2024-03-05 24:00:00", None),
        ("abc", None),
    ],
)
def test_spark_string_to_timestamp(text: str, expected: datetime | None) -> None:
    assert spark_string_to_timestamp(text) == expected


@pytest.mark.parametrize("text", ["12:34", "T12:34", "-2024-03-05", "2024-03-05 12:34:56 Europe/Paris"])
def test_what_the_engine_cannot_model_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="IDU_REFUSED"):
        spark_string_to_timestamp(text)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("-10", 10, -10), "-10"),
        (("-10", 10, 10), "18446744073709551606"),
        (("18446744073709551615", 10, -10), "-1"),
        (("-", 10, 10), "0"),
        ((" 12 ", 10, 2), "1100"),
        (("zz", 36, -2), "10100001111"),
        (("-9223372036854775808", 10, 10), "18446744073709551615"),
        (("-9223372036854775809", 10, -10), "-9223372036854775807"),
        (("100", 10, 37), None),
        (("\t12", 10, 10), "0"),
    ],
)
def test_conv_every_base(args: tuple[str, int, int], expected: str | None) -> None:
    assert conv(*args) == expected


def test_conv_overflow_raises() -> None:
    with pytest.raises(ValueError, match="ARITHMETIC_OVERFLOW"):
        conv("18446744073709551616", 10, 16)


def test_json_reading() -> None:
    assert json_array_length('[1,2,3,{"f1":1,"f2":[5,6]},4]') == 5
    assert json_array_length("[1,2") is None
    assert json_array_length('["x\ty"]') == 1  # Spark's Jackson allows control characters
    assert json_array_length("[1,2] trailing") == 2  # the rest is never read
    assert json_object_keys('{"a":{"b":1},"a":2}') == ["a", "a"]
    assert json_object_keys("[1]") is None


def test_format_number_and_scaled_rounding() -> None:
    assert format_number("12332.123456", 4) == "12,332.1235"
    assert format_number("-0.001", 2) == "-0.00"
    assert format_number("2.5", 0) == "2"
    assert format_number("1", -1) is None
    assert round_to_scale("3.1411", 3, True) == "3.142"
    assert round_to_scale("3.1411", -3, True) == "1000"
    assert round_to_scale("-99999999.99", -9, False) == "-1000000000"


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    install_macros(connection)  # the session settings, the Python functions and the macros
    return connection


@pytest.mark.parametrize(
    ("spark_sql", "expected"),
    [
        ("try_to_date('2016-12-31 xx')", date(2016, 12, 31)),
        ("try_to_timestamp('foo', 'yyyy-MM-dd')", None),
        ("make_timestamp(2019, 6, 30, 23, 59, 60)", datetime(2019, 7, 1)),
        ("try_make_timestamp(2019, 2, 30, 23, 59, 1)", None),
        (
            "to_utc_timestamp(TIMESTAMP'2024-11-03 01:30:00', 'America/New_York')",
            datetime(2024, 11, 3, 5, 30),
        ),
        ("from_utc_timestamp('2016-08-31', 'Asia/Seoul')", datetime(2016, 8, 31, 9)),
        ("conv('zz', 36, 16)", "50F"),
        ("floor(3.1411, -3)", 0),
        ("format_string('%s-%d%%', 'a', 7)", "a-7%"),
        ("to_char(45, '099')", "045"),
        ("try_to_number(' 4 5', '999')", 45),
        ('get_json_object(\'{"a":[{"b":"x\\\\ny"}]}\', \'$.a[0]\')', '{"b":"x\\ny"}'),
        ("to_json(map('k', 1, 'n', CAST(NULL AS INT)))", '{"k":1,"n":null}'),
        ("make_dt_interval(-1, 1)", timedelta(days=-1, hours=1)),
        ("mode() WITHIN GROUP (ORDER BY x DESC) FROM (VALUES (1), (2), (2), (3), (3)) AS t(x)", 3),
    ],
)
def test_translated_calls(con: duckdb.DuckDBPyConnection, spark_sql: str, expected: object) -> None:
    [sql] = translate_statement(f"SELECT {spark_sql}").statements
    assert con.execute(sql).fetchone() == (expected,)
