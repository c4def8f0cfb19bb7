"""Whole-partition window aggregates run as a GROUP BY joined back (spark_compat/partition_aggregates.py):
which SELECTs are rewritten, which are left as windows, and that DuckDB's own windows give the same
rows as the rewrite (Spark's side: tests/fidelity/test_partition_aggregates.py)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from airflow_idu.engines.duckdb.translate import translate_statement

REWRITTEN = {
    "min": "SELECT g, MIN(n) OVER (PARTITION BY g) AS m FROM t",
    "where": "SELECT g, n, MAX(n) OVER (PARTITION BY g, k) AS m FROM t WHERE n > 2 OR v IS NULL",
    "two-partitions": "SELECT g, k, SUM(n) OVER (PARTITION BY g) AS s, COUNT(*) OVER (PARTITION BY k) AS c FROM t",
    "whole-frame": "SELECT g, SUM(n) OVER (PARTITION BY g ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) a FROM t",
    "in-expression": "SELECT g, n - MIN(n) OVER (PARTITION BY g) AS d, CASE WHEN n = MAX(n) OVER (PARTITION BY g) THEN 1 END x FROM t",
    "derived-table": "SELECT * FROM (SELECT s.g, MIN(s.v) OVER (PARTITION BY s.g) AS m FROM (SELECT * FROM t) s) w WHERE m IS NOT NULL",
    "distinct-order-limit": "SELECT DISTINCT g, MAX(n) OVER (PARTITION BY g) m FROM t ORDER BY g NULLS FIRST LIMIT 2",
    "union-branches": (
        "SELECT g, MIN(n) OVER (PARTITION BY g) AS m FROM t UNION ALL SELECT g, MAX(n) OVER (PARTITION BY k) FROM t"
    ),
    "except-branch": "SELECT g, n FROM t EXCEPT SELECT g, MAX(n) OVER (PARTITION BY g) FROM t ORDER BY g NULLS FIRST, n NULLS FIRST LIMIT 3",
    "struct": (
        "SELECT older, newer FROM (SELECT s AS older, MIN(s) OVER (PARTITION BY g) AS newer FROM "
        "(SELECT g, named_struct('k', k, 'v', v) AS s FROM t WHERE k IS NOT NULL AND v IS NOT NULL) r) w "
        "WHERE older > newer"
    ),
}
_LEFT_AS_WINDOWS = {
    "ordered": "SELECT g, SUM(n) OVER (PARTITION BY g ORDER BY k) AS s FROM t",
    "positional": "SELECT g, row_number() OVER (PARTITION BY g ORDER BY k, n, v) AS r FROM t",
    "mixed": "SELECT g, MIN(n) OVER (PARTITION BY g) a, rank() OVER (PARTITION BY g ORDER BY k) b FROM t",
    "no-partition": "SELECT g, MAX(n) OVER () AS m FROM t",
    "join": "SELECT t.g, MIN(u.n) OVER (PARTITION BY t.g) AS m FROM t JOIN t AS u ON t.k = u.k",
    "star": "SELECT *, MIN(n) OVER (PARTITION BY g) AS m FROM t",
    "grouped": "SELECT g, SUM(MIN(n)) OVER (PARTITION BY g) AS m FROM t GROUP BY g",
    "correlated-place": "SELECT g FROM t WHERE n IN (SELECT MAX(n) OVER (PARTITION BY g) FROM t)",
    "empty-frame": "SELECT g, SUM(n) OVER (PARTITION BY g ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED PRECEDING) s FROM t",
    "rows-frame": "SELECT g, SUM(n) OVER (PARTITION BY g ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) s FROM t",
}
ROWS = [(random.Random(i).choice(["a", "b", None]), i % 3 if i % 7 else None, f"v{i % 4}" if i % 5 else None,
          (i * 37) % 11 if i % 6 else None) for i in range(60)]  # fmt: skip


@pytest.fixture(scope="module")
def table(con: Any) -> Any:
    con.execute("CREATE OR REPLACE TABLE t (g VARCHAR, k INTEGER, v VARCHAR, n BIGINT)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", ROWS)
    return con


def _sql(statement: str) -> str:
    return translate_statement(statement).statements[-1]


@pytest.mark.parametrize("statement", list(REWRITTEN.values()), ids=list(REWRITTEN))
def test_whole_partition_aggregates_become_a_grouped_join(statement: str) -> None:
    sql = _sql(statement)
    assert "OVER" not in sql.upper() and "AS MATERIALIZED" in sql


@pytest.mark.parametrize("statement", list(_LEFT_AS_WINDOWS.values()), ids=list(_LEFT_AS_WINDOWS))
def test_other_windows_stay_windows(statement: str) -> None:
    assert "idu_pa" not in _sql(statement)


@pytest.mark.parametrize("statement", list(REWRITTEN.values()), ids=list(REWRITTEN))
def test_the_rewrite_gives_duckdbs_window_rows(table: Any, statement: str) -> None:
    # the same statement as DuckDB SQL (named_struct spelled as DuckDB's), run by DuckDB's window
    native = statement.replace("named_struct('k', k, 'v', v)", "{'k': k, 'v': v}")
    expected = sorted(table.execute(native).fetchall(), key=repr)
    assert expected  # the data reaches every form
    assert sorted(table.execute(_sql(statement)).fetchall(), key=repr) == expected
