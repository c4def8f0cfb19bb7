"""Spark 4.3's WKB reader and writer (``org.apache.spark.sql.catalyst.util.geo.WkbReader/WkbWriter``).

``st_geomfromwkb``/``st_geogfromwkb`` read the bytes with validation level 1 (a geography also
checks that every non-empty point's X is in [-180, 180] and Y in [-90, 90]); ``st_asbinary`` reads
them again and writes them little-endian (``'XDR'``: big-endian). So the bytes a GEOMETRY gives back are :func:`normalize`'s:
every part little-endian, the type code the base type plus 1000 (Z), 2000 (M) or 3000 (ZM), the
coordinates' bits as read, any bytes after the geometry dropped. Where the reader raises, this
raises ``[WKB_PARSE_ERROR]`` with the same message and position. A NaN other than Java's canonical
one (Java may not keep its payload) is refused when run.
"""

from __future__ import annotations

import math
import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

__all__ = ["WkbError", "normalize", "register_geo"]

_CANONICAL_NAN = 0x7FF8000000000000
_LABELS = {4: "MultiPoint points", 5: "MultiLineString line strings", 6: "MultiPolygon polygons",
           7: "GeometryCollection geometries"}  # fmt: skip
_NESTED = {4: 1, 5: 2, 6: 3}  # a multi geometry's part type


class WkbError(ValueError):
    """Spark's WKB_PARSE_ERROR."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"[WKB_PARSE_ERROR] Error parsing WKB: {message} at position {position}")


class _Reader:
    def __init__(self, data: bytes, geography: bool, big_endian: bool) -> None:
        self.data, self.pos, self.geography, self.order = data, 0, geography, "<"
        self.out, self.written = bytearray(), ">" if big_endian else "<"

    def remaining(self) -> int:
        return len(self.data) - self.pos

    def endianness(self) -> None:
        if self.pos >= len(self.data):
            raise WkbError("Unexpected end of WKB buffer", self.pos)
        byte = self.data[self.pos]
        self.pos += 1
        if byte not in (0, 1):
            signed = byte - 256 if byte > 127 else byte
            raise WkbError(f"Invalid byte order {signed}", self.pos - 1)
        self.order = "<" if byte == 1 else ">"

    def int32(self) -> int:
        if self.remaining() < 4:
            raise WkbError("Unexpected end of WKB buffer", self.pos)
        (value,) = struct.unpack_from(self.order + "i", self.data, self.pos)
        self.pos += 4
        return int(value)

    def count(self, label: str, size: int) -> int:
        start = self.pos
        value = self.int32()
        if value < 0:
            raise WkbError(f"Invalid count for {label}: {value}", start)
        if value > self.remaining() // size:
            raise WkbError(f"Invalid count for {label}: exceeds remaining bytes", start)
        self.out += struct.pack(self.written + "i", value)
        return value

    def double(self, allow_nan: bool) -> float:
        if self.remaining() < 8:
            raise WkbError("Unexpected end of WKB buffer", self.pos)
        (bits,) = struct.unpack_from(self.order + "Q", self.data, self.pos)
        value = struct.unpack("<d", struct.pack("<Q", bits))[0]
        if math.isinf(value) or (math.isnan(value) and not allow_nan):
            raise WkbError("Invalid coordinate value found", self.pos)
        if math.isnan(value) and bits != _CANONICAL_NAN:
            raise ValueError(
                "[IDU_REFUSED] st_geomfromwkb of a NaN coordinate other than Java's canonical NaN"
            )
        self.pos += 8
        self.out += struct.pack(self.written + "Q", bits)
        return float(value)

    def point(self, dims: int, allow_nan: bool) -> tuple[float, ...]:
        start = self.pos
        coords = tuple(self.double(allow_nan) for _ in range(dims))
        empty = any(math.isnan(c) for c in coords)
        if self.geography and not empty and not (-180 <= coords[0] <= 180 and -90 <= coords[1] <= 90):
            raise WkbError("Invalid coordinate value found", start)
        return coords

    def type_code(self, expected: tuple[bool, bool] | None) -> tuple[int, int, bool, bool]:
        start = self.pos
        code = self.int32()
        offset = next((o for o in (3000, 2000, 1000) if o + 1 <= code <= o + 7), 0)
        base = code - offset
        if not 1 <= base <= 7:
            raise WkbError(f"Invalid or unsupported type {code}", start)
        z, m = offset in (1000, 3000), offset in (2000, 3000)
        if expected is not None and (z, m) != expected:
            raise WkbError(f"Invalid or unsupported type {code}", start)
        self.out += (b"\x00" if self.written == ">" else b"\x01") + struct.pack(self.written + "i", code)
        return base, 4 if offset == 3000 else 3 if offset else 2, z, m

    def geometry(self, expected: tuple[bool, bool] | None) -> int:
        """Read one geometry (its byte order already read), write it; its base type."""
        saved = self.order
        base, dims, z, m = self.type_code(expected)
        if base == 1:
            self.point(dims, allow_nan=True)
        elif base == 2:
            self.line(dims)
        elif base == 3:
            self.polygon(dims)
        else:
            for _ in range(self.count(_LABELS[base], 5)):
                self.endianness()
                start_part = self.geometry((z, m))
                if base in _NESTED and start_part != _NESTED[base]:
                    names = {
                        4: "Point in MultiPoint",
                        5: "LineString in MultiLineString",
                        6: "Polygon in MultiPolygon",
                    }
                    raise WkbError(f"Expected {names[base]}", self.pos)
        self.order = saved
        return base

    def line(self, dims: int) -> None:
        start = self.pos
        n = self.count("LineString points", dims * 8)
        if n == 1:
            raise WkbError("Too few points in linestring", start)
        for _ in range(n):
            self.point(dims, allow_nan=False)

    def polygon(self, dims: int) -> None:
        for _ in range(self.count("polygon rings", 4)):
            start = self.pos
            n = self.count("ring points", dims * 8)
            points = [self.point(dims, allow_nan=False) for _ in range(n)]
            if n < 4 or points[0][:2] != points[-1][:2]:
                raise WkbError("Too few points in ring" if n < 4 else "Ring is not closed", start)


def normalize(data: bytes | None, geography: bool, big_endian: bool = False) -> bytes | None:
    """The WKB Spark's ``st_asbinary`` gives for the value ``st_geomfromwkb(data)`` (or ``st_geogfromwkb``);
    ``big_endian``: its ``st_asbinary(g, 'XDR')``."""
    if data is None:
        return None
    if len(data) < 1:
        raise WkbError("WKB data is empty or null", 0)
    if len(data) < 5:
        raise WkbError("Unexpected end of WKB buffer", 0)
    reader = _Reader(bytes(data), geography, big_endian)
    reader.endianness()
    reader.geometry(None)
    return bytes(reader.out)


def register_geo(con: duckdb.DuckDBPyConnection) -> None:
    """``idu_wkb_normalize(wkb, geography, big_endian)`` on ``con``; again is harmless."""
    from duckdb import sqltypes as t

    from airflow_idu.engines.duckdb.spark_compat.python_functions import register_udf

    register_udf(con, "idu_wkb_normalize", normalize, [t.BLOB, t.BOOLEAN, t.BOOLEAN], t.BLOB)
