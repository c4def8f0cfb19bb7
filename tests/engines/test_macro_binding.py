"""Macro arguments are evaluated once: nesting Spark functions costs what Spark's nesting costs.

A DuckDB macro that names its argument k times copies it k times; nested, the copies multiply
(``substr`` of ``substr`` four deep did not finish planning in two minutes before the arguments
were bound). The plan of a nested expression must grow by a constant per level, as Spark's does.
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from airflow_idu.engines.duckdb.macros import install_macros
from airflow_idu.engines.duckdb.spark_compat.binding import bind_parameters_once, repeated_parameters
from airflow_idu.engines.duckdb.translate import translate_statement


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        pytest.param("CREATE OR REPLACE MACRO f(x) AS x + 1", (), id="named-once"),
        pytest.param(
            "CREATE OR REPLACE MACRO f(x, n) AS CASE WHEN x IS NULL THEN n ELSE x * n END",
            ("x", "n"),
            id="scalar-all-repeated",
        ),
        pytest.param(
            "CREATE OR REPLACE MACRO f(x) AS concat('x x x', x)", (), id="string-literals-do-not-count"
        ),
        pytest.param(
            "CREATE OR REPLACE MACRO f(s, b) AS list_transform([s], lambda v: v || s || b || b)[1]",
            ("s",),
            id="own-lambda-value-only",
        ),
        pytest.param(
            "CREATE OR REPLACE MACRO f(a, b) AS CASE WHEN try(a * b) IS NULL THEN error('e') ELSE a END",
            ("a", "b"),
            id="try-binds-all",
        ),
        pytest.param(
            "CREATE OR REPLACE MACRO f(x) AS CASE WHEN count(x) = 0 THEN NULL ELSE sum(x) END",
            (),
            id="aggregate-untouched",
        ),
        pytest.param("CREATE OR REPLACE MACRO f(x) AS TABLE SELECT x, x", (), id="table-macro-untouched"),
    ],
)
def test_which_parameters_are_bound(definition: str, expected: tuple[str, ...]) -> None:
    assert repeated_parameters(definition) == expected


def test_a_bound_macro_gives_the_same_values() -> None:
    con = duckdb.connect()
    plain = "CREATE OR REPLACE MACRO f(x, n) AS CASE WHEN x IS NULL THEN n ELSE x * n END"
    con.execute(plain.replace("MACRO f", "MACRO f_plain"))
    con.execute(bind_parameters_once(plain))
    rows = con.execute(
        "SELECT f(v, 3) IS NOT DISTINCT FROM f_plain(v, 3) FROM (VALUES (1), (NULL), (-4)) t(v)"
    )
    assert [r[0] for r in rows.fetchall()] == [True, True, True]


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    install_macros(con)
    con.execute(
        "CREATE TABLE t AS SELECT 'abc' || i AS s, i::BIGINT AS a, (i % 7 + 1)::BIGINT AS b FROM range(10) r(i)"
    )
    yield con
    con.close()


def _plan_size(con: duckdb.DuckDBPyConnection, spark_expression: str) -> int:
    (duck,) = translate_statement(f"SELECT {spark_expression} FROM t").statements
    return len(con.execute(f"EXPLAIN (FORMAT JSON) {duck}").fetchall()[0][1])


@pytest.mark.parametrize(
    ("template", "innermost"),
    [
        pytest.param("substr({}, 2, 40)", "s", id="substr"),
        pytest.param(
            "unhex(lpad(conv({}, 16, 10), 16, '0'))", "substr(sha2(s, 256), 1, 15)", id="canonical-id-chain"
        ),
        pytest.param("base64(unhex(hex({})))", "s", id="binary-chain"),
        pytest.param("({} * b)", "a", id="multiply-left"),
        pytest.param("(b * {})", "a", id="multiply-right"),
        pytest.param("upper(lower({}))", "s", id="case-mapping"),
        pytest.param("element_at(array(1, 2, 3), {})", "b", id="element-at"),
    ],
)
def test_nesting_grows_the_plan_linearly(
    con: duckdb.DuckDBPyConnection, template: str, innermost: str
) -> None:
    sizes = []
    expression = innermost
    for _ in range(3):
        expression = template.format(expression)
        sizes.append(_plan_size(con, expression))
    first_step, second_step = sizes[1] - sizes[0], sizes[2] - sizes[1]
    # a copy per reference would multiply each step by the references (2 to 8); allow formatting noise
    assert second_step <= 1.25 * first_step + 64, sizes


def test_a_bound_macro_inside_an_aggregate_inside_a_lambda(con: duckdb.DuckDBPyConnection) -> None:
    # DuckDB cannot plan a lambda inside an aggregate inside a lambda (every bound macro is one);
    # the translator computes the aggregate outside the lambda (spark_compat/lambda_aggregates.py)
    spark = (
        "SELECT transform(array(1, 5), k -> size(filter(collect_list(upper(s)), x -> length(x) > k))) FROM t"
    )
    (duck,) = translate_statement(spark).statements
    # 'abc0'..'abc9': all ten are longer than 1, none longer than 5
    assert con.execute(duck).fetchall() == [([10, 0],)]
