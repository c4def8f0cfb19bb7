"""The OUTER forms of explode on the embedded engine (spark_compat/explode_forms.py): a NULL or empty
array keeps one row of NULLs, where DuckDB's UNNEST keeps none. Spark's values for these forms:
tests/fidelity/catalogue.py (explode_outer, lateral-view-outer*, explode-outer-*)."""

from __future__ import annotations

import duckdb
import pytest

from airflow_idu.engines.duckdb.translate import translate_statement

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
