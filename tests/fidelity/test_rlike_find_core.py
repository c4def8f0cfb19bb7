"""rlike without its edge ``.*`` (regexp_functions.find_core) and CAST(<string> AS STRING) as a plain
cast, on local Spark and on the embedded engine: values with every line terminator Java's ``.`` stops
at (which RE2's does not), patterns whose edges may and may not be dropped, and the refusal that
stays where a ``.`` is left inside the pattern.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.macros import install_macros
from airflow_idu.engines.duckdb.spark_compat.regexp_functions import find_core
from airflow_idu.engines.duckdb.translate import translate_statement

pytestmark = pytest.mark.spark

VALUES = [
    "a@b", "@", "ab", "", "x\r@y", "x@\ry", "\u2028@", "@\u0085", "line\nbreak@", "a\nb", "1234567890",
    "12345\r67890", "a.b", "a\\b", None,
]  # fmt: skip
# patterns whose edge .* find_core drops: no '.' left, so every value runs, line terminators included
DROPPED = [
    "s RLIKE '.*@.*'", "s RLIKE '.*@'", "s RLIKE '@.*'", "s RLIKE '.*[0-9]{5}.*'", "s RLIKE '.*a\\\\\\\\.*'",
    "CAST(s AS STRING) RLIKE '.*@.*' AND CAST(s AS STRING) NOT IN ('', 'N/A')",
    "CASE WHEN CAST(s AS STRING) RLIKE '.*@.*' THEN CAST(s AS STRING) END",
]  # fmt: skip


@pytest.mark.parametrize(
    ("pattern", "core"),
    [
        (".*@.*", "@"), (".*@", "@"), ("@.*", "@"), (".*", ".*"), (".*?@", ".*?@"), (".*+@", ".*+@"),
        (".*a|b", ".*a|b"), ("(?s).*@", "(?s).*@"), ("a\\.*", "a\\.*"), ("a\\\\.*", "a\\\\"),
        (".*a.b.*", "a.b"), ("^.*@$", "^.*@$"),
    ],
    ids=[
        "both-edges", "leading", "trailing", "only-dot-star", "lazy-kept", "possessive-kept",
        "alternation-kept", "flags-kept", "escaped-dot-kept", "escaped-backslash", "inner-dot-stays",
        "anchored-kept",
    ],
)  # fmt: skip
def test_find_core(pattern: str, core: str) -> None:
    assert find_core(pattern) == core


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    install_macros(connection)
    connection.execute("CREATE TABLE t (k INTEGER, s VARCHAR)")
    connection.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(VALUES)))
    yield connection
    connection.close()


def test_rlike_without_edge_dot_stars_matches_spark(spark: Any, con: duckdb.DuckDBPyConnection) -> None:
    spark.createDataFrame(list(enumerate(VALUES)), "k INT, s STRING").createOrReplaceTempView("t")
    sql = f"SELECT k, {', '.join(DROPPED)} FROM t ORDER BY k"
    expected = [tuple(r) for r in spark.sql(sql).collect()]
    found = con.execute(translate_statement(sql).statements[-1]).fetchall()
    assert found == expected
    answers = {v for r in expected for v in r[1:]}
    assert True in answers and False in answers  # the patterns find and miss


def test_a_dot_left_inside_is_still_refused_on_a_line_terminator(con: duckdb.DuckDBPyConnection) -> None:
    sql = "SELECT s RLIKE '.*a.b.*' FROM t WHERE k = 4"  # 'x\r@y': Java's '.' stops at '\r', RE2's does not
    with pytest.raises(duckdb.Error, match="IDU_REFUSED"):
        con.execute(translate_statement(sql).statements[-1]).fetchall()
