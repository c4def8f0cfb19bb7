"""DataSketches theta sketches as Spark 4.3 builds them (datasketches-java 6.2.0), in Python.

A theta sketch keeps the 63-bit hashes (MurmurHash3 x64_128, seed 9001, of a value's bytes, the
first 64-bit half shifted right by one) below its ``theta``. Spark's results are deterministic
functions of the set of hashes, whatever the order of the rows or Spark's partitions:

- ``theta_sketch_agg`` (an UpdateSketch of k = 2^lgNomEntries, rebuilt, merged through a Union of
  the same k): every distinct hash while there are at most k; beyond, the k smallest, and theta
  is the (k+1)-th smallest. Each quick-select rebuild keeps all hashes below the (k+1)-th smallest
  of what it has seen, so every partition keeps the global k smallest (tests/fidelity checks this
  over 1, 3 and 7 partitions).
- a Union ignores empty sketches, takes the smallest theta, the hashes below it, and trims them to
  its k the same way; an Intersection is empty if any input is, else the common hashes below the
  smallest theta; A not B is empty if A is, A if B is, else A's hashes below the smaller theta
  that B lacks. A result without hashes and theta 1.0 is the empty sketch.

``toByteArrayCompressed`` writes the empty sketch (8 bytes, serial version 3), a single hash in
exact mode (16 bytes, version 3), no hash below theta < 1 (24 bytes, version 3, three preamble
longs), and otherwise version 4: the deltas of the ordered hashes bit-packed big-endian in the
fewest bits that hold the largest. Reading accepts exactly those forms (and version 3 with
entries, as other writers make it); any other buffer is refused when run rather than guessed at.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

from airflow_idu.engines.duckdb.spark_compat.murmur3_x64 import murmur3_x64_128

__all__ = [
    "MAX_THETA",
    "Theta",
    "anotb",
    "build",
    "estimate",
    "intersect",
    "murmur_hash",
    "parse",
    "serialize",
    "union",
]

MAX_THETA = (1 << 63) - 1  # Long.MAX_VALUE: theta 1.0
_SEED = 9001  # ThetaUtil.DEFAULT_UPDATE_SEED
_SEED_HASH = 0x93CC  # ThetaUtil.computeSeedHash(9001)
_M64 = (1 << 64) - 1
# preamble flags (PreambleUtil)
_READ_ONLY, _EMPTY, _COMPACT, _ORDERED, _SINGLE = 2, 4, 8, 16, 32
_COMPACT_FAMILY = 3
_P_ONE = 0x3F800000  # the sampling probability 1.0f


@dataclass(frozen=True)
class Theta:
    theta: int  # thetaLong: MAX_THETA for 1.0
    hashes: tuple[int, ...]  # ascending, all below theta
    empty: bool = False


EMPTY = Theta(MAX_THETA, (), True)


def _refuse(what: str, why: str) -> ValueError:
    return ValueError(f"[IDU_REFUSED] {what}: {why}")


def murmur_hash(data: bytes) -> int:
    """DataSketches' hash of ``data``: MurmurHash3 x64_128 (seed 9001), first half >>> 1."""
    return murmur3_x64_128(data, _SEED)[0] >> 1


# -- set operations -------------------------------------------------------------------


def _trimmed(theta: int, hashes: list[int], lg_k: int) -> Theta:
    """At most k hashes below theta: beyond, the k smallest and the (k+1)-th as theta."""
    k = 1 << lg_k
    hashes.sort()
    if len(hashes) > k:
        theta, hashes = hashes[k], hashes[:k]
    return Theta(theta, tuple(hashes))


def build(hashes: list[int], lg_k: int) -> Theta:
    """theta_sketch_agg's sketch of these (distinct) hashes."""
    return _trimmed(MAX_THETA, list(set(hashes)), lg_k) if hashes else EMPTY


def union(sketches: list[Theta], lg_k: int) -> Theta:
    given = [s for s in sketches if not s.empty]
    if not given:
        return EMPTY
    theta = min(s.theta for s in given)
    return _trimmed(theta, list({h for s in given for h in s.hashes if h < theta}), lg_k)


def intersect(sketches: list[Theta]) -> Theta:
    """An Intersection of the sketches in any order, or refused where the order matters: two exact
    sketches without a common hash make it empty for good (IntersectionImpl.performIntersect) only
    if they come before every sketch of theta < 1."""
    if not sketches or any(s.empty for s in sketches):
        return EMPTY
    exact = [set(s.hashes) for s in sketches if s.theta == MAX_THETA]
    if 2 <= len(exact) < len(sketches) and not set.intersection(*exact):
        raise ValueError(
            "[IDU_REFUSED] theta_intersection_agg: exact sketches without a common hash beside sketches in "
            "estimation mode: Spark's result is empty or not depending on the order it meets them in"
        )
    theta = min(s.theta for s in sketches)
    common = set(sketches[0].hashes)
    for s in sketches[1:]:
        common &= set(s.hashes)
    return Theta(theta, tuple(sorted(h for h in common if h < theta)))


def anotb(a: Theta, b: Theta) -> Theta:
    if a.empty or b.empty:
        return a
    theta = min(a.theta, b.theta)
    lacking = set(b.hashes)
    return Theta(theta, tuple(h for h in a.hashes if h < theta and h not in lacking))


def estimate(sketch: Theta) -> int:
    """Math.round(getEstimate()): count * (Long.MAX_VALUE as double / thetaLong)."""
    value = len(sketch.hashes) * (float(MAX_THETA) / sketch.theta)
    whole = math.floor(value)
    return int(whole) + (1 if value - whole >= 0.5 else 0)


# -- serialization ----------------------------------------------------------------------


def _normal(sketch: Theta) -> Theta:
    """componentsToCompact: no hash and theta 1.0 is empty; an empty sketch has theta 1.0."""
    if sketch.empty or (not sketch.hashes and sketch.theta == MAX_THETA):
        return EMPTY
    return sketch


def _packed(hashes: tuple[int, ...]) -> tuple[int, bytes]:
    deltas, previous, ored = [], 0, 0
    for h in hashes:
        deltas.append(h - previous)
        ored |= h - previous
        previous = h
    bits = ored.bit_length()
    value = int("".join(format(d, f"0{bits}b") for d in deltas), 2)
    total = bits * len(deltas)
    size = (total + 7) // 8
    return bits, (value << (size * 8 - total)).to_bytes(size, "big")


def serialize(sketch: Theta) -> bytes:
    """CompactSketch.toByteArrayCompressed of the ordered compact sketch."""
    sketch = _normal(sketch)
    flags = _READ_ONLY | _COMPACT | _ORDERED
    count, estimating = len(sketch.hashes), sketch.theta < MAX_THETA
    if sketch.empty:
        return struct.pack("<BBBBBBH", 1, 3, _COMPACT_FAMILY, 0, 0, flags | _EMPTY, 0)
    if count == 1 and not estimating:
        head = struct.pack("<BBBBBBH", 1, 3, _COMPACT_FAMILY, 0, 0, flags | _SINGLE, _SEED_HASH)
        return head + struct.pack("<q", sketch.hashes[0])
    if count == 0:
        head = struct.pack("<BBBBBBH", 3, 3, _COMPACT_FAMILY, 0, 0, flags, _SEED_HASH)
        return head + struct.pack("<iIq", 0, _P_ONE, sketch.theta)
    bits, packed = _packed(sketch.hashes)
    count_bytes = (count.bit_length() + 7) // 8
    preamble = 2 if estimating else 1
    head = struct.pack("<BBBBBBH", preamble, 4, _COMPACT_FAMILY, bits, count_bytes, flags, _SEED_HASH)
    theta = struct.pack("<q", sketch.theta) if estimating else b""
    return head + theta + count.to_bytes(count_bytes, "little") + packed


def _unpacked(data: bytes, offset: int, bits: int, count: int, what: str) -> tuple[int, ...]:
    total = bits * count
    size = (total + 7) // 8
    if len(data) != offset + size:
        raise _refuse(what, "a theta sketch buffer of an unexpected length")
    value = int.from_bytes(data[offset:], "big") >> (size * 8 - total) if count else 0
    mask, out, previous = (1 << bits) - 1, [], 0
    for i in range(count):
        previous += (value >> (bits * (count - 1 - i))) & mask
        out.append(previous)
    return tuple(out)


def _checked(theta: int, hashes: tuple[int, ...], what: str) -> Theta:
    if (
        not 0 < theta <= MAX_THETA
        or any(not 0 < h < theta for h in hashes)
        or list(hashes) != sorted(set(hashes))
    ):
        raise _refuse(what, "a theta sketch buffer whose hashes the engine does not read as Spark does")
    return _normal(Theta(theta, hashes))


def _parse_v4(data: bytes, what: str) -> Theta:
    preamble, _, _, bits, count_bytes, flags, seed_hash = struct.unpack_from("<BBBBBBH", data)
    if flags & _EMPTY or seed_hash != _SEED_HASH or preamble not in (1, 2) or not 0 < bits <= 63:
        raise _refuse(what, "a compressed theta sketch of a form the engine does not read")
    offset, theta = 8, MAX_THETA
    if preamble == 2:
        (theta,) = struct.unpack_from("<q", data, 8)
        offset = 16
    count = int.from_bytes(data[offset : offset + count_bytes], "little")
    return _checked(theta, _unpacked(data, offset + count_bytes, bits, count, what), what)


def _parse_v3(data: bytes, what: str) -> Theta:
    preamble, _, _, _, _, flags, seed_hash = struct.unpack_from("<BBBBBBH", data)
    if flags & _EMPTY:  # CompactSketch.wrap: the empty sketch, whatever follows
        return EMPTY
    if seed_hash != _SEED_HASH or not flags & _COMPACT or not flags & _READ_ONLY:
        raise _refuse(what, "a theta sketch of another seed or not compact")
    if preamble == 1 and len(data) == 16:
        return _checked(MAX_THETA, (struct.unpack_from("<q", data, 8)[0],), what)
    if preamble not in (2, 3) or len(data) < 8 * preamble:
        raise _refuse(what, "a theta sketch of a form the engine does not read")
    count, p_bits = struct.unpack_from("<iI", data, 8)
    theta = struct.unpack_from("<q", data, 16)[0] if preamble == 3 else MAX_THETA
    if count < 0 or len(data) != 8 * (preamble + count) or (preamble == 3 and p_bits != _P_ONE):
        raise _refuse(what, "a theta sketch buffer of an unexpected length or sampling")
    hashes = struct.unpack_from(f"<{count}q", data, 8 * preamble)
    return _checked(theta, tuple(sorted(hashes)), what)


def parse(data: bytes, what: str) -> Theta:
    """The sketch in a buffer Spark reads (CompactSketch.wrap), or refused: Spark rejects other
    buffers with THETA_INVALID_INPUT_SKETCH_BUFFER, and the engine does not guess which."""
    if len(data) < 8 or data[2] != _COMPACT_FAMILY or data[1] not in (3, 4):
        raise _refuse(
            what, "not a compact theta sketch the engine reads (Spark: THETA_INVALID_INPUT_SKETCH_BUFFER)"
        )
    return _parse_v4(data, what) if data[1] == 4 else _parse_v3(data, what)
