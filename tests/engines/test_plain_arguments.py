"""Plain arguments (plain_args.py) copied instead of bound. CAST(<column or literal> AS BIGINT/INT/SMALLINT/TINYINT) runs as ``idu_to_<t>_plain``: the same
value (or the same error) as ``idu_to_<t>``, and for an integer column a plain CAST once bound, so a
filter on it reaches the scan instead of costing a bound lambda per row."""

from __future__ import annotations

import duckdb
import pytest

from airflow_idu.engines.duckdb.macros import install_macros
from airflow_idu.engines.duckdb.translate import translate_statement

TARGETS = ("BIGINT", "INT", "SMALLINT", "TINYINT")
# (column type, values): every branch of idu_to_<t> (fractions, timestamps, decimals, text) and the rest
COLUMNS = [
    pytest.param("BIGINT", ["5", "-7", "NULL", "100"], id="bigint"),
    pytest.param("INTEGER", ["3", "NULL", "-120"], id="integer"),
    pytest.param("DOUBLE", ["2.7", "-2.7", "NULL", "0.0"], id="double"),
    pytest.param("DECIMAL(10,2)", ["-3.75", "9.99", "NULL"], id="decimal"),
    pytest.param("VARCHAR", ["'12'", "' -4 '", "NULL"], id="string"),
    pytest.param(
        "TIMESTAMP",
        ["TIMESTAMP '1969-12-31 23:59:59.5'", "TIMESTAMP '1970-01-01 00:01:07.9'", "NULL"],
        id="timestamp",
    ),
    pytest.param("BOOLEAN", ["true", "false", "NULL"], id="boolean"),
]


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    install_macros(connection)
    return connection


@pytest.mark.parametrize("to", TARGETS)
@pytest.mark.parametrize(("column_type", "values"), COLUMNS)
def test_plain_cast_equals_the_bound_one(con, column_type: str, values: list[str], to: str) -> None:
    con.execute(f"CREATE OR REPLACE TABLE t (c {column_type})")
    con.execute("INSERT INTO t VALUES " + ", ".join(f"({v})" for v in values))
    (sql,) = translate_statement(f"SELECT CAST(c AS {to}) AS v FROM t").statements
    assert "_PLAIN(c)" in sql, sql
    bound = sql.replace("_PLAIN(c)", "(c)")
    plain_rows = con.execute(sql).fetchall()
    bound_rows = con.execute(bound).fetchall()
    assert plain_rows == bound_rows


@pytest.mark.parametrize(
    ("column_type", "value", "to", "error"),
    [
        pytest.param("VARCHAR", "'1.5'", "INT", "CAST_INVALID_INPUT", id="fraction-text"),
        pytest.param("BIGINT", "300", "TINYINT", "Conversion", id="overflow"),
    ],
)
def test_plain_cast_fails_where_the_bound_one_fails(con, column_type, value, to, error) -> None:
    con.execute(f"CREATE OR REPLACE TABLE t (c {column_type})")
    con.execute(f"INSERT INTO t VALUES ({value})")
    (sql,) = translate_statement(f"SELECT CAST(c AS {to}) FROM t").statements
    assert "_PLAIN(c)" in sql, sql
    for statement in (sql, sql.replace("_PLAIN(c)", "(c)")):
        with pytest.raises(duckdb.Error, match=error):
            con.execute(statement).fetchall()


def test_filter_on_an_integer_column_cast_reaches_the_scan(con) -> None:
    con.execute("CREATE OR REPLACE TABLE t AS SELECT CAST(i AS BIGINT) AS time FROM range(1000) r(i)")
    (sql,) = translate_statement("SELECT COUNT(*) FROM t WHERE CAST(time AS BIGINT) > 500").statements
    plan = con.execute("EXPLAIN " + sql).fetchall()[0][1]
    assert "list_transform" not in plan and "lambda" not in plan, plan
    assert "time>500" in "".join(plan.split()), plan
    assert con.execute(sql).fetchall() == [(499,)]


def test_an_expression_keeps_the_bound_cast() -> None:
    (sql,) = translate_statement("SELECT CAST(a + 1 AS BIGINT) FROM t").statements
    # a + 1 is no plain argument (its decimal scale is checked too: decimal_scales.py)
    assert "IDU_TO_BIGINT(IDU_DECIMAL_SCALE(TYPEOF(a + 1), a + 1))" in sql, sql


@pytest.mark.parametrize(
    ("array", "value"),
    [
        pytest.param("[1, 2, 3]", "2", id="found"),
        pytest.param("[1, 2, 3]", "5", id="missing"),
        pytest.param("[1, NULL]", "5", id="missing-with-null"),
        pytest.param("[1, NULL]", "1", id="found-with-null"),
        pytest.param("NULL", "1", id="null-array"),
        pytest.param("[1, 2]", "NULL", id="null-value"),
        pytest.param("[]", "1", id="empty"),
    ],
)
def test_array_contains_of_plain_arguments_equals_the_bound_one(con, array: str, value: str) -> None:
    con.execute("CREATE OR REPLACE TABLE t (a BIGINT[], v BIGINT)")
    con.execute(f"INSERT INTO t VALUES ({array}, {value})")
    (sql,) = translate_statement(
        "SELECT array_contains(a, v), array_contains(a, CAST(1 AS BIGINT)) FROM t"
    ).statements
    assert sql.count("IDU_ARRAY_CONTAINS_PLAIN(") == 2, sql
    bound = sql.replace("IDU_ARRAY_CONTAINS_PLAIN(", "IDU_ARRAY_CONTAINS(")
    assert con.execute(sql).fetchall() == con.execute(bound).fetchall()


def test_array_contains_of_an_expression_stays_bound() -> None:
    (sql,) = translate_statement("SELECT array_contains(array(1, 2), x + 1) FROM t").statements
    assert "IDU_ARRAY_CONTAINS(" in sql and "_PLAIN" not in sql, sql
