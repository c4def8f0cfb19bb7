"""The KLL sketch functions: local Spark against the embedded engine beyond the function harness's 24
rows. Groups of 0 to k items (duplicates, NULL, NaN, -0.0, infinities, BIGINT limits) with one Spark
partition and with four (partial sketches merged: level 0 in another order), quantiles at many ranks,
ranks at the items and between them, merges, merge aggregates and summaries; above k Spark's sketch
compacts and the engine refuses quantiles and ranks when run (its count stays exact)."""

from __future__ import annotations

import random
from typing import Any

import duckdb
import pytest

from tests.fidelity.partitioned import both

pytestmark = pytest.mark.spark

RANKS = "array(0, 0.001, 0.1, 0.25, 0.3333333, 0.5, 0.6666667, 0.75, 0.9, 0.999, 1)"
SPECIAL = [0.0, -0.0, float("inf"), -float("inf"), float("nan"), 1e-300, -1.5]


def rows_of(kind: str, sizes: list[int], seed: int) -> list[tuple[int, Any]]:
    rnd = random.Random(seed)
    rows: list[tuple[int, Any]] = []
    for g, n in enumerate(sizes):
        for _ in range(n):
            if kind == "BIGINT":
                value: Any = rnd.choice(
                    [rnd.randint(-50, 50), 2**63 - 1, -(2**63), rnd.randint(-(2**62), 2**62)]
                )
            else:
                value = rnd.choice([*SPECIAL, float(rnd.randint(-40, 40)) / 4, rnd.uniform(-1e6, 1e6)])
            rows.append((g, value))
        rows.append((g, None))
    return rows


def _typed(kind: str) -> tuple[str, str]:
    return ("bigint", "array(-51, -1, 0, 3, 50, 9223372036854775807)") if kind == "BIGINT" else (
        "double", "array(-1000000, -1.5, 0, 0.25, 2.5, 1e300)")  # fmt: skip


@pytest.mark.beyond_test  # 4 Spark jobs per type, ~15 s
@pytest.mark.parametrize("kind", ["BIGINT", "DOUBLE"])
def test_exact_below_k(spark: Any, con: duckdb.DuckDBPyConnection, kind: str) -> None:
    t, values = _typed(kind)
    rows = rows_of(kind, [0, 1, 2, 3, 7, 50, 199, 200], seed=7)
    sql = (
        f"SELECT g, kll_sketch_get_n_{t}(kll_sketch_agg_{t}(v)), kll_sketch_get_quantile_{t}(kll_sketch_agg_{t}(v), "
        f"{RANKS}), kll_sketch_get_rank_{t}(kll_sketch_agg_{t}(v), {values}), kll_sketch_get_n_{t}(kll_sketch_merge_"
        f"{t}(kll_sketch_agg_{t}(v, 100), kll_sketch_agg_{t}(v))) FROM t WHERE g > 0 GROUP BY g ORDER BY g"
    )
    mine, spark_rows = both(spark, con, kind, rows, sql)
    assert mine == spark_rows[1] == spark_rows[4]


@pytest.mark.beyond_test
@pytest.mark.parametrize("kind", ["BIGINT", "DOUBLE"])
def test_summary_and_empty(spark: Any, con: duckdb.DuckDBPyConnection, kind: str) -> None:
    t, _ = _typed(kind)
    # the summary prints min and max: DOUBLEs only where Java's digits are the exact value's (else refused)
    rows = [
        (g, v) for g, v in rows_of(kind, [0, 1, 5], seed=3) if v is None or (abs(v) < 1e6 and v == round(v))
    ]
    sql = (
        f"SELECT g, kll_sketch_to_string_{t}(kll_sketch_agg_{t}(v, 64)), kll_sketch_get_n_{t}(kll_sketch_agg_{t}(v)) "
        "FROM t GROUP BY g ORDER BY g"
    )
    mine, spark_rows = both(spark, con, kind, rows, sql)
    assert mine == spark_rows[1] == spark_rows[4]


def test_beyond_k_refused_count_exact(spark: Any, con: duckdb.DuckDBPyConnection) -> None:
    rows = rows_of("BIGINT", [30], seed=5)
    counted = "SELECT kll_sketch_get_n_bigint(kll_sketch_agg_bigint(v, 8)) FROM t"
    mine, spark_rows = both(spark, con, "BIGINT", rows, counted)
    assert mine == spark_rows[1] == spark_rows[4] == [(30,)]
    quantile = "SELECT kll_sketch_get_quantile_bigint(kll_sketch_agg_bigint(v, 8), 0.5) FROM t"
    mine, _ = both(spark, con, "BIGINT", rows, quantile)
    assert isinstance(mine, str) and "IDU_REFUSED" in mine and "kll_sketch_get_quantile_bigint" in mine
