"""Text cast to DATE or TIMESTAMP is read by Spark's grammar (spark_compat/datetime_casts.py).

DuckDB's own cast read ``2024/03/05`` as a date, ``2024-03-05 24:00:00`` as the next day and the
wall time of ``...T12:34:56+01:00``, and read nothing from ``2024`` or ``2024-03-05T10``. Spark's
values for these texts: the ``*-date-*``/``*-timestamp-*`` rows of tests/fidelity/compositions.py."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.translate import translate_statement


def _text(con: duckdb.DuckDBPyConnection, expression: str) -> Any:
    sql = translate_statement(f"SELECT CAST({expression} AS STRING)").statements[-1]
    return con.execute(sql).fetchone()[0]


VALUES = [
    pytest.param("CAST('2024-03-05' AS DATE)", "2024-03-05", id="date-iso"),
    pytest.param("to_date('2024-03-05 garbage')", "2024-03-05", id="date-text-after-space"),
    pytest.param("to_date('2024-03-05T10')", "2024-03-05", id="date-text-after-t"),
    pytest.param("try_cast('2024' AS DATE)", "2024-01-01", id="date-year"),
    pytest.param("date('2024-3')", "2024-03-01", id="date-year-month"),
    pytest.param("try_cast('+2024-03-05' AS DATE)", "2024-03-05", id="date-sign"),
    pytest.param("try_cast('2024/03/05' AS DATE)", None, id="date-slashes"),
    pytest.param("try_cast('2024 03 05' AS DATE)", None, id="date-spaces"),
    pytest.param("try_cast('024-03-05' AS DATE)", None, id="date-three-digit-year"),
    pytest.param("CAST('2024-03-05 12:34:56' AS TIMESTAMP)", "2024-03-05 12:34:56", id="timestamp-iso"),
    pytest.param(
        "CAST('2024-03-05T12:34:56+01:00' AS TIMESTAMP)", "2024-03-05 11:34:56", id="timestamp-offset"
    ),
    pytest.param(
        "to_timestamp('2024-03-05 12:34:56.123-08')", "2024-03-05 20:34:56.123", id="timestamp-minus"
    ),
    pytest.param("CAST('2024-03-05 12' AS TIMESTAMP)", "2024-03-05 12:00:00", id="timestamp-hour-only"),
    pytest.param("timestamp('2024')", "2024-01-01 00:00:00", id="timestamp-year"),
    pytest.param("try_cast('2024-03-05 24:00:00' AS TIMESTAMP)", None, id="timestamp-hour-24"),
    pytest.param("try_cast('2024/03/05 12:34:56' AS TIMESTAMP)", None, id="timestamp-slashes"),
    pytest.param("try_cast(CAST(NULL AS STRING) AS TIMESTAMP)", None, id="timestamp-null"),
    pytest.param("CAST(TIMESTAMP'2024-03-05 12:34:56' AS DATE)", "2024-03-05", id="date-of-timestamp"),
    # the date functions read a STRING argument the same way
    pytest.param("datediff('2024-03-05 garbage', '2024-03-01')", "4", id="datediff-text"),
    pytest.param("add_months('2024-3', 1)", "2024-04-01", id="add-months-text"),
    pytest.param("date_add(TIMESTAMP'2024-03-05 23:00:00', 1)", "2024-03-06", id="date-add-timestamp"),
]


@pytest.mark.parametrize(("expression", "expected"), VALUES)
def test_text_reads_as_spark_reads_it(con: duckdb.DuckDBPyConnection, expression: str, expected: Any) -> None:
    assert _text(con, expression) == expected


ERRORS = [
    pytest.param("CAST('2024/03/05' AS DATE)", r"\[CAST_INVALID_INPUT\]", id="date-slashes"),
    pytest.param(
        "CAST('2024-03-05 24:00:00' AS TIMESTAMP)", r"\[CAST_INVALID_INPUT\]", id="timestamp-hour-24"
    ),
    pytest.param("hour('2024-03-05 24:00:00')", r"\[IDU_REFUSED\]", id="hour-of-hour-24"),
    pytest.param("date_add('2024/03/05', 1)", r"\[CAST_INVALID_INPUT\]", id="date-add-slashes"),
    pytest.param(
        "try_cast('12:34:56' AS TIMESTAMP)", r"\[IDU_REFUSED\] a time without a date", id="time-only"
    ),
    pytest.param(
        "try_cast('2024-03-05 12:34:56America/New_York' AS TIMESTAMP)", r"\[IDU_REFUSED\]", id="region-zone"
    ),
]


@pytest.mark.parametrize(("expression", "error"), ERRORS)
def test_text_spark_reads_no_value_from_fails(
    con: duckdb.DuckDBPyConnection, expression: str, error: str
) -> None:
    with pytest.raises(duckdb.Error, match=error):
        _text(con, expression)
