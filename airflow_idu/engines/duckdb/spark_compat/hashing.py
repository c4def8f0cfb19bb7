"""Spark's hash functions as Python functions for DuckDB: ``hash``, ``xxhash64``, ``crc32``, ``sha2``.

Spark's ``hash(a, b, ...)`` is Murmur3 x86 32-bit and ``xxhash64`` is XXH64, both seeded with 42
and chained: each argument is hashed with the previous result as seed (a NULL leaves it as is),
over Spark's byte layout of its type: BOOLEAN, INT, DATE (days) as a 4-byte int; BIGINT,
TIMESTAMP (microseconds), DOUBLE (its bits, -0.0 as 0.0) and a DECIMAL of precision <= 18 (its
unscaled value) as an 8-byte long; strings as UTF-8 bytes, binary as is; an array element by
element. Spark's Murmur3 hashes a byte string's last 1-3 bytes one signed byte at a time
(``hashUnsafeBytes``), which is not the reference tail; XXH64 is the reference algorithm.

DuckDB passes each value as its type name and its text (``CAST(x AS VARCHAR)``, a BLOB with
``\\xHH`` escapes) plus ``to_json(x)`` for arrays: one Python function per hash, whatever the
argument's type. A type without a known Spark layout (maps, structs, HUGEINT) raises
``[IDU_REFUSED]`` rather than give another hash.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
import zlib
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from airflow_idu.engines.duckdb.spark_compat.python_functions import register_udf

if TYPE_CHECKING:
    import duckdb

__all__ = ["murmur3", "murmur3_bytes", "register_hashes", "xxhash64"]

_M32 = 0xFFFFFFFF
_M64 = 0xFFFFFFFFFFFFFFFF
_EPOCH = datetime(1970, 1, 1)
_INTS = frozenset({"BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "DATE", "FLOAT"})
_LONGS = frozenset({"BIGINT", "TIMESTAMP", "DOUBLE"})


def _refuse(what: str) -> ValueError:
    return ValueError(f"[IDU_REFUSED] {what}: Spark's layout of this type is not known to the engine")


# -- Spark's layout of a value --------------------------------------------------------


def blob_bytes(text: str) -> bytes:
    """The bytes of a DuckDB BLOB from its VARCHAR cast (printable ASCII, other bytes as \\xHH)."""
    return re.sub(rb"\\x([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), text.encode("latin-1"))


def _layout(kind: str, text: str) -> tuple[str, Any]:
    """("int", n), ("long", n) or ("bytes", b): what Spark hashes for this value."""
    if kind == "BOOLEAN":
        return "int", 1 if text == "true" else 0
    if kind in ("TINYINT", "SMALLINT", "INTEGER"):
        return "int", int(text)
    if kind == "DATE":
        return "int", (date.fromisoformat(text) - _EPOCH.date()).days
    if kind == "BIGINT":
        return "long", int(text)
    if kind == "TIMESTAMP":
        delta = datetime.fromisoformat(text) - _EPOCH
        return "long", (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    if kind in ("DOUBLE", "FLOAT"):
        value = float(text) or 0.0  # -0.0 hashes as 0.0
        if kind == "FLOAT":
            bits = 0x7FC00000 if value != value else struct.unpack("<i", struct.pack("<f", value))[0]
            return "int", bits
        bits = 0x7FF8000000000000 if value != value else struct.unpack("<q", struct.pack("<d", value))[0]
        return "long", bits
    if kind == "VARCHAR":
        return "bytes", text.encode("utf-8")
    if kind == "BLOB":
        return "bytes", blob_bytes(text)
    decimal = re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", kind)
    if decimal:
        unscaled = int(Decimal(text).scaleb(int(decimal.group(2))))
        if int(decimal.group(1)) <= 18:
            return "long", unscaled
        return "bytes", unscaled.to_bytes(unscaled.bit_length() // 8 + 1, "big", signed=True)
    raise _refuse(f"hash of a {kind}")


def _fold(
    kind: str, text: str | None, json_text: str | None, seed: int, step: Callable[[str, Any, int], int]
) -> int:
    if text is None:
        return seed
    if kind.endswith("[]"):
        element = kind[:-2]
        if element not in _INTS | _LONGS | {"VARCHAR"} and not element.startswith("DECIMAL"):
            raise _refuse(f"hash of a {kind}")
        for value in json.loads(json_text or "[]"):
            if value is not None:
                shown = value if isinstance(value, str) else json.dumps(value)
                seed = _fold(element, "true" if value is True else "false" if value is False else shown, None,
                             seed, step)  # fmt: skip
        return seed
    layout, value = _layout(kind, text)
    return step(layout, value, seed)


# -- Murmur3 x86 32-bit as Spark computes it -------------------------------------------


def _rotl32(x: int, r: int) -> int:
    return ((x << r) | (x >> (32 - r))) & _M32


def _mix_k1(k1: int) -> int:
    return (_rotl32((k1 * 0xCC9E2D51) & _M32, 15) * 0x1B873593) & _M32


def _mix_h1(h1: int, k1: int) -> int:
    return (_rotl32(h1 ^ k1, 13) * 5 + 0xE6546B64) & _M32


def _fmix32(h1: int, length: int) -> int:
    h1 ^= length
    h1 ^= h1 >> 16
    h1 = (h1 * 0x85EBCA6B) & _M32
    h1 ^= h1 >> 13
    h1 = (h1 * 0xC2B2AE35) & _M32
    return h1 ^ (h1 >> 16)


def _murmur3_step(layout: str, value: Any, seed: int) -> int:
    h1 = seed & _M32
    if layout == "int":
        h1 = _fmix32(_mix_h1(h1, _mix_k1(value & _M32)), 4)
    elif layout == "long":
        h1 = _mix_h1(h1, _mix_k1(value & _M32))
        h1 = _fmix32(_mix_h1(h1, _mix_k1((value >> 32) & _M32)), 8)
    else:
        data: bytes = value
        aligned = len(data) - len(data) % 4
        for (word,) in struct.iter_unpack("<I", data[:aligned]):
            h1 = _mix_h1(h1, _mix_k1(word))
        for byte in data[aligned:]:  # Spark: each trailing byte, sign-extended, as a block of its own
            h1 = _mix_h1(h1, _mix_k1((byte - 256 if byte > 127 else byte) & _M32))
        h1 = _fmix32(h1, len(data))
    return h1 - (1 << 32) if h1 & 0x80000000 else h1


def murmur3_bytes(data: bytes, seed: int) -> int:
    """Spark's Murmur3 x86_32 ``hashUnsafeBytes`` of ``data`` (signed)."""
    return _murmur3_step("bytes", data, seed)


def murmur3(kind: str, text: str | None, json_text: str | None, seed: int) -> int:
    return _fold(kind, text, json_text, seed, _murmur3_step)


# -- XXH64 ------------------------------------------------------------------------------

_P1, _P2, _P3, _P4, _P5 = (0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x85EBCA77C2B2AE63,
                           0x27D4EB2F165667C5)  # fmt: skip


def _rotl64(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & _M64


def _round(acc: int, lane: int) -> int:
    return (_rotl64((acc + lane * _P2) & _M64, 31) * _P1) & _M64


def _merge(acc: int, val: int) -> int:
    return ((acc ^ _round(0, val)) * _P1 + _P4) & _M64


def _xxh64(data: bytes, seed: int) -> int:
    seed &= _M64
    n, i = len(data), 0
    if n >= 32:
        v = [(seed + _P1 + _P2) & _M64, (seed + _P2) & _M64, seed, (seed - _P1) & _M64]
        while i + 32 <= n:
            lanes = struct.unpack_from("<4Q", data, i)
            v = [_round(a, lane) for a, lane in zip(v, lanes, strict=True)]
            i += 32
        h = (_rotl64(v[0], 1) + _rotl64(v[1], 7) + _rotl64(v[2], 12) + _rotl64(v[3], 18)) & _M64
        for a in v:
            h = _merge(h, a)
    else:
        h = (seed + _P5) & _M64
    h = (h + n) & _M64
    while i + 8 <= n:
        (lane,) = struct.unpack_from("<Q", data, i)
        h = (_rotl64(h ^ _round(0, lane), 27) * _P1 + _P4) & _M64
        i += 8
    if i + 4 <= n:
        (word,) = struct.unpack_from("<I", data, i)
        h = (_rotl64(h ^ (word * _P1 & _M64), 23) * _P2 + _P3) & _M64
        i += 4
    while i < n:
        h = (_rotl64(h ^ (data[i] * _P5 & _M64), 11) * _P1) & _M64
        i += 1
    h ^= h >> 33
    h = (h * _P2) & _M64
    h ^= h >> 29
    h = (h * _P3) & _M64
    return h ^ (h >> 32)


def _xxhash64_step(layout: str, value: Any, seed: int) -> int:
    if layout == "int":
        data = struct.pack("<I", value & _M32)
    elif layout == "long":
        data = struct.pack("<Q", value & _M64)
    else:
        data = value
    h = _xxh64(data, seed)
    return h - (1 << 64) if h >> 63 else h


def xxhash64(kind: str, text: str | None, json_text: str | None, seed: int) -> int:
    return _fold(kind, text, json_text, seed, _xxhash64_step)


# -- byte digests ---------------------------------------------------------------------


def _bytes(kind: str, text: str) -> bytes:
    if kind == "VARCHAR":
        return text.encode("utf-8")
    if kind == "BLOB":
        return blob_bytes(text)
    raise _refuse(f"a digest of a {kind}")


def crc32(kind: str, text: str | None) -> int | None:
    return None if text is None else zlib.crc32(_bytes(kind, text))


_SHA2 = {
    0: hashlib.sha256,
    224: hashlib.sha224,
    256: hashlib.sha256,
    384: hashlib.sha384,
    512: hashlib.sha512,
}


def sha2(kind: str, text: str | None, bits: int | None) -> str | None:
    if text is None or bits is None or bits not in _SHA2:
        return None  # Spark: NULL for an unsupported bit length
    return _SHA2[bits](_bytes(kind, text)).hexdigest()


def register_hashes(con: duckdb.DuckDBPyConnection) -> None:
    from duckdb import sqltypes as t

    text3 = [t.VARCHAR, t.VARCHAR, t.VARCHAR]
    register_udf(con, "idu_murmur3", murmur3, [*text3, t.INTEGER], t.INTEGER)
    register_udf(con, "idu_xxhash64", xxhash64, [*text3, t.BIGINT], t.BIGINT)
    register_udf(con, "idu_crc32", crc32, [t.VARCHAR, t.VARCHAR], t.BIGINT)
    register_udf(con, "idu_sha2", sha2, [t.VARCHAR, t.VARCHAR, t.INTEGER], t.VARCHAR)
