"""Spark's TIME functions on the embedded engine, edge by edge, against local Spark (TIME type on).

Each case is one expression: Spark and DuckDB give the same value of the same type, or both raise
(ANSI), or the embedded engine refuses it (at translation, or ``[IDU_REFUSED]`` when run).
tests/fidelity/test_functions.py runs the same functions over the whole input table.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.spark_compat.time_type import ENABLED_ENV
from tests.fidelity.function_harness import TIME_TYPE, load_duckdb, translate
from tests.fidelity.harness import RUNTIME_REFUSAL
from tests.fidelity.values import duck_type, duck_type_of_spark, norm

CASES: dict[str, str] = {
    # make_time: INT hour and minute, DECIMAL(16,6) seconds rounded half up
    "make_time-example": "make_time(6, 30, 45.887)",
    "make_time-null": "make_time(NULL, 30, 0)",
    "make_time-seven-decimals-rounded": "make_time(6, 30, 45.1234567)",
    "make_time-rounds-to-60-raises": "make_time(6, 30, 59.9999999)",
    "make_time-just-below-60": "make_time(6, 30, 59.9999994)",
    "make_time-tiny-negative-rounds-to-0": "make_time(6, 30, -0.0000001)",
    "make_time-second-60-raises": "make_time(6, 30, 60)",
    "make_time-hour-24-raises": "make_time(24, 0, 0)",
    "make_time-minute-60-raises": "make_time(6, 60, 0)",
    "make_time-negative-hour-raises": "make_time(-1, 0, 0)",
    "make_time-bigint-overflow-raises": "make_time(2147483648L, 0, 0)",
    "make_time-bigints": "make_time(6L, 30L, 1L)",
    "make_time-string-hour": "make_time('6', 30, 1)",
    "make_time-double-seconds": "make_time(6, 30, 1.5D)",
    # time_from_*: [0, one day) or an error; seconds truncated to microseconds
    "from_seconds-decimal": "time_from_seconds(52200.5)",
    "from_seconds-last": "time_from_seconds(86399.999999)",
    "from_seconds-truncated": "time_from_seconds(1.2345678)",
    "from_seconds-nanos-below-day": "time_from_seconds(86399.9999999)",
    "from_seconds-one-day-raises": "time_from_seconds(86400)",
    "from_seconds-negative-raises": "time_from_seconds(-1)",
    "from_seconds-tiny-negative-raises": "time_from_seconds(-0.0000001)",
    "from_seconds-bigint-max-raises": "time_from_seconds(9223372036854775807L)",
    "from_seconds-tinyint": "time_from_seconds(CAST(3 AS TINYINT))",
    "from_seconds-double": "time_from_seconds(1.5D)",
    "from_millis-last": "time_from_millis(86399999)",
    "from_millis-half": "time_from_millis(52200500)",
    "from_millis-one-day-raises": "time_from_millis(86400000)",
    "from_millis-bigint-max-raises": "time_from_millis(9223372036854775807L)",
    "from_micros-last": "time_from_micros(86399999999)",
    "from_micros-negative-raises": "time_from_micros(-1)",
    "from_millis-null": "time_from_millis(NULL)",
    # time_to_*
    "to_seconds": "time_to_seconds(TIME'14:30:00.5')",
    "to_seconds-last": "time_to_seconds(TIME'23:59:59.999999')",
    "to_seconds-null": "time_to_seconds(NULL)",
    "to_millis-floor": "time_to_millis(TIME'23:59:59.999999')",
    "to_micros": "time_to_micros(TIME'00:00:00.000001')",
    # to_time / try_to_time and the cast: Spark's reading of a string
    "to_time-example": "to_time('00:12:00')",
    "to_time-one-digit-fields": "to_time('1:2')",
    "to_time-seconds-one-digit": "to_time('01:02:3')",
    "to_time-fraction-truncated": "to_time('01:02:03.1234567')",
    "to_time-trimmed": "to_time(' 01:02 ')",
    "to_time-empty-fraction": "to_time('12:00:00.')",
    "to_time-hour-24-raises": "to_time('24:00:00')",
    "to_time-hour-only-raises": "to_time('12')",
    "to_time-minute-60-raises": "to_time('12:60')",
    "to_time-date-raises": "to_time('2024-01-01 12:00:00')",
    "to_time-zone-raises": "to_time('12:00:00Z')",
    "to_time-three-hour-digits-raises": "to_time('001:02:03')",
    "to_time-format-example": "to_time('12.10.05', 'HH.mm.ss')",
    "to_time-format-one-digit": "to_time('7:5', 'H:m')",
    "to_time-format-short-fraction": "to_time('12:00:00.12', 'HH:mm:ss.SSS')",
    "to_time-format-two-digits-raises": "to_time('1:00', 'HH:mm')",
    "to_time-format-extra-text-raises": "to_time('12:00:00', 'HH:mm')",
    "to_time-format-adjacent": "to_time('1200', 'HHmm')",
    "to_time-format-minutes-seconds": "to_time('12:30', 'mm:ss')",
    "to_time-format-null": "to_time('12:00', NULL)",
    "to_time-format-ampm": "to_time('12:00:00 PM', 'hh:mm:ss a')",
    "try_to_time-example": "try_to_time('12.10.05.999999', 'HH.mm.ss.SSSSSS')",
    "try_to_time-bad-text": "try_to_time('foo', 'HH:mm:ss')",
    "try_to_time-fraction-too-long": "try_to_time('12:00:00.1234', 'HH:mm:ss.SSS')",
    "try_to_time-hour-25": "try_to_time('25:00')",
    "try_to_time-no-untrimmed-with-format": "try_to_time(' 12:00', 'HH:mm')",
    "try_to_time-nine-fraction-digits": "try_to_time('12:00:00.123456789', 'HH:mm:ss.SSSSSSSSS')",
    "cast-control-characters-trimmed": "CAST('\t12:00\n' AS TIME)",
    "cast-ten-fraction-digits": "CAST('12:00:00.0000000001' AS TIME)",
    "cast-single-digit-minute": "CAST('12:5' AS TIME)",
    "cast-bad-raises": "CAST('12:00:00.1 2' AS TIME)",
    "try_cast-bad": "TRY_CAST('25:00' AS TIME)",
    "cast-t-prefix": "CAST('T01:02:03' AS TIME)",
    "cast-timestamp": "CAST(TIMESTAMP'2024-01-01 12:34:56.789' AS TIME)",
    "cast-time-3": "CAST(TIME'12:34:56.789123' AS TIME(3))",
    "time-function": "time('12:34')",
    "literal-seven-digits": "TIME'12:34:56.1234567'",
    # time_trunc / time_diff
    "trunc-hour": "time_trunc('HOUR', TIME'09:32:05.359')",
    "trunc-minute-lower-case": "time_trunc('minute', TIME'09:32:05.359')",
    "trunc-millisecond": "time_trunc('MILLISECOND', TIME'09:32:05.123456')",
    "trunc-microsecond": "time_trunc('MICROSECOND', TIME'09:32:05.123456')",
    "trunc-string-time": "time_trunc('HOUR', '09:32:05')",
    "trunc-day-raises": "time_trunc('DAY', TIME'09:32:05.359')",
    "trunc-null-unit": "time_trunc(NULL, TIME'09:32:05.359')",
    "diff-hour-truncated": "time_diff('HOUR', TIME'20:30:29', TIME'21:30:28')",
    "diff-negative-truncated": "time_diff('SECOND', TIME'20:30:29.5', TIME'12:00:00')",
    "diff-millisecond": "time_diff('MILLISECOND', TIME'20:30:29.5009', TIME'12:00:00')",
    "diff-whole-day": "time_diff('MICROSECOND', TIME'00:00', TIME'23:59:59.999999')",
    "diff-string": "time_diff('second', TIME'20:30:29', '12:00:00')",
    "diff-plural-unit-raises": "time_diff('minutes', TIME'20:30:29', TIME'12:00:00')",
    # a TIME value elsewhere
    "cast-to-string-trailing-zeros": "CAST(TIME'12:34:56.000100' AS STRING)",
    "cast-to-string-whole": "CAST(make_time(6, 30, 0) AS STRING)",
    "concat": "concat('x', TIME'09:00:00.5')",
    "compare": "TIME'12:00' < TIME'13:00'",
    "equal-string": "TIME'12:00' = '12:00:00'",
    "greatest": "greatest(TIME'12:00', make_time(13, 0, 0))",
}


@pytest.fixture(scope="module")
def timed_spark(spark: Any) -> Iterator[Any]:
    """Spark with its TIME type on, and the engine mirroring that setting."""
    before = spark.conf.get(TIME_TYPE, "false")
    spark.conf.set(TIME_TYPE, "true")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENABLED_ENV, "true")
        try:
            yield spark
        finally:
            spark.conf.set(TIME_TYPE, before)


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = load_duckdb()
    try:
        yield connection
    finally:
        connection.close()


def _on_spark(spark: Any, expression: str) -> tuple[str, Any] | str:
    try:
        frame = spark.sql(f"SELECT {expression} AS c")
        value = frame.collect()[0][0]
    except Exception as exc:
        return f"error: {str(exc).strip().splitlines()[0][:160]}"
    return duck_type_of_spark(frame.schema.fields[0].dataType.simpleString()), norm(value)


def _on_duckdb(con: duckdb.DuckDBPyConnection, expression: str) -> tuple[str, Any] | str:
    statements, refusal = translate(f"SELECT {expression} AS c")
    if refusal:
        return "refused"
    try:
        cursor = con.execute(statements[-1])
        value = cursor.fetchall()[0][0]
    except duckdb.Error as exc:
        return "refused" if RUNTIME_REFUSAL in str(exc) else f"error: {str(exc).splitlines()[0][:160]}"
    return duck_type(str(cursor.description[0][1])), norm(value)


@pytest.mark.parametrize("expression", list(CASES.values()), ids=list(CASES))
def test_time_function_is_spark_s_or_refused(
    timed_spark: Any, con: duckdb.DuckDBPyConnection, expression: str
) -> None:
    mine = _on_duckdb(con, expression)
    if mine == "refused":
        return
    spark = _on_spark(timed_spark, expression)
    if isinstance(mine, str) or isinstance(spark, str):
        assert isinstance(mine, str) and isinstance(spark, str), f"Spark {spark}, DuckDB {mine}"
        return
    assert mine == spark
