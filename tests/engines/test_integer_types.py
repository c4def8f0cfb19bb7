"""Integers keep Spark's types on the embedded engine (spark_compat/exact.py, functions.py,
explode_forms.py): DuckDB's sum of integers and count_if are HUGEINT, its sequence elements and
posexplode positions BIGINT, and arithmetic on a wider integer does not overflow where Spark's does.
Spark's values for these forms: tests/fidelity/catalogue.py (sum-*, count-if-times, sequence-*,
*posexplode*)."""

from __future__ import annotations

import duckdb
import pytest

from airflow_idu.engines.duckdb.translate import translate_statement

ROWS = "(SELECT * FROM VALUES ('a', 1L, 1.5D, 2.25BD, array('x', 'y', 'w')), ('a', 2L, 2.5D, 1.00BD, array('z')) AS v(g, k, d, m, s))"


def _types(con: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    cursor = con.execute(translate_statement(sql).statements[-1])
    cursor.fetchall()
    return [str(d[1]) for d in cursor.description or []]


TYPES = [
    pytest.param(f"SELECT sum(k) FROM {ROWS}", ["BIGINT"], id="sum-of-bigint"),
    pytest.param(f"SELECT sum(CAST(k AS INT)) FROM {ROWS}", ["BIGINT"], id="sum-of-int"),
    pytest.param(f"SELECT sum(DISTINCT k) FROM {ROWS}", ["BIGINT"], id="sum-distinct"),
    pytest.param(f"SELECT count_if(k > 1) FROM {ROWS}", ["BIGINT"], id="count-if"),
    pytest.param(f"SELECT sum(k) OVER (PARTITION BY g) FROM {ROWS}", ["BIGINT"], id="window-sum"),
    # other sums keep their types
    pytest.param(f"SELECT sum(d) FROM {ROWS}", ["DOUBLE"], id="sum-of-double"),
    pytest.param(f"SELECT sum(m) FROM {ROWS}", ["DECIMAL(38,2)"], id="sum-of-decimal"),
    pytest.param("SELECT sequence(1, 3)", ["INTEGER[]"], id="sequence-of-int"),
    pytest.param("SELECT sequence(1L, 3L)", ["BIGINT[]"], id="sequence-of-bigint"),
    pytest.param(f"SELECT posexplode(s) AS (p, v) FROM {ROWS}", ["INTEGER", "VARCHAR"], id="posexplode"),
    pytest.param(
        f"SELECT p, v FROM {ROWS} LATERAL VIEW posexplode(s) t AS p, v",
        ["INTEGER", "VARCHAR"],
        id="lateral-view",
    ),
    pytest.param("SELECT * FROM posexplode(array(5, 6))", ["INTEGER", "INTEGER"], id="table"),
]


@pytest.mark.parametrize(("sql", "types"), TYPES)
def test_integers_have_sparks_types(con: duckdb.DuckDBPyConnection, sql: str, types: list[str]) -> None:
    assert _types(con, sql) == types


OVERFLOWS = [
    pytest.param(f"SELECT sum(k) * 9000000000000000000 FROM {ROWS}", id="sum"),
    pytest.param(f"SELECT count_if(k > 0) * 9000000000000000000 FROM {ROWS}", id="count-if"),
    pytest.param("SELECT sequence(1, 3)[2] * 2000000000", id="sequence-element"),
    pytest.param(f"SELECT p * 2000000000 FROM {ROWS} LATERAL VIEW posexplode(s) t AS p, v", id="position"),
]


@pytest.mark.parametrize("sql", OVERFLOWS)
def test_arithmetic_on_them_overflows_where_sparks_does(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    with pytest.raises(duckdb.OutOfRangeException, match="Overflow"):
        con.execute(translate_statement(sql).statements[-1]).fetchall()
