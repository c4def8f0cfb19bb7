"""The sketch functions' modules in one place, for the shared registries (allowed.py, macros.py,
rewrites.py, library.py): the bitmap aggregates, ``histogram_numeric``, the DataSketches HLL functions,
``count_min_sketch`` and ``approx_top_k``. Each module says where its function is exact."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat import (
    bitmap_aggregates,
    count_min_sketch,
    histogram_numeric,
    hll_sketch,
    top_k,
)
from airflow_idu.engines.duckdb.spark_compat.bitmap_aggregates import register_bitmap_merge
from airflow_idu.engines.duckdb.spark_compat.count_min_sketch import register_count_min_sketch
from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.hll_coupons import register_hll_coupons
from airflow_idu.engines.duckdb.spark_compat.hll_stored import register_hll_stored

if TYPE_CHECKING:
    import duckdb

__all__ = ["SKETCH_MACROS", "SKETCH_MODULES", "register_sketches", "sketches"]

# each: FUNCTIONS, CHECKS, ANONYMOUS, anonymous_check (allowed.py)
SKETCH_MODULES = (bitmap_aggregates, histogram_numeric, hll_sketch, count_min_sketch, top_k)
SKETCH_MACROS: tuple[str, ...] = (
    *bitmap_aggregates.BITMAP_MACROS,
    *histogram_numeric.HISTOGRAM_MACROS,
    *hll_sketch.HLL_MACROS,
    *count_min_sketch.CMS_MACROS,
    *top_k.TOP_K_MACROS,
)
_REWRITES: tuple[Callable[[exp.Expr], exp.Expr], ...] = (
    bitmap_aggregates.bitmap_aggregates,
    histogram_numeric.histogram_numeric,
    hll_sketch.hll_sketch,
    count_min_sketch.count_min_sketch,
    top_k.top_k,
)


@gated(like=_REWRITES)
def sketches(tree: exp.Expr) -> exp.Expr:
    """Rewrite the sketch functions into their macros and Python functions."""
    for rewrite in _REWRITES:
        tree = rewrite(tree)
    return tree


def register_sketches(con: duckdb.DuckDBPyConnection) -> None:
    register_bitmap_merge(con)
    register_hll_coupons(con)
    register_hll_stored(con)
    register_count_min_sketch(con)
