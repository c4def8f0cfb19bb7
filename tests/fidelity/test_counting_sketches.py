"""bitmap_construct_agg/bitmap_or_agg/bitmap_and_agg, histogram_numeric and
hll_sketch_estimate(hll_sketch_agg(...)): local Spark against the embedded engine beyond the function
harness's 24 rows, on Spark with one partition and with four (its partial aggregates merged): BINARY
bitmaps longer than 4096 bytes, every value type, sketches just below the count where Spark's sketch
leaves its coupon mode (just above it the engine refuses when run)."""

from __future__ import annotations

import random
from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.translate import translate_statement
from tests.fidelity.values import norm

pytestmark = pytest.mark.spark

PARTITIONS = (1, 4)
_SWEEP = pytest.mark.beyond_test  # the other cases of a test: out of `make test` (about 2 s each)


def compare(
    spark: Any, con: duckdb.DuckDBPyConnection, kind: str, rows: list[tuple[int, Any]], select: str
) -> None:
    """``select`` (over t(g, v), grouped by g) on Spark with 1 and 4 partitions and on the engine."""
    con.execute(f"CREATE OR REPLACE TABLE t (g INTEGER, v {kind})")
    con.executemany("INSERT INTO t VALUES (?, ?)", rows)
    sql = f"SELECT g, {select} FROM t GROUP BY g ORDER BY g"
    mine = [
        tuple(norm(v) for v in r) for r in con.execute(translate_statement(sql).statements[-1]).fetchall()
    ]
    spark_kind = {"BLOB": "BINARY", "VARCHAR": "STRING", "INTEGER": "INT"}.get(kind, kind)
    frame = spark.createDataFrame(rows, schema=f"g INT, v {spark_kind}")
    for partitions in PARTITIONS:
        frame.repartition(partitions).createOrReplaceTempView("t")
        theirs = [tuple(norm(v) for v in r) for r in spark.sql(sql).collect()]
        assert mine == theirs, (select, partitions)


def _blobs(seed: int) -> list[tuple[int, Any]]:
    rnd = random.Random(seed)
    sizes = [0, 1, 7, 100, 4095, 4096, 4097, 6000]
    rows = [
        (g, None if rnd.random() < 0.1 else rnd.randbytes(rnd.choice(sizes)))
        for g in range(4)
        for _ in range(9)
    ]
    return [*rows, (4, b"\xff" * 5000), (4, b"\xf7" * 4200), (5, None)]


@pytest.mark.parametrize(
    "select",
    [
        "bitmap_and_agg(v)",
        pytest.param("bitmap_or_agg(v)", marks=_SWEEP),
        pytest.param("bitmap_count(bitmap_or_agg(v))", marks=_SWEEP),
    ],
)
def test_bitmap_or_and_agg(spark: Any, con: duckdb.DuckDBPyConnection, select: str) -> None:
    compare(spark, con, "BLOB", _blobs(7), select)


def test_bitmap_construct_agg(spark: Any, con: duckdb.DuckDBPyConnection) -> None:
    rnd = random.Random(3)
    rows = [(g, rnd.randint(-100000, 100000)) for g in range(3) for _ in range(300)] + [(3, None)]
    compare(spark, con, "BIGINT", rows, "bitmap_construct_agg(bitmap_bit_position(v))")


@pytest.mark.parametrize(
    ("kind", "values"),
    [
        ("INTEGER", [-5, 0, 3, 2147483647, -2147483648]),
        pytest.param("BIGINT", [2**53, -(2**53), 1, 0], marks=_SWEEP),
        pytest.param("DOUBLE", [1.5, -0.0, 1e308, float("inf"), -float("inf"), 5e-324], marks=_SWEEP),
        pytest.param("DATE", None, marks=_SWEEP),
    ],
    ids=["int", "bigint", "double", "date"],
)
def test_histogram_numeric(
    spark: Any, con: duckdb.DuckDBPyConnection, kind: str, values: list[Any] | None
) -> None:
    from datetime import date

    given: list[Any] = (
        values if values is not None else [date(1900, 1, 1), date(2024, 2, 29), date(1970, 1, 1)]
    )
    rows = [(g, v) for g in range(3) for v in given[: len(given) - g]] + [(3, None)]
    compare(spark, con, kind, rows, f"histogram_numeric(v, {len(given)})")


@pytest.mark.parametrize(
    ("kind", "lg_k", "count"),
    [
        ("BIGINT", 8, 24),
        pytest.param("BIGINT", 4, 7, marks=_SWEEP),
        pytest.param("INTEGER", 7, 7, marks=_SWEEP),
        pytest.param("VARCHAR", 12, 384, marks=_SWEEP),
        pytest.param("BLOB", 10, 96, marks=_SWEEP),
    ],
    ids=["lgk8", "lgk4", "lgk7", "string-lgk12", "binary-lgk10"],
)
def test_hll_sketch_estimate_at_its_coupon_limit(
    spark: Any, con: duckdb.DuckDBPyConnection, kind: str, lg_k: int, count: int
) -> None:
    def value(i: int) -> Any:
        return {"VARCHAR": f"item-{i}", "BLOB": i.to_bytes(3, "big")}.get(kind, i * 7919 - 3000)

    rows = [(g, value(i)) for g in range(3) for i in range(count - g)] + [(0, value(1)), (3, None)]
    compare(spark, con, kind, rows, f"hll_sketch_estimate(hll_sketch_agg(v, {lg_k}))")
    con.execute("INSERT INTO t VALUES (0, ?)", [value(count + 5)])
    sql = f"SELECT hll_sketch_estimate(hll_sketch_agg(v, {lg_k})) FROM t WHERE g = 0"
    with pytest.raises(duckdb.Error, match=r"IDU_REFUSED\] hll_sketch_estimate"):
        con.execute(translate_statement(sql).statements[-1]).fetchall()


@pytest.mark.parametrize(
    ("kind", "select"),
    [
        ("VARCHAR", "count_min_sketch(v, 0.01d, 0.95d, 11)"),
        pytest.param("BIGINT", "count_min_sketch(v, 0.001d, 0.99d, -3)", marks=_SWEEP),
        pytest.param("BLOB", "count_min_sketch(v, 0.3d, 0.5d, 0)", marks=_SWEEP),
    ],
    ids=["string", "bigint", "binary"],
)
def test_count_min_sketch(spark: Any, con: duckdb.DuckDBPyConnection, kind: str, select: str) -> None:
    rnd = random.Random(5)

    def value() -> Any:
        n = rnd.randint(-50, 50) * 10**15
        return {"VARCHAR": f"ключ-{n}", "BLOB": n.to_bytes(8, "big", signed=True)}.get(kind, n)

    rows = [(g, None if rnd.random() < 0.05 else value()) for g in range(3) for _ in range(200)] + [(3, None)]
    compare(spark, con, kind, rows, select)


@pytest.mark.parametrize(
    ("kind", "select"),
    [
        ("BIGINT", "approx_top_k(v, 3)"),
        pytest.param("VARCHAR", "approx_top_k_estimate(approx_top_k_accumulate(v, 20), 4)", marks=_SWEEP),
        pytest.param("DOUBLE", "approx_top_k(v, 2, 12)", marks=_SWEEP),
    ],
    ids=["bigint", "string-accumulated", "double"],
)
def test_approx_top_k_without_ties(
    spark: Any, con: duckdb.DuckDBPyConnection, kind: str, select: str
) -> None:
    """Counts 1, 2, 3... per group (no ties), NULLs among them; up to the exact range (15 items at 20 tracked)."""

    def value(i: int) -> Any:
        return {"VARCHAR": f"v{i}", "DOUBLE": i / 3}.get(kind, i * 10**12)

    rows = [(g, value(i)) for g in range(3) for i in range(1, 9 - g) for _ in range(i)]
    rows += [(1, None)] * 4 + [(2, None)] * 7
    compare(spark, con, kind, rows, select)


@_SWEEP
def test_hll_union(spark: Any, con: duckdb.DuckDBPyConnection) -> None:
    """Two sketches of one row's columns (v and v + 1000), lgConfigK 8 and 10: their union at lgConfigK 8."""
    rows = [(g, i * 31) for g in range(3) for i in range(6 + 3 * g)] + [(3, None)]
    select = "hll_sketch_estimate(hll_union(hll_sketch_agg(v, 8), hll_sketch_agg(v + 1000, 10), true))"
    compare(spark, con, "BIGINT", rows, select)
