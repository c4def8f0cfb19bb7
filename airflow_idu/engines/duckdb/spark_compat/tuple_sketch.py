"""DataSketches tuple sketches (double and integer summaries) as Spark 4.3 combines them, in Python.

A tuple sketch is a theta sketch (:mod:`.theta_sketch`) whose every hash carries a summary. Its
hashes follow the theta rules (the k smallest below the smallest theta, empty inputs ignored by a
union...). A summary combines values with the mode's fold, from 0 (sum), +Infinity (min),
-Infinity (max) or 1 (alwaysone): ``if (v < cur) cur = v`` for min, so NaN never enters and the
first of 0.0 and -0.0 stays; a Java ``int`` sum wraps. A hash met in one input of a union keeps that
summary as it is. Spark's order of the values is its rows' and partitions', so the engine answers
only where the fold cannot depend on it: a DOUBLE sum whose every partial sum is exact (the values'
magnitudes, in units of the finest of them, add up below 2^53; non-finite values then give
NaN or an infinity in any order), a min or max that is not a zero both signs of which occur.
Elsewhere it refuses when run.

Spark writes a tuple sketch's entries in its hash table's order, which depends on the order the
rows arrive in: these sketches never leave the engine (translation accepts a tuple sketch only as
the argument of another tuple function), so their bytes here are Spark's layout with the entries
ascending, and reading accepts Spark's layout in any order.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from airflow_idu.engines.duckdb.spark_compat import theta_sketch as ts

__all__ = ["MODES", "Tuple", "combine", "deserialize", "serialize", "summarize", "union"]

Value = float | int
MODES = ("sum", "min", "max", "alwaysone")  # DoubleSummary.Mode's order: its byte in a summary
_INT_MIN, _INT_MAX = -(1 << 31), (1 << 31) - 1
_TUPLE_FAMILY, _COMPACT_TYPE = 9, 1
_FLAGS, _EMPTY_FLAG = 0x0A, 0x04  # IS_READ_ONLY | IS_COMPACT; IS_EMPTY


@dataclass(frozen=True)
class Tuple:
    theta: int
    entries: dict[int, Value]  # hash -> summary, all hashes below theta
    empty: bool = False


EMPTY = Tuple(ts.MAX_THETA, {}, True)


def _refuse(what: str, why: str) -> ValueError:
    return ValueError(f"[IDU_REFUSED] {what}: {why}")


def _initial(mode: str, integer: bool) -> Value:
    if integer:
        return {"sum": 0, "min": _INT_MAX, "max": _INT_MIN, "alwaysone": 1}[mode]
    return {"sum": 0.0, "min": math.inf, "max": -math.inf, "alwaysone": 1.0}[mode]


def _binary(v: float) -> tuple[int, int]:
    """(odd, e) with v == odd * 2**e (0.0: (0, 0))."""
    p, q = v.as_integer_ratio()
    if q > 1:
        return p, 1 - q.bit_length()
    e = (p & -p).bit_length() - 1 if p else 0
    return p >> e if p else 0, e


def _exact_sum(values: list[float], what: str) -> float:
    """A DOUBLE sum Spark reaches in whatever order it adds, or refused."""
    parts = [_binary(v) for v in values if math.isfinite(v)]
    low = min((e for odd, e in parts if odd), default=0)
    units = [odd << (e - low) if odd else 0 for odd, e in parts]  # every partial sum is a multiple of 2**low
    if sum(abs(u) for u in units) >= 1 << 53:
        raise _refuse(
            what, "a sum of DOUBLE summaries whose rounding depends on the order Spark adds them in"
        )
    others = [v for v in values if not math.isfinite(v)]
    if any(math.isnan(v) for v in others) or (math.inf in others and -math.inf in others):
        return math.nan
    if others:
        return others[0]
    return math.ldexp(float(sum(units)), low) + 0.0  # exact; a zero total is 0.0


def combine(values: list[Value], mode: str, integer: bool, what: str) -> Value:
    """The fold of ``values`` from the mode's initial summary (DoubleSummary/IntegerSummary.update)."""
    if mode == "alwaysone":
        return 1 if integer else 1.0
    if integer:
        if mode == "sum":
            total = sum(int(v) for v in values) & 0xFFFFFFFF
            return total - (1 << 32) if total > _INT_MAX else total
        return min(values, default=_INT_MAX) if mode == "min" else max(values, default=_INT_MIN)
    if mode == "sum":
        return _exact_sum([float(v) for v in values], what)
    seen = [float(v) for v in values if not math.isnan(v)]
    found = (min if mode == "min" else max)(seen, default=_initial(mode, False))
    if found == 0 and {math.copysign(1.0, v) for v in seen if v == 0} == {1.0, -1.0}:
        raise _refuse(what, f"the {mode} of both 0.0 and -0.0 (Spark keeps whichever comes first)")
    return found


def merged(contributions: dict[int, list[Value]], mode: str, integer: bool, what: str) -> dict[int, Value]:
    """Each hash's summary: kept as it is from one input, else the fold of the inputs' summaries."""
    return {
        h: values[0] if len(values) == 1 else combine(values, mode, integer, what)
        for h, values in contributions.items()
    }


def _gather(sketches: Iterable[Tuple], theta: int) -> dict[int, list[Value]]:
    found: dict[int, list[Value]] = {}
    for sketch in sketches:
        for h, value in sketch.entries.items():
            if h < theta:
                found.setdefault(h, []).append(value)
    return found


def union(sketches: list[Tuple], lg_k: int, mode: str, integer: bool, what: str) -> Tuple:
    given = [s for s in sketches if not s.empty]
    if not given:
        return EMPTY
    theta = min(s.theta for s in given)
    entries = merged(_gather(given, theta), mode, integer, what)
    hashes = sorted(entries)
    if len(hashes) > 1 << lg_k:
        theta = hashes[1 << lg_k]
        entries = {h: entries[h] for h in hashes[: 1 << lg_k]}
    return _normal(Tuple(theta, entries))  # the gadget of no hash and theta 1.0 stays empty


def intersect(sketches: list[Tuple], mode: str, integer: bool, what: str) -> Tuple:
    if not sketches or any(s.empty for s in sketches):
        return EMPTY
    if len(sketches) == 1:
        return sketches[0]
    theta = min(s.theta for s in sketches)
    found = _gather(sketches, theta)
    common = {h: v for h, v in found.items() if len(v) == len(sketches)}
    # no sticky empty state here (tuple.Intersection): no common hash keeps the smallest theta
    return Tuple(theta, {h: combine(v, mode, integer, what) for h, v in common.items()})


def anotb(a: Tuple, b_hashes: Iterable[int], b_theta: int, b_empty: bool, what: str) -> Tuple:
    b_hashes = set(b_hashes)
    degenerate = (not a.entries and a.theta == ts.MAX_THETA and not a.empty) or (
        not b_hashes and b_theta == ts.MAX_THETA and not b_empty
    )
    if degenerate:  # no hash, theta 1.0, not empty (an intersection's): AnotB's corner cases, Spark may fail
        raise _refuse(what, "a sketch without hashes, of theta 1.0 and not empty (a disjoint intersection's)")
    if a.empty or b_empty:
        return a
    theta = min(a.theta, b_theta)
    return _normal(Tuple(theta, {h: v for h, v in a.entries.items() if h < theta and h not in b_hashes}))


def _normal(sketch: Tuple) -> Tuple:
    return EMPTY if not sketch.entries and sketch.theta == ts.MAX_THETA else sketch


def summarize(sketch: Tuple, mode: str, integer: bool, what: str) -> Value:
    """tuple_sketch_summary: the entries' summaries by Scala's Numeric (a long for INT summaries)."""
    values = list(sketch.entries.values())
    if mode == "alwaysone":
        return len(values) if integer else float(len(values))
    if integer:
        return sum(values) if mode == "sum" else (min if mode == "min" else max)(values, default=0)
    if mode == "sum":
        return _exact_sum([float(v) for v in values], what) if values else 0.0
    if not values:
        return 0.0
    if any(math.isnan(v) for v in values):  # Math.min/max: NaN wins
        return math.nan
    pick = min if mode == "min" else max
    return pick(values, key=lambda v: (v, math.copysign(1.0, v)))  # -0.0 below 0.0


def estimate(sketch: Tuple) -> float:
    count = len(sketch.entries)
    return float(count) if sketch.theta == ts.MAX_THETA else count / (sketch.theta / float(ts.MAX_THETA))


# -- serialization ------------------------------------------------------------------------


def _summary_bytes(value: Value, mode: str, integer: bool) -> bytes:
    return struct.pack("<i" if integer else "<d", value) + bytes([MODES.index(mode)])


def serialize(sketch: Tuple, mode: str, integer: bool) -> bytes:
    """Spark's CompactSketch.toByteArray layout, entries ascending (these bytes stay in the engine)."""
    head = struct.pack("<BBBBBBH", 1, 3, _TUPLE_FAMILY, _COMPACT_TYPE, 0, _FLAGS, 0x93CC)
    if sketch.empty:
        return struct.pack("<BBBBBBH", 1, 3, _TUPLE_FAMILY, _COMPACT_TYPE, 0, _FLAGS | _EMPTY_FLAG, 0x93CC)
    count, estimating = len(sketch.entries), sketch.theta < ts.MAX_THETA
    body = b"".join(
        struct.pack("<q", h) + _summary_bytes(sketch.entries[h], mode, integer)
        for h in sorted(sketch.entries)
    )
    if count == 1 and not estimating:
        return head + body
    preamble = struct.pack("<ii", count, 0) + (struct.pack("<q", sketch.theta) if estimating else b"")
    return bytes([3 if estimating else 2]) + head[1:] + preamble + body


def deserialize(data: bytes, integer: bool, what: str) -> Tuple:
    """A sketch in Spark's compact tuple layout of this summary type, or refused."""
    bad = _refuse(what, "not a compact tuple sketch of this summary type the engine reads")
    if len(data) < 8:
        raise bad
    preamble, version, family, kind, _, flags, _ = struct.unpack_from("<BBBBBBH", data)
    if version != 3 or family != _TUPLE_FAMILY or kind != _COMPACT_TYPE or flags & ~0x0F or flags & 1:
        raise bad
    if flags & _EMPTY_FLAG:
        return EMPTY
    size = 5 if integer else 9
    if preamble == 1:
        count, theta, offset = 1, ts.MAX_THETA, 8
    elif preamble in (2, 3) and len(data) >= 8 * preamble:
        count, theta = struct.unpack_from("<i", data, 8)[0], ts.MAX_THETA
        theta, offset = (struct.unpack_from("<q", data, 16)[0], 24) if preamble == 3 else (theta, 16)
    else:
        raise bad
    if count < 0 or len(data) != offset + count * (8 + size) or not 0 < theta <= ts.MAX_THETA:
        raise bad
    entries: dict[int, Value] = {}
    for i in range(count):
        at = offset + i * (8 + size)
        h = struct.unpack_from("<q", data, at)[0]
        value = struct.unpack_from("<i" if integer else "<d", data, at + 8)[0]
        if not 0 < h < theta or h in entries or data[at + 8 + size - 1] > 3:
            raise bad
        entries[h] = value
    return Tuple(theta, entries)  # without hashes and theta 1.0 but not empty: as Spark reads it
