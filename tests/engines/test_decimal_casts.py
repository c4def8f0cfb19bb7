"""A DOUBLE or FLOAT cast to DECIMAL rounds the digits Java prints for it, as Spark does
(``BigDecimal(Double.toString(d))``), not the binary value DuckDB's cast rounded: 70.46 at scale
15 is 70.460000000000000 on Spark, 70.459999999999992 on DuckDB. Spark's values: the
``cast-double-*`` rows of tests/fidelity/compositions.py."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from airflow_idu.engines.duckdb.translate import translate_statement

ROWS = "(SELECT * FROM VALUES (CAST(70.46 AS DOUBLE), CAST(0.1 AS FLOAT), 12L, 2.25BD) AS v(d, f, k, m))"


def _value(con: duckdb.DuckDBPyConnection, expression: str) -> object:
    return con.execute(translate_statement(f"SELECT {expression} FROM {ROWS}").statements[-1]).fetchone()[0]


VALUES = [
    pytest.param("CAST(d AS DECIMAL(38,15))", Decimal("70.460000000000000"), id="double-scale-15"),
    pytest.param("CAST(d * 0 + 80.95485D AS DECIMAL(10,4))", Decimal("80.9549"), id="double-tie-half-up"),
    pytest.param("CAST(f AS DECIMAL(20,15))", Decimal("0.100000001490116"), id="float-as-its-double"),
    pytest.param("CAST(CAST('NaN' AS DOUBLE) AS DECIMAL(10,2))", None, id="nan-null"),
    pytest.param("CAST(CAST('Infinity' AS DOUBLE) AS DECIMAL(10,2))", None, id="infinity-null"),
    pytest.param("CAST(k AS DECIMAL(20,2))", Decimal("12.00"), id="bigint-unchanged"),
    pytest.param("CAST(m AS DECIMAL(10,1))", Decimal("2.3"), id="decimal-unchanged"),
]


@pytest.mark.parametrize(("expression", "expected"), VALUES)
def test_double_to_decimal_rounds_javas_digits(
    con: duckdb.DuckDBPyConnection, expression: str, expected: object
) -> None:
    assert _value(con, expression) == expected


def test_a_double_of_1e15_or_more_is_refused_when_run(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(duckdb.Error, match=r"\[IDU_REFUSED\] CAST of a DOUBLE of 1e15 or more to DECIMAL"):
        _value(con, "CAST(d * 1e16 AS DECIMAL(38,0))")
