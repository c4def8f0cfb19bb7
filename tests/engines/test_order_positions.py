"""ORDER BY a position or ALL on the embedded engine (spark_compat/order_positions.py): each names
its key so that an ARRAY or STRUCT key is ordered as Spark orders it, or refused. Spark's values for
these forms: tests/fidelity/catalogue.py (order-by-*)."""

from __future__ import annotations

import duckdb
import pytest

from airflow_idu.engines.duckdb.macros import install_macros
from airflow_idu.engines.duckdb.translate import TranslationError, translate_statement

ROWS = (
    "(SELECT * FROM VALUES (1, array(2, 1), 'b'), (2, array(1, 5), 'a'), (3, array(1), NULL) AS v(i, a, g))"
)


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    install_macros(connection)
    return connection


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[object, ...]]:
    *setup, last = translate_statement(sql).statements
    for statement in setup:
        con.execute(statement)
    return con.execute(last).fetchall()


ORDERED = [
    pytest.param(f"SELECT i, a FROM {ROWS} ORDER BY 2", [3, 2, 1], id="array-position"),
    pytest.param(f"SELECT a, i FROM {ROWS} ORDER BY ALL DESC", [1, 2, 3], id="all-desc"),
    pytest.param(f"SELECT * FROM {ROWS} ORDER BY 3", [3, 2, 1], id="star-position-nulls-first"),
    pytest.param(
        f"SELECT i, g AS x FROM {ROWS} UNION ALL SELECT 9, 'c' ORDER BY 2 DESC", [9, 1, 2, 3], id="union-name"
    ),
    pytest.param(f"SELECT i, upper(g) AS g FROM {ROWS} ORDER BY 2", [3, 2, 1], id="aliased-expression"),
]


@pytest.mark.parametrize(("sql", "order"), ORDERED)
def test_a_position_orders_by_the_key_it_names(
    con: duckdb.DuckDBPyConnection, sql: str, order: list[int]
) -> None:
    rows = _rows(con, sql)
    assert [r[0] if isinstance(r[0], int) else r[1] for r in rows] == order


def test_an_array_holding_a_null_is_refused_by_position_as_by_name(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(duckdb.InvalidInputException, match=r"IDU_REFUSED\] ORDER BY of an array or struct"):
        _rows(con, "SELECT i, a FROM VALUES (1, array(1, NULL)), (2, array(1, 2)) AS v(i, a) ORDER BY 2")


REFUSED = [
    pytest.param("SELECT *, 1 AS one FROM t ORDER BY 1", "with \\* beside other items", id="star-and-items"),
    pytest.param("SELECT * FROM t ORDER BY ALL", "ORDER BY ALL over \\*", id="all-over-star"),
    pytest.param("SELECT rand() AS r FROM t ORDER BY 1", "non-deterministic", id="nondeterministic"),
    pytest.param(
        "SELECT upper(g) FROM t UNION SELECT g FROM t ORDER BY 1",
        "leaves that column unnamed",
        id="unnamed-union",
    ),
]


@pytest.mark.parametrize(("sql", "reason"), REFUSED)
def test_a_position_that_names_no_key_is_refused(sql: str, reason: str) -> None:
    with pytest.raises(TranslationError, match=reason):
        translate_statement(sql)
