"""Forms of the GEOMETRY/GEOGRAPHY functions for the function harness (function_inventory.py).

A GEOMETRY is accepted only inside st_asbinary/st_srid/st_setsrid, so every form ends in one of them.
WKB per row: a point whose coordinates are the bits of the BIGINT/INT columns (big- and little-endian:
NaNs, infinities, subnormals among them), the BINARY column, and literal WKB through CASE (a line, a
big-endian polygon, an empty point, a multipoint of mixed byte order, an empty collection, a Z point
with trailing bytes, a one-point line, a point out of a geography's bounds, an open ring).
"""

from __future__ import annotations

__all__ = ["GEO_FORMS"]

_LINE = "X'010200000002000000000000000000F83F00000000000000C00000000000000A400000000000001040'"
_POLY_BE = (
    "X'000000000300000001000000040000000000000000000000000000000040240000000000000000000000000000402400000000000040"
    "24000000000000000000000000000000000000000000'"
)
_EMPTY = "X'0101000000000000000000F87F000000000000F87F'"
_MULTI = "X'01040000000200000000000000013FF00000000000004000000000000000010100000000000000005065C00000000000405640'"
_GC_EMPTY = "X'010700000000000000'"
_PZ = "X'00000003E93FF000000000000040000000000000004008000000000000FFFF'"
_SHORT = "X'010200000001000000000000000000F03F0000000000000040'"
_OUT = "X'010100000000000000000069400000000000002440'"
_POLY_OPEN = (
    "X'0103000000010000000400000000000000000000000000000000000000000000000000F03F000000000000000000000000000"
    "0F03F000000000000F03F0000000000000000000000000000F03F'"
)
_ROW = (
    f"CASE WHEN k > 10 THEN {_LINE} WHEN k > 6 THEN {_POLY_BE} WHEN k > 4 THEN {_EMPTY} WHEN k > 2 THEN {_MULTI} "
    f"WHEN k > 0 THEN {_GC_EMPTY} WHEN b THEN {_PZ} WHEN k = 0 THEN {_OUT} WHEN k = -1 THEN {_SHORT} "
    f"WHEN k < -1 THEN {_POLY_OPEN} END"
)
_BITS = "unhex(lpad(hex(n), 16, '0')), unhex(lpad(hex(CAST(k AS BIGINT) * 4503599627370496), 16, '0'))"
_POINT_BE = f"concat(X'0000000001', {_BITS})"
_POINT_LE = f"concat(X'0101000000', {_BITS})"
GEO_FORMS: dict[str, tuple[str, ...]] = {
    "st_geomfromwkb": (
        f"st_asbinary(st_geomfromwkb({_ROW}))",
        f"st_asbinary(st_geomfromwkb({_POINT_BE}))",
        f"st_asbinary(st_geomfromwkb({_POINT_LE}))",
        "st_asbinary(st_geomfromwkb(bin))",
        f"st_srid(st_geomfromwkb({_ROW}, 3857))",
        f"st_srid(st_geomfromwkb({_POINT_LE}))",
    ),
    "st_geogfromwkb": (
        f"st_asbinary(st_geogfromwkb({_ROW}))",
        f"st_asbinary(st_geogfromwkb({_POINT_BE}))",
        f"st_srid(st_geogfromwkb({_ROW}))",
        "st_srid(st_geogfromwkb(bin))",
    ),
    "st_asbinary": (
        f"st_asbinary(st_geomfromwkb({_ROW}))",
        f"st_asbinary(st_setsrid(st_geogfromwkb({_ROW}), 4269))",
        f"st_asbinary(st_geomfromwkb({_POINT_LE}, 4326))",
        f"st_asbinary(st_geogfromwkb({_ROW}), 'XDR')",
        f"st_asbinary(st_geomfromwkb({_POINT_BE}), 'ndr')",
    ),
    "st_srid": (
        f"st_srid(st_geomfromwkb({_ROW}))",
        f"st_srid(st_geogfromwkb({_POINT_BE}))",
        f"st_srid(st_setsrid(st_geomfromwkb({_ROW}), 32633))",
    ),
    "st_setsrid": (
        f"st_srid(st_setsrid(st_geomfromwkb({_ROW}), 3857))",
        f"st_asbinary(st_setsrid(st_geomfromwkb({_POINT_BE}), 4326))",
        f"st_srid(st_setsrid(st_setsrid(st_geogfromwkb({_ROW}), 4269), 4326))",
    ),
}
