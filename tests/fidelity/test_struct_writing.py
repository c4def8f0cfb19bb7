"""to_csv and to_xml of written structs on local Spark and on the embedded engine.

Each expression runs over a small table of integers, booleans and strings (NULLs, empty strings,
blanks, separators, markup characters, non-ASCII); where the engine formats a row (it refuses some
when run), its text equals Spark's.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.translate import translate_statement

pytestmark = pytest.mark.spark

ROWS = [
    (1, 7, True, "x"), (2, None, None, None), (3, -2147483648, False, ""), (4, 2147483647, True, " padded "),
    (5, 0, None, "a,b"), (6, 42, False, 'q"r'), (7, -1, True, "é 😀 ü"), (8, 5, False, "<a>&amp;</a>"),
    (9, 3, True, "x\ty"), (10, None, False, "line\nbreak"), (11, 9, None, "carriage\rreturn"), (12, 1, True, "#x"),
    (13, 2, False, "back\\slash"), (14, 0, True, "\u00a0nbsp"), (15, None, None, "null"),
]  # fmt: skip
EXPRESSIONS = [
    "to_csv(named_struct('a', n, 'b', f, 'c', s))",
    "to_csv(named_struct('s', s))",  # a lone NULL field: Spark fails (a NULL in a non-nullable result)
    "to_csv(struct(n, s, 1))",
    "to_csv(named_struct('a', n, 'b', cast(n AS BIGINT) * 3, 'c', cast(n % 100 AS SMALLINT)))",
    "to_xml(named_struct('a', n, 'b', f, 'c', s))",
    "to_xml(named_struct('s', s))",
    "to_xml(named_struct('n', n, 'm', cast(n AS BIGINT) - 5))",
    "to_xml(struct(n, s, f, 1))",
]


@pytest.fixture(scope="module")
def engine(engine: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """The shared engine connection (conftest) with this suite's input table."""
    engine.execute("CREATE TEMP TABLE w_in (i INTEGER, n INTEGER, f BOOLEAN, s VARCHAR)")
    engine.executemany("INSERT INTO w_in VALUES (?, ?, ?, ?)", ROWS)
    return engine


def _engine_value(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    try:
        return con.execute(sql).fetchall()[0][0]
    except duckdb.Error as exc:
        assert "IDU_REFUSED" in str(exc), exc
        return "refused"


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_struct_writing_matches_spark(spark: Any, engine: duckdb.DuckDBPyConnection, expression: str) -> None:
    spark.createDataFrame(ROWS, schema="i INT, n INT, f BOOLEAN, s STRING").createOrReplaceTempView("w_in")
    lone = expression == "to_csv(named_struct('s', s))"
    want = dict(
        spark.sql(f"SELECT i, {expression} FROM w_in{' WHERE s IS NOT NULL' if lone else ''}").collect()
    )
    compared = 0
    for i, *_ in ROWS:
        sql = translate_statement(f"SELECT {expression} FROM w_in WHERE i = {i}").statements[-1]
        got = _engine_value(engine, sql)
        if lone and ROWS[i - 1][3] is None:
            assert got == "refused"
        elif got != "refused":
            assert got == want[i], (i, got, want.get(i))
            compared += 1
    assert compared >= 6
