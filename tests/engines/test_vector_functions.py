"""The vector functions on the embedded engine: Spark's documented values, its edges (NULL, empty,
dimension mismatch, degree), its summation order, and the refusals. DuckDB only: fast.
tests/fidelity/test_vector_functions.py compares the same with local Spark."""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pytest

from airflow_idu.engines.duckdb.spark_compat.vector_functions import inner_product, norm
from airflow_idu.engines.duckdb.translate import TranslationError, translate_statement


def run(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    return con.execute(translate_statement(sql).statements[-1]).fetchall()[0][0]


def f32(x: float) -> float:
    return float(np.float32(x))


A, B = "array(1.0F, 2.0F, 3.0F)", "array(4.0F, 5.0F, 6.0F)"
# (Spark SQL, Spark 4.3's value: the ExpressionInfo examples and VectorFunctionImplUtils' edges)
CASES = [
    (f"vector_inner_product({A}, {B})", 32.0),
    (f"vector_l2_distance({A}, {B})", f32(5.196152422706632)),
    (f"vector_cosine_similarity({A}, {B})", f32(0.9746318461970762)),
    ("vector_norm(array(3.0F, 4.0F), 2.0F)", 5.0),
    ("vector_norm(array(3.0F, 4.0F), 1.0F)", 7.0),
    ("vector_norm(array(3.0F, 4.0F), float('inf'))", 4.0),
    ("vector_norm(array(3.0F, 4.0F))", 5.0),
    ("vector_normalize(array(3.0F, 4.0F), 2.0F)", [f32(0.6), f32(0.8)]),
    ("vector_normalize(array(3.0F, 4.0F), 1.0F)", [f32(3 / 7), f32(4 / 7)]),
    ("vector_normalize(array(3.0F, 4.0F), float('inf'))", [0.75, 1.0]),
    ("vector_inner_product(array(float(1)), array(CAST(NULL AS FLOAT)))", None),
    ("vector_inner_product(CAST(array() AS ARRAY<FLOAT>), CAST(array() AS ARRAY<FLOAT>))", 0.0),
    ("vector_cosine_similarity(CAST(array() AS ARRAY<FLOAT>), CAST(array() AS ARRAY<FLOAT>))", None),
    ("vector_cosine_similarity(array(0.0F), array(1.0F))", None),
    ("vector_normalize(array(0.0F, 0.0F))", None),
    ("vector_normalize(CAST(array() AS ARRAY<FLOAT>), 3.0F)", "raises"),
    ("vector_norm(array(float('nan'), 1.0F), float('inf'))", "nan"),
    ("vector_inner_product(array(3.4e38F, 3.4e38F), array(2.0F, -2.0F))", 0.0),  # DOUBLE sums: no overflow
    ("vector_l2_distance(array(1.0F), array(1.0F, 2.0F))", "raises"),
    ("vector_norm(array(1.0F), 3.0F)", "raises"),
]


@pytest.mark.parametrize(("sql", "expected"), CASES, ids=[c[0][:60] for c in CASES])
def test_spark_values(con: duckdb.DuckDBPyConnection, sql: str, expected: Any) -> None:
    if expected == "raises":
        with pytest.raises(duckdb.Error):
            run(con, f"SELECT {sql}")
        return
    value = run(con, f"SELECT {sql}")
    if expected == "nan":
        assert value != value
    else:
        assert value == expected


def test_blocks_of_eight_are_summed_first() -> None:
    """Spark adds a block of eight products before the running sum: 1e16 + (1 + ... + 1 - 1e16...)."""
    big = 2.0**53
    values = [big, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]  # the block [big, 1 x 7] then one 1
    ones = [1.0] * 9
    block = big
    for _ in range(7):
        block += 1.0  # each + 1.0 is lost at 2^53
    assert inner_product(values, ones) == block + 1.0
    assert norm([3.0] * 8 + [4.0], 1.0) == 28.0


@pytest.mark.parametrize(
    "sql",
    [
        "vector_norm(array(1, 2))",
        "vector_inner_product(array(1.0D), array(1.0D))",
        "vector_norm(array(1.0F), 2)",
    ],
    ids=["int-array", "double-arrays", "int-degree"],
)
def test_other_types_are_refused_when_run(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    with pytest.raises(duckdb.Error, match="IDU_REFUSED"):
        run(con, f"SELECT {sql}")


@pytest.mark.parametrize("name", ["vector_sum", "vector_avg"])
def test_row_order_dependent_aggregates_are_refused(name: str) -> None:
    with pytest.raises(TranslationError, match="row order"):
        translate_statement(f"SELECT {name}(v) FROM t")
