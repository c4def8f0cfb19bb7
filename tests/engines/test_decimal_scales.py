"""Decimal +, - and * whose result Spark would round to fewer decimals (its precision-loss rule
above precision 38) are refused when run on the embedded engine (spark_compat/decimal_scales.py);
the rest keep DuckDB's value, which is Spark's. Spark's values for these forms:
tests/fidelity/catalogue.py (decimal-*)."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from airflow_idu.engines.duckdb.translate import translate_statement

WIDE = "CAST(1.0000000001 AS DECIMAL(38,10))"


def _run(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[object, ...]]:
    return con.execute(translate_statement(sql).statements[-1]).fetchall()


REFUSED = [
    pytest.param(f"SELECT {WIDE} + 1", id="plus-an-int"),
    pytest.param(f"SELECT {WIDE} - CAST(1 AS BIGINT)", id="minus-a-bigint"),
    pytest.param(f"SELECT {WIDE} * {WIDE}", id="times"),
    pytest.param("SELECT CAST(1.5 AS DECIMAL(20,4)) * CAST(2.5 AS DECIMAL(20,4))", id="times-two-20s"),
    pytest.param(f"SELECT 1 FROM (SELECT 1) WHERE {WIDE} + 1 > 2", id="inside-a-comparison"),
    pytest.param(f"SELECT abs({WIDE} + 1)", id="inside-a-function"),
    pytest.param(f"SELECT (({WIDE} + 1) * 2) - 3", id="inside-a-chain"),
]


@pytest.mark.parametrize("sql", REFUSED)
def test_a_result_spark_would_round_is_refused(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    with pytest.raises(duckdb.InvalidInputException, match=r"IDU_REFUSED\] decimal arithmetic"):
        _run(con, sql)


KEPT = [
    pytest.param("SELECT CAST(1.25 AS DECIMAL(10,2)) + 1", Decimal("2.25"), id="narrow"),
    pytest.param("SELECT CAST(1.25 AS DECIMAL(38,2)) + 1", Decimal("2.25"), id="wide-scale-2"),
    pytest.param("SELECT CAST(1.5 AS DECIMAL(20,4)) * 3", Decimal("4.5"), id="times-an-int"),
    pytest.param("SELECT CAST(7 AS BIGINT) * 3 + 1", 22, id="integers"),
    pytest.param("SELECT 1.5D + 1", 2.5, id="double"),
]


@pytest.mark.parametrize(("sql", "value"), KEPT)
def test_a_result_spark_keeps_runs(con: duckdb.DuckDBPyConnection, sql: str, value: object) -> None:
    assert _run(con, sql) == [(value,)]


def test_the_check_is_folded_when_bound(con: duckdb.DuckDBPyConnection) -> None:
    """typeof(tree) is a constant to DuckDB: the plan keeps the arithmetic and no check."""
    con.execute("CREATE OR REPLACE TABLE scales AS SELECT CAST(range AS DECIMAL(20,4)) AS b FROM range(10)")
    sql = translate_statement("SELECT b + b AS s FROM scales").statements[-1]
    assert "IDU_DECIMAL_SCALE" in sql
    plan = con.execute("EXPLAIN " + sql).fetchall()[0][1]
    assert "typeof" not in plan.lower() and "regexp" not in plan.lower(), plan


GROUPED = [
    pytest.param(
        "SELECT (k + 1) * 2 AS h FROM v GROUP BY k + 1", [(4,), (6,)], id="key-inside-a-larger-tree"
    ),
    pytest.param("SELECT k + 1 + 2 AS h FROM v GROUP BY k + 1", [(4,), (5,)], id="key-as-a-subtree"),
    pytest.param("SELECT k + 1 AS h, count(*) AS c FROM v GROUP BY k + 1", [(2, 2), (3, 1)], id="key-itself"),
    pytest.param("SELECT k + 1 AS h FROM v GROUP BY ROLLUP (k + 1)", [(2,), (3,), (None,)], id="rollup"),
]


@pytest.mark.parametrize(("sql", "rows"), GROUPED)
def test_a_group_key_still_matches_the_select_list(
    con: duckdb.DuckDBPyConnection, sql: str, rows: list[tuple[object, ...]]
) -> None:
    con.execute("CREATE OR REPLACE TABLE v AS SELECT * FROM (VALUES (1), (1), (2)) AS t(k)")
    assert sorted(_run(con, sql), key=repr) == sorted(rows, key=repr)


def test_a_group_key_spark_would_round_is_refused(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE OR REPLACE TABLE w AS SELECT CAST(1.5 AS DECIMAL(38,18)) AS m")
    with pytest.raises(duckdb.InvalidInputException, match=r"IDU_REFUSED\] decimal arithmetic"):
        _run(con, "SELECT count(*) FROM w GROUP BY m + 1")
