"""DataSketches HLL coupons and the coupon-mode estimate, as Python functions for DuckDB.

Spark's ``hll_sketch_agg`` updates a DataSketches ``HllSketch`` (datasketches-java 6.2.0) with each
non-NULL value: an INT or BIGINT as one long (``update(long)``: MurmurHash3 x64_128 of its 8
little-endian bytes), a STRING as its UTF-8 bytes and a BINARY as is (``update(byte[])``; an
empty one is skipped), all with seed 9001. The hash's first half gives the 26-bit slot, the
leading zeros of its second half (at most 62, plus one) the value: the coupon is
``value << 26 | slot``. While a sketch is in LIST or SET mode it holds exactly the set of its
distinct coupons, and its estimate is ``max(cubic interpolation over CouponMapping at the coupon
count, count)`` (``AbstractCoupons.getEstimate``), which ``hll_sketch_estimate`` rounds
(``Math.round``). Both are ported here with Java's double operations in Java's order.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from airflow_idu.engines.duckdb.spark_compat.hashing import blob_bytes
from airflow_idu.engines.duckdb.spark_compat.murmur3_x64 import murmur3_x64_128
from airflow_idu.engines.duckdb.spark_compat.python_functions import register_udf

if TYPE_CHECKING:
    import duckdb

__all__ = ["coupon", "estimate", "register_hll_coupons"]

_M64 = 0xFFFFFFFFFFFFFFFF
SEED = 9001  # ThetaUtil.DEFAULT_UPDATE_SEED
_LONGS = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT"})
# CouponMapping.xArr / yArr's first 8 (computed for lgK = 26): the counts accepted stay below 300000
_X = (0.0, 1.0, 20.0, 400.0, 8000.0, 160000.0, 300000.0, 600000.0)
_Y = (0.0, 1.0, 20.0000009437402611, 400.0003963713384110, 8000.1589294602090376,
      160063.6067763759638183, 300223.7071597663452849, 600895.5933856170158833)  # fmt: skip


def _datum(kind: str, text: str) -> bytes | None:
    if kind in _LONGS:
        return (int(text) & _M64).to_bytes(8, "little")
    if kind == "VARCHAR":
        return text.encode("utf-8") or None
    if kind == "BLOB":
        return blob_bytes(text) or None
    raise ValueError(
        f"[IDU_REFUSED] hll_sketch_agg of a {kind} value: Spark takes INT, BIGINT, STRING and BINARY"
    )


def coupon(kind: str, text: str | None) -> int | None:
    """The coupon of a value given as DuckDB's type name and text; None for NULL and skipped values."""
    if text is None:
        return None
    data = _datum(kind, text)
    if data is None:
        return None
    h1, h2 = murmur3_x64_128(data, SEED)
    leading = 64 - h2.bit_length()
    return (min(leading, 62) + 1) << 26 | (h1 & 0x3FFFFFF)


def _cubic(x: float, offset: int) -> float:
    x0, x1, x2, x3 = _X[offset : offset + 4]
    y0, y1, y2, y3 = _Y[offset : offset + 4]
    term0 = (y0 * ((x - x1) * (x - x2) * (x - x3))) / ((x0 - x1) * (x0 - x2) * (x0 - x3))
    term1 = (y1 * ((x - x0) * (x - x2) * (x - x3))) / ((x1 - x0) * (x1 - x2) * (x1 - x3))
    term2 = (y2 * ((x - x0) * (x - x1) * (x - x3))) / ((x2 - x0) * (x2 - x1) * (x2 - x3))
    term3 = (y3 * ((x - x0) * (x - x1) * (x - x2))) / ((x3 - x0) * (x3 - x1) * (x3 - x2))
    return term0 + term1 + term2 + term3


def estimate(count: int | None) -> int | None:
    """``Math.round(AbstractCoupons.getEstimate())`` for ``count`` distinct coupons (0 .. 299999)."""
    if count is None:
        return None
    if not 0 <= count < _X[6]:
        raise ValueError(f"[IDU_REFUSED] hll_sketch_estimate of {count} coupons: beyond the ported table")
    x = float(count)
    straddle = max(i for i in range(len(_X) - 2) if _X[i] <= x)  # CubicInterpolation.findStraddle
    value = _cubic(x, 0 if straddle == 0 else straddle - 1)
    return math.floor(max(value, x) + 0.5)


def register_hll_coupons(con: duckdb.DuckDBPyConnection) -> None:
    from duckdb import sqltypes as t

    register_udf(con, "idu_hll_coupon", coupon, [t.VARCHAR, t.VARCHAR], t.BIGINT)
    register_udf(con, "idu_hll_estimate", estimate, [t.BIGINT], t.BIGINT)
