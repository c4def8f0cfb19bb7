"""The GEOMETRY/GEOGRAPHY functions on the embedded engine: Spark's WKB reader and writer
(spark_compat/geo_wkb.py), the SRIDs known when translated, and the refusals (a GEOMETRY reaching
anything but st_asbinary/st_srid/st_setsrid; an SRID not checked on Spark). DuckDB only: fast. The
expected values are local Spark 4.3's."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.spark_compat.geo_wkb import WkbError, normalize
from airflow_idu.engines.duckdb.translate import TranslationError, translate_statement

POINT = "0101000000000000000000F03F0000000000000040"  # POINT (1 2)


def run(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(translate_statement(sql).statements[-1]).fetchall()


# (WKB in, geography, st_asbinary's hex or Spark's error message), all from local Spark 4.3
NORMALIZED = [
    (POINT, False, POINT),
    ("00000000013FF00000000000004000000000000000", False, POINT),  # big-endian: written little-endian
    (POINT + "00", False, POINT),  # bytes after the geometry dropped
    ("0101000000000000000000F87F000000000000F87F", False, "0101000000000000000000F87F000000000000F87F"),
    ("010200000000000000", False, "010200000000000000"),
    ("010300000000000000", False, "010300000000000000"),
    ("01E9030000" + "00" * 24 + "0000", False, "01E9030000" + "00" * 24),
    ("01", False, "Unexpected end of WKB buffer at position 0"),
    ("", False, "WKB data is empty or null at position 0"),
    ("0104000000FFFFFFFF", False, "Invalid count for MultiPoint points: -1 at position 5"),
    (
        "01040000000A000000",
        False,
        "Invalid count for MultiPoint points: exceeds remaining bytes at position 5",
    ),
    (
        "010200000001000000000000000000F03F0000000000000040",
        False,
        "Too few points in linestring at position 5",
    ),
    ("010100000000000000000069C00000000000000040", True, "Invalid coordinate value found at position 5"),
    ("010100000000000000000069C00000000000000040", False, "010100000000000000000069C00000000000000040"),
]


@pytest.mark.parametrize(
    ("wkb", "geography", "expected"), NORMALIZED, ids=[f"{w[:24]}-{g}" for w, g, _ in NORMALIZED]
)
def test_normalize_is_spark_s_reader_and_writer(wkb: str, geography: bool, expected: str) -> None:
    if " at position " in expected:
        with pytest.raises(WkbError, match=f"WKB_PARSE_ERROR.*{expected}"):
            normalize(bytes.fromhex(wkb), geography)
    else:
        assert normalize(bytes.fromhex(wkb), geography) == bytes.fromhex(expected)


def test_a_nan_other_than_java_s_is_refused() -> None:
    with pytest.raises(ValueError, match="IDU_REFUSED"):
        normalize(bytes.fromhex("0101000000010000000000F87F000000000000F87F"), False)


RESULTS = [
    (f"SELECT hex(st_asbinary(st_geomfromwkb(X'{POINT}')))", [(POINT,)]),
    (f"SELECT st_srid(st_geomfromwkb(X'{POINT}')), st_srid(st_geogfromwkb(X'{POINT}'))", [(0, 4326)]),
    (f"SELECT st_srid(st_setsrid(st_geomfromwkb(X'{POINT}'), 3857))", [(3857,)]),
    (f"SELECT st_srid(st_geomfromwkb(X'{POINT}', 4326))", [(4326,)]),
    (f"SELECT st_srid(st_setsrid(st_geogfromwkb(X'{POINT}'), 4269))", [(4269,)]),
    (
        f"SELECT st_srid(st_setsrid(st_geomfromwkb(X'{POINT}'), 27700)), st_srid(st_geomfromwkb(X'{POINT}', 2000))",
        [(27700, 2000)],
    ),
    (f"SELECT hex(st_asbinary(st_setsrid(st_geogfromwkb(X'{POINT}'), 4326)))", [(POINT,)]),
    ("SELECT st_srid(st_geomfromwkb(NULL)), st_asbinary(st_geogfromwkb(NULL))", [(None, None)]),
    (
        f"SELECT hex(st_asbinary(st_geomfromwkb(X'{POINT}'), 'xdr'))",
        [("00000000013FF00000000000004000000000000000",)],
    ),
    (
        "SELECT hex(st_asbinary(st_geomfromwkb(X'0104000000020000000101000000000000000000F03F0000000000000040"
        "00000000013FF00000000000004000000000000000'), 'XDR'))",
        [
            (
                "00000000040000000200000000013FF0000000000000400000000000000000000000013FF00000000000004000000000000000",
            )
        ],
    ),
]


@pytest.mark.parametrize(("sql", "expected"), RESULTS, ids=[s[7:50] for s, _ in RESULTS])
def test_results_are_spark_s(
    con: duckdb.DuckDBPyConnection, sql: str, expected: list[tuple[Any, ...]]
) -> None:
    assert run(con, sql) == expected


@pytest.mark.parametrize(
    ("sql", "match"),
    [
        ("SELECT st_srid(st_geomfromwkb(X'01'))", "WKB_PARSE_ERROR"),
        ("SELECT st_asbinary(st_geomfromwkb('abc'))", "IDU_REFUSED.*VARCHAR"),
    ],
    ids=["bad-wkb", "string-wkb"],
)
def test_raises_when_run(con: duckdb.DuckDBPyConnection, sql: str, match: str) -> None:
    with pytest.raises(duckdb.Error, match=match):
        run(con, sql)


REFUSED = [
    (f"SELECT st_geomfromwkb(X'{POINT}')", "GEOMETRY/GEOGRAPHY value"),
    (f"SELECT hex(st_geogfromwkb(X'{POINT}'))", "GEOMETRY/GEOGRAPHY value"),
    (f"SELECT CAST(st_setsrid(st_geomfromwkb(X'{POINT}'), 0) AS STRING)", "GEOMETRY/GEOGRAPHY value"),
    (f"SELECT st_srid(X'{POINT}')", "other than st_geomfromwkb"),
    (
        f"SELECT st_srid(st_setsrid(st_geomfromwkb(X'{POINT}'), 1))",
        "SRID 1, which Spark refuses for a geometry",
    ),
    (
        f"SELECT st_srid(st_setsrid(st_geogfromwkb(X'{POINT}'), 3857))",
        "SRID 3857, which Spark refuses for a geography",
    ),
    (f"SELECT st_srid(st_setsrid(st_geogfromwkb(X'{POINT}'), 0))", "SRID 0, which Spark refuses"),
    (f"SELECT st_srid(st_setsrid(st_geomfromwkb(X'{POINT}'), NULL))", "other than an integer literal"),
    (f"SELECT st_srid(st_setsrid(st_geomfromwkb(X'{POINT}'), '3857'))", "other than an integer literal"),
    (f"SELECT st_srid(st_geomfromwkb(X'{POINT}', 2))", "SRID 2, which"),
    (f"SELECT st_asbinary(st_geomfromwkb(X'{POINT}'), 'abc')", "byte order"),
    (f"SELECT st_asbinary(st_geomfromwkb(X'{POINT}'), NULL)", "byte order"),
]


@pytest.mark.parametrize(("sql", "reason"), REFUSED, ids=[r[0][7:45] for r in REFUSED])
def test_refused_when_translated(sql: str, reason: str) -> None:
    with pytest.raises(TranslationError, match=reason):
        translate_statement(sql)
