"""ORDER BY a position, ALL or an alias inside an expression on the embedded engine
(spark_compat/order_positions.py): each names its key as Spark reads it, so that an ARRAY or STRUCT
key is ordered as Spark orders it, or refused. Spark's values for these forms:
tests/fidelity/catalogue.py (order-by-*)."""

from __future__ import annotations

import duckdb
import pytest

from airflow_idu.engines.duckdb.translate import TranslationError, translate_statement

ROWS = (
    "(SELECT * FROM VALUES (1, array(2, 1), 'b'), (2, array(1, 5), 'a'), (3, array(1), NULL) AS v(i, a, g))"
)


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
    # inside an expression a name is the alias (Spark), not the source column DuckDB would read
    pytest.param(f"SELECT -i AS i FROM {ROWS} ORDER BY i + 0", [-3, -2, -1], id="alias-in-expression"),
    pytest.param(f"SELECT i * 10 AS i FROM {ROWS} ORDER BY -i", [30, 20, 10], id="alias-negated"),
    pytest.param(
        f"SELECT g, sum(i) AS i FROM {ROWS} GROUP BY g ORDER BY -i", [3, 2, 1], id="alias-of-aggregate"
    ),
]


@pytest.mark.parametrize(("sql", "order"), ORDERED)
def test_a_position_orders_by_the_key_it_names(
    con: duckdb.DuckDBPyConnection, sql: str, order: list[int]
) -> None:
    rows = _rows(con, sql)
    assert [r[0] if isinstance(r[0], int) else r[1] for r in rows] == order


HAVING = [
    pytest.param(
        f"SELECT g, sum(i) AS s FROM {ROWS} GROUP BY g HAVING s > 1", [("a", 2), (None, 3)], id="alias"
    ),
    pytest.param(
        f"SELECT g, sum(i) AS i FROM {ROWS} GROUP BY g HAVING i > 1",
        [("a", 2), (None, 3)],
        id="alias-shadowing",
    ),
    pytest.param(
        f"SELECT g, count(*) = 1 AS one FROM {ROWS} GROUP BY g HAVING one AND g > 'a'",
        [("b", True)],
        id="boolean",
    ),
    # a grouping column of the alias's name is read first, by Spark and DuckDB alike
    pytest.param(
        f"SELECT g, -i AS i FROM {ROWS} GROUP BY g, i HAVING i > 2", [(None, -3)], id="grouped-column-first"
    ),
]


@pytest.mark.parametrize(("sql", "rows"), HAVING)
def test_having_reads_the_select_lists_aliases(
    con: duckdb.DuckDBPyConnection, sql: str, rows: list[tuple[object, ...]]
) -> None:
    assert sorted(_rows(con, sql), key=repr) == sorted(rows, key=repr)


def test_an_array_holding_a_null_is_refused_by_position_as_by_name(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(duckdb.InvalidInputException, match=r"IDU_REFUSED\] ORDER BY of an array or struct"):
        _rows(con, "SELECT i, a FROM VALUES (1, array(1, NULL)), (2, array(1, 2)) AS v(i, a) ORDER BY 2")


def test_a_subquery_in_order_by_keeps_its_own_names() -> None:
    """The alias is written in place in the ORDER BY's own scope; the subquery's n is its x.n."""
    out = translate_statement(
        "SELECT n * 10 AS n FROM t ORDER BY (SELECT max(x.n) FROM t AS x WHERE x.k = n), n + 1"
    )
    assert "(IDU_MUL(n, 10)) + 1" in out.statements[-1]
    assert "THEN n END" in out.statements[-1] and "THEN (IDU_MUL" not in out.statements[-1]


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
