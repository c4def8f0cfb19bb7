"""hll_sketch_estimate(hll_union_agg(...)) of sketches Spark wrote (hll_sketch_agg over random groups, lgConfigK
4, 8 and 12, LIST and SET mode, empty ones and NULLs): local Spark, with one partition and with four, against the
embedded engine, just below the union's coupon limit; and Spark's error for sketches of different lgConfigK."""

from __future__ import annotations

import random
from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.translate import translate_statement

pytestmark = pytest.mark.spark


def _sketches(spark: Any, plan: list[tuple[int, int, list[int]]]) -> list[tuple[int, bytes | None]]:
    """Spark's hll_sketch_agg bytes for each (union group, lgConfigK, values); no values: an empty sketch."""
    rows = [(i, u, lg_k, v) for i, (u, lg_k, values) in enumerate(plan) for v in values or [None]]
    frame = spark.createDataFrame(rows, schema="i INT, u INT, lgk INT, v BIGINT")
    frame.createOrReplaceTempView("raw")
    lg_ks = sorted({lg_k for _, lg_k, _ in plan})
    pick = " ".join(f"WHEN lgk = {k} THEN hll_sketch_agg(v, {k})" for k in lg_ks)
    sql = f"SELECT u, CASE {pick} END FROM raw GROUP BY i, u, lgk ORDER BY i"
    return [(r[0], bytes(r[1])) for r in spark.sql(sql).collect()]


def _compare(
    spark: Any, con: duckdb.DuckDBPyConnection, rows: list[tuple[int, bytes | None]], arg: str
) -> None:
    sql = f"SELECT u, hll_sketch_estimate(hll_union_agg(s{arg})) FROM t GROUP BY u ORDER BY u"
    con.execute("CREATE OR REPLACE TABLE t (u INTEGER, s BLOB)")
    con.executemany("INSERT INTO t VALUES (?, ?)", rows)
    mine = con.execute(translate_statement(sql).statements[-1]).fetchall()
    frame = spark.createDataFrame(rows, schema="u INT, s BINARY")
    for partitions in (1, 4):
        frame.repartition(partitions).createOrReplaceTempView("t")
        assert mine == [tuple(r) for r in spark.sql(sql).collect()], partitions


def test_union_of_stored_sketches(spark: Any, con: duckdb.DuckDBPyConnection) -> None:
    rnd = random.Random(11)
    plan: list[tuple[int, int, list[int]]] = []
    for u, (lg_k, most, width) in enumerate(
        [(12, 90, 200), (12, 20, 30), (8, 24, 40), (4, 7, 9), (12, 0, 5)]
    ):
        pool = rnd.sample(range(-width, width), most) if most else []
        plan += [(u, lg_k, rnd.sample(pool, rnd.randint(0, min(len(pool), 15)))) for _ in range(8)]
        plan.append((u, lg_k, pool))  # one sketch holding them all: the union's count is known
    rows = [*_sketches(spark, plan), (1, None), (5, None)]
    _compare(spark, con, rows, "")


def test_union_of_different_lg_config_k(spark: Any, con: duckdb.DuckDBPyConnection) -> None:
    plan = [(0, 12, [1, 2, 3]), (0, 4, [3, 4]), (0, 8, [5, 6, 7]), (1, 8, []), (1, 4, [9])]
    rows = _sketches(spark, plan)
    _compare(spark, con, rows, ", true")
    sql = "SELECT hll_sketch_estimate(hll_union_agg(s)) FROM t"
    with pytest.raises(Exception, match="HLL_UNION_DIFFERENT_LG_K"):
        spark.sql(sql).collect()
    with pytest.raises(duckdb.Error, match="HLL_UNION_DIFFERENT_LG_K"):
        con.execute(translate_statement(sql).statements[-1]).fetchall()
