"""``hll_sketch_estimate(hll_union_agg(sketch [, allowDifferentLgConfigK]))`` over stored sketch bytes
(Spark's ``hll_sketch_agg``/``hll_union_agg`` output), where every sketch is in coupon mode.

DataSketches' HLL serialization (datasketches-java 6.2.0, ``PreambleUtil``): byte 0 the preamble
ints (LIST 2, SET 3), 1 the serial version (1), 2 the family (7), 3 lgConfigK, 4 lgArr, 5 the flags
(EMPTY 4, COMPACT 8), 6 the LIST's coupon count, 7 the mode (bits 0-1: LIST 0, SET 1, HLL 2; bits
2-3 the target type). A LIST's coupons follow at byte 8 (its first ``count`` ints), a SET's count is
the int at byte 8 and its 2^lgArr slots (0: empty) follow at byte 12. Spark writes these updatable
forms; a compact one (flag 8, which Spark does not write) is refused when run.

Spark's ``HllUnionAgg`` makes its ``Union`` with the first non-empty sketch's lgConfigK, raises
``HLL_UNION_DIFFERENT_LG_K`` when two non-empty sketches differ and ``allowDifferentLgConfigK`` is
false, and merges a coupon-mode sketch into its gadget coupon by coupon (``Union.unionImpl``; a SET
into an empty gadget of its lgConfigK is copied, the same set). The gadget keeps the set of coupons
until it holds more than its lgConfigK's limit (:func:`.hll_sketch.max_coupons`): up to the smallest
limit among the sketches, whatever their order, the estimate is the coupon-mode estimate of the
union's coupon count (:func:`.hll_coupons.estimate`). Beyond it, or for a sketch in HLL mode, the
answer depends on the merge order: refused when run. So are bytes this reader does not take apart
exactly (where Spark raises ``HLL_INVALID_INPUT_SKETCH_BUFFER`` or reads something else).
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from airflow_idu.engines.duckdb.spark_compat.hll_coupons import estimate
from airflow_idu.engines.duckdb.spark_compat.hll_sketch import max_coupons
from airflow_idu.engines.duckdb.spark_compat.python_functions import register_udf

if TYPE_CHECKING:
    import duckdb

__all__ = ["coupons_of", "register_hll_stored", "union_estimate"]

_WHAT = "hll_sketch_estimate(hll_union_agg(...))"
_INSTEAD = (
    "Use hll_sketch_estimate(hll_sketch_agg(...)) over the values, or count(DISTINCT ...) for the exact count"
)


def _refuse(why: str) -> ValueError:
    return ValueError(f"[IDU_REFUSED] {_WHAT}: {why}. {_INSTEAD}")


def _ints(data: bytes, start: int, count: int) -> list[int]:
    return list(struct.unpack_from(f"<{count}I", data, start))


def _slots(data: bytes, start: int, count: int, lg_arr: int) -> list[int] | None:
    """The ``count`` coupons of a LIST (``start`` 8) or SET (12) in its 2^lgArr slots; None if unsure."""
    size = 1 << lg_arr
    if len(data) != start + 4 * size or not 0 <= count <= size:
        return None
    found = _ints(data, start, size)
    if start == 8:  # a LIST's coupons come first, the rest of its slots are empty
        coupons, rest = found[:count], found[count:]
        if any(rest):
            return None
    else:
        coupons = [c for c in found if c]
    if len(coupons) != count or 0 in coupons or len(set(coupons)) != count:
        return None
    return coupons if all(1 <= c >> 26 <= 63 for c in coupons) else None


def coupons_of(data: bytes) -> tuple[int, list[int]]:
    """A stored coupon-mode sketch's lgConfigK and coupons; raises a refusal for anything else."""
    if len(data) < 8 or data[1] != 1 or data[2] != 7 or not 4 <= data[3] <= 21 or (data[7] >> 2) > 2:
        raise _refuse("a BINARY value that is not a DataSketches HLL sketch Spark wrote")
    mode, flags, lg_arr = data[7] & 3, data[5], data[4]
    if mode == 2:
        raise _refuse(
            "a stored sketch in HLL mode (beyond its coupon limit): its union's estimate depends on "
            "the order Spark merges the sketches"
        )
    coupons = None
    if flags & ~(4 | 16):  # only EMPTY and OUT_OF_ORDER: not compact, not read-only nor big-endian
        coupons = None
    elif mode == 0 and data[0] == 2 and lg_arr <= 5:
        coupons = _slots(data, 8, data[6], lg_arr)
    elif mode == 1 and data[0] == 3 and len(data) >= 12 and lg_arr <= 26:
        coupons = _slots(data, 12, struct.unpack_from("<i", data, 8)[0], lg_arr)
    if coupons is None or bool(flags & 4) != (not coupons):
        raise _refuse("a stored HLL sketch whose bytes this reader does not take apart exactly")
    return data[3], coupons


def union_estimate(sketches: list[bytes | None] | None, allow: bool | None, kind: str | None) -> int:
    """``Math.round`` of the estimate of the union of ``sketches`` (NULLs skipped), or raises."""
    if kind not in (None, "BLOB", '"NULL"'):
        raise ValueError(f"[IDU_REFUSED] hll_union_agg of a {kind} column: only BINARY sketches")
    seen: set[int] = set()
    lg_ks: list[int] = []
    for data in sketches or ():
        if data is None:
            continue
        lg_k, coupons = coupons_of(data)
        if not coupons:
            continue
        if lg_ks and lg_k != lg_ks[0] and not allow:
            raise ValueError(
                f"[HLL_UNION_DIFFERENT_LG_K] Sketches have different `lgConfigK` values: {lg_ks[0]} and {lg_k}. "
                "Set the `allowDifferentLgConfigK` parameter to true to call `hll_union_agg` with different "
                "`lgConfigK` values. SQLSTATE: 22000"
            )
        lg_ks.append(lg_k)
        seen.update(coupons)
    most = min((max_coupons(k) for k in set(lg_ks)), default=0)
    if len(seen) > most:
        raise _refuse(
            f"the union holds {len(seen)} distinct coupons, beyond {most} (its lgConfigK's limit): Spark's union "
            "is in HLL mode, whose estimate depends on the order it merges the sketches"
        )
    found = estimate(len(seen))
    assert found is not None
    return found


def register_hll_stored(con: duckdb.DuckDBPyConnection) -> None:
    from duckdb import sqltypes as t
    from duckdb.sqltypes import DuckDBPyType

    blobs = DuckDBPyType(list[bytes])
    register_udf(con, "idu_hll_union_estimate", union_estimate, [blobs, t.BOOLEAN, t.VARCHAR], t.BIGINT)
