"""``reverse`` of an expression whose Spark value is an array reverses the array (DuckDB's ``reverse``
takes text only: the translation failed in DuckDB's binder); of an array *column*, whose type the
translation cannot see, it is refused when run. Spark's values: the ``reverse-*`` rows of
tests/fidelity/compositions.py."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.translate import translate_statement

ROWS = "(SELECT * FROM VALUES (array(3L, NULL, 1L), 'a,b,c') AS v(a, s))"

VALUES = [
    pytest.param("reverse(sort_array(a))", [3, 1, None], id="sort-array"),
    pytest.param("reverse(array_intersect(a, array(1L, 3L)))", [1, 3], id="array-intersect"),
    pytest.param("element_at(reverse(split(s, ',')), 1)", "c", id="split"),
    pytest.param("reverse(array_compact(a))", [1, 3], id="array-compact"),
    pytest.param("reverse(transform(a, x -> x * 2))", [2, None, 6], id="transform"),
    pytest.param("reverse(s)", "c,b,a", id="text"),
]


@pytest.mark.parametrize(("expression", "expected"), VALUES)
def test_reverse_of_an_array_function(con: duckdb.DuckDBPyConnection, expression: str, expected: Any) -> None:
    sql = translate_statement(f"SELECT {expression} FROM {ROWS}").statements[-1]
    assert con.execute(sql).fetchone()[0] == expected


def test_reverse_of_an_array_column_is_refused_when_run(con: duckdb.DuckDBPyConnection) -> None:
    sql = translate_statement(f"SELECT reverse(a) FROM {ROWS}").statements[-1]
    with pytest.raises(
        duckdb.Error, match=r"\[IDU_REFUSED\] reverse\(\) of a BINARY value or an array column"
    ):
        con.execute(sql).fetchall()
