"""Window functions over rows that tie on their ORDER BY, on local Spark and on the embedded engine
(spark_compat/window_ties.py): where no rows tie, or tied rows are equal in every selected value, the
order-sensitive windows give Spark's values; where tied rows differ, Spark's own answer changes with
the order its input arrives in and the engine refuses when run; rank, dense_rank, percent_rank,
cume_dist and RANGE-frame or whole-partition aggregates stay accepted and identical over ties."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.translate import translate_statement

pytestmark = pytest.mark.spark

_SCHEMA = "g STRING, k INT, v STRING, n BIGINT, id INT"
_NO_TIES = [("a", 1, "x", 1, 1), ("a", 2, None, 2, 2), ("a", 3, "z", None, 3), ("b", 1, "p", 4, 4)]
# peers on (g, k) equal in everything selected (id is not selected)
_IDENTICAL = [("a", 1, "x", 1, 1), ("a", 1, "x", 1, 2), ("a", 2, "z", 3, 3), ("b", 1, None, 4, 4),
              ("b", 1, None, 4, 5)]  # fmt: skip
# peers on (g, k) that differ in v and n
_DIFFER = [
    ("a", 1, "x", 1, 1),
    ("a", 1, "y", 2, 2),
    ("a", 2, "z", 3, 3),
    ("b", 1, "p", 4, 4),
    ("b", 1, "q", 5, 5),
]

_W = "PARTITION BY g ORDER BY k"
_UPTO = f"({_W} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"
SENSITIVE = {
    "row_number": f"row_number() OVER ({_W})",
    "ntile": f"ntile(2) OVER ({_W})",
    "lag": f"lag(v) OVER ({_W})",
    "lead": f"lead(n, 1, 0) OVER ({_W})",
    "first_value": f"first_value(v) OVER {_UPTO}",
    "last_value": f"last_value(v) OVER ({_W})",
    "nth_value": f"nth_value(v, 2) OVER {_UPTO}",
    "sum-rows": f"sum(n) OVER ({_W} ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)",
    "collect_list": f"collect_list(v) OVER ({_W})",
    "first": f"first(v) OVER ({_W})",
    "counter_diff": f"counter_diff(n) OVER ({_W})",
}
# no ORDER BY: the whole partition ties (alone: beside a window of another order any peers are refused)
UNORDERED = "first_value(v) OVER (PARTITION BY g, k)"
INSENSITIVE = [
    f"rank() OVER ({_W})",
    f"dense_rank() OVER ({_W})",
    f"percent_rank() OVER ({_W})",
    f"cume_dist() OVER ({_W})",
    f"sum(n) OVER ({_W})",
    "count(*) OVER (PARTITION BY g)",
    f"max(v) OVER ({_W} RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)",
    f"sum(n) OVER ({_W} ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)",
]


def _query(*windows: str) -> str:
    return "SELECT g, k, v, n, " + ", ".join(f"{w} AS c{i}" for i, w in enumerate(windows)) + " FROM t"


def _sorted(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted(rows, key=repr)


def _spark(spark: Any, rows: list[tuple[Any, ...]], sql: str) -> list[tuple[Any, ...]]:
    """Spark's rows, its input in one partition in the order given (so peers arrive in that order)."""
    spark.createDataFrame(rows, _SCHEMA).coalesce(1).createOrReplaceTempView("t")
    return _sorted([tuple(r) for r in spark.sql(sql).collect()])


def _engine(
    engine: duckdb.DuckDBPyConnection, rows: list[tuple[Any, ...]], sql: str
) -> list[tuple[Any, ...]]:
    engine.execute("CREATE OR REPLACE TABLE t (g VARCHAR, k INTEGER, v VARCHAR, n BIGINT, id INTEGER)")
    engine.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?)", rows)
    return _sorted(engine.execute(translate_statement(sql).statements[-1]).fetchall())


@pytest.mark.parametrize("rows", [_NO_TIES, _IDENTICAL], ids=["no-ties", "identical-peers"])
@pytest.mark.parametrize(
    "sql", [_query(*SENSITIVE.values()), _query(UNORDERED)], ids=["ordered", "unordered"]
)
def test_sensitive_windows_match_spark_where_peers_are_equal(
    spark: Any, engine: duckdb.DuckDBPyConnection, rows: list[tuple[Any, ...]], sql: str
) -> None:
    expected = _spark(spark, rows, sql)
    assert _engine(engine, rows, sql) == expected
    assert expected == _spark(spark, rows[::-1], sql)  # and Spark's answer does not depend on the order


def test_sensitive_windows_over_differing_peers(spark: Any, engine: duckdb.DuckDBPyConnection) -> None:
    # the claim: Spark's own answer changes with the order the tied rows arrive in, for each function
    windows = {**SENSITIVE, "first_value-unordered": UNORDERED}
    sql = _query(*windows.values())
    forward, backward = _spark(spark, _DIFFER, sql), _spark(spark, _DIFFER[::-1], sql)
    for column, name in enumerate(windows, start=4):
        assert [r[column] for r in forward] != [r[column] for r in backward], name
        with pytest.raises(duckdb.Error, match=r"\[IDU_REFUSED\] .* over rows that tie"):
            _engine(engine, _DIFFER, _query(windows[name]))


def test_insensitive_windows_stay_accepted_over_ties(spark: Any, engine: duckdb.DuckDBPyConnection) -> None:
    sql = _query(*INSENSITIVE)
    assert "IDU_REFUSED" not in translate_statement(sql).statements[-1]
    expected = _spark(spark, _DIFFER, sql)
    assert expected == _spark(spark, _DIFFER[::-1], sql)
    assert _engine(engine, _DIFFER, sql) == expected
