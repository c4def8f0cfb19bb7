"""The OUTER forms of explode on the embedded engine (spark_compat/explode_forms.py): a NULL or empty
array keeps one row of NULLs, where DuckDB's UNNEST keeps none. Spark's values for these forms:
tests/fidelity/catalogue.py (explode_outer, lateral-view-outer*, explode-outer-*)."""

from __future__ import annotations

import duckdb
import pytest

from airflow_idu.engines.duckdb.translate import TranslationError, translate_statement

ROWS = "(SELECT * FROM VALUES (1, array('x', 'y')), (2, array()), (3, NULL) AS v(id, a))"

OUTER = [
    pytest.param(
        f"SELECT id, explode_outer(a) AS v FROM {ROWS}",
        [(1, "x"), (1, "y"), (2, None), (3, None)],
        id="select-list",
    ),
    pytest.param(
        f"SELECT id, v FROM {ROWS} LATERAL VIEW OUTER explode(a) t AS v",
        [(1, "x"), (1, "y"), (2, None), (3, None)],
        id="lateral-view",
    ),
    pytest.param(
        f"SELECT id, p, v FROM {ROWS} LATERAL VIEW OUTER posexplode(a) t AS p, v",
        [(1, 0, "x"), (1, 1, "y"), (2, None, None), (3, None, None)],
        id="lateral-view-posexplode",
    ),
    pytest.param(
        f"SELECT id, v FROM {ROWS} LATERAL VIEW explode_outer(a) t AS v",
        [(1, "x"), (1, "y"), (2, None), (3, None)],
        id="lateral-view-explode-outer",
    ),
    # without OUTER those rows are dropped, as Spark drops them
    pytest.param(
        f"SELECT id, v FROM {ROWS} LATERAL VIEW explode(a) t AS v", [(1, "x"), (1, "y")], id="inner"
    ),
]


@pytest.mark.parametrize(("sql", "rows"), OUTER)
def test_outer_keeps_a_row_for_a_null_or_empty_array(
    con: duckdb.DuckDBPyConnection, sql: str, rows: list[tuple[object, ...]]
) -> None:
    got = con.execute(translate_statement(sql).statements[-1]).fetchall()
    assert sorted(got, key=repr) == sorted(rows, key=repr)


def test_an_unaliased_outer_explode_is_named_col(con: duckdb.DuckDBPyConnection) -> None:
    cursor = con.execute(translate_statement(f"SELECT explode_outer(a) FROM {ROWS}").statements[-1])
    assert [d[0] for d in cursor.description or []] == ["col"]


REFUSED = [
    pytest.param("SELECT id, v FROM t LATERAL VIEW OUTER explode(m) x AS k, v", id="outer-map"),
    pytest.param(
        "SELECT id, v FROM t LATERAL VIEW OUTER explode(a) x AS v LATERAL VIEW posexplode(m) y AS p, k, w",
        id="outer-beside-a-map-posexplode",
    ),
]


@pytest.mark.parametrize("sql", REFUSED)
def test_an_outer_view_the_engine_cannot_write_as_a_join_is_refused(sql: str) -> None:
    """sqlglot's own join would drop the NULL rows: refused, not run."""
    with pytest.raises(TranslationError, match="LATERAL VIEW OUTER"):
        translate_statement(sql)
