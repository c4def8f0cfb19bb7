"""The GEOMETRY/GEOGRAPHY functions: local Spark against the embedded engine on random WKB beyond the
function harness's rows. Every geometry type in 2D, Z, M and ZM, parts of either byte order, empty
points (NaN), infinities, out-of-bounds geography coordinates, one-point lines, open and short rings,
nested parts of another dimension or type, then truncated, corrupted, with trailing bytes or a bad byte
order: st_asbinary's bytes (NDR and XDR) and st_srid (with and without st_setsrid), or the error condition, agree;
and SRIDs in and out of Spark's registry are accepted exactly where Spark accepts them."""

from __future__ import annotations

import random
import re
import struct
from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.spark_compat.srs_ids import GEOMETRY_SRIDS
from airflow_idu.engines.duckdb.translate import TranslationError, translate_statement

pytestmark = pytest.mark.spark
_DIMS = {0: 2, 1000: 3, 2000: 3, 3000: 4}


def _coord(rnd: random.Random) -> float:
    special = [float("nan"), float("inf"), -0.0, 180.0, -90.0, 200.0, 1e308]
    return rnd.choice(special) if rnd.random() < 0.08 else rnd.uniform(-180, 180)


def _points(rnd: random.Random, n: int, dims: int, order: str, closed: bool = False) -> bytes:
    points = [[_coord(rnd) for _ in range(dims)] for _ in range(n)]
    if closed and n >= 2 and rnd.random() < 0.8:
        points[-1] = list(points[0])
    return b"".join(struct.pack(order + "d", c) for p in points for c in p)


def _geometry(rnd: random.Random, depth: int, offset: int, base: int | None = None) -> bytes:
    order = rnd.choice("<>")
    base = base or rnd.randint(1, 7 if depth < 2 else 3)
    dims = _DIMS[offset]
    out = bytes([order == "<"]) + struct.pack(order + "I", base + offset)
    if base == 1:
        return out + _points(rnd, 1, dims, order)
    if base == 2:
        n = rnd.choice([0, 1, 2, 3, 5])
        return out + struct.pack(order + "i", n) + _points(rnd, n, dims, order)
    if base == 3:
        rings = rnd.choice([0, 1, 2])
        out += struct.pack(order + "i", rings)
        for _ in range(rings):
            n = rnd.choice([0, 3, 4, 5])
            out += struct.pack(order + "i", n) + _points(rnd, n, dims, order, closed=True)
        return out
    n = rnd.choice([0, 1, 2, 3])
    out += struct.pack(order + "i", n)
    for _ in range(n):
        part = {4: 1, 5: 2, 6: 3}.get(base) if rnd.random() < 0.9 else None
        out += _geometry(rnd, depth + 1, offset if rnd.random() < 0.9 else rnd.choice(list(_DIMS)), part)
    return out


def _wkb(rnd: random.Random) -> bytes:
    data = _geometry(rnd, 0, rnd.choice([0, 0, 1000, 2000, 3000]))
    change = rnd.random()
    if change < 0.1:
        return data[: rnd.randint(0, len(data))]
    if change < 0.15:
        i = rnd.randrange(len(data))
        return data[:i] + bytes([rnd.randrange(256)]) + data[i + 1 :]
    if change < 0.2:
        return data + bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 9)))
    return bytes([rnd.choice([2, 255])]) + data[1:] if change < 0.22 else data


def _outcome(run: Any) -> Any:
    try:
        return run()
    except Exception as exc:  # Spark's and DuckDB's errors: compared by their condition
        found = re.search(r"\[([A-Z_]+)\]", str(exc))
        return ("error", found.group(1) if found else str(exc)[:200])


@pytest.mark.parametrize(
    "seed", [1, pytest.param(2, marks=pytest.mark.beyond_test)]
)  # the second: a bigger sweep
def test_random_wkb_agrees_with_spark(spark: Any, con: duckdb.DuckDBPyConnection, seed: int) -> None:
    rnd = random.Random(seed)
    compared = refused = 0
    for _ in range(40):
        geography = rnd.random() < 0.4
        reader = "st_geogfromwkb" if geography else "st_geomfromwkb"
        value = f"{reader}(X'{_wkb(rnd).hex()}')"
        srid = 4269 if geography else 3857
        sql = (
            f"SELECT hex(st_asbinary({value})), st_srid({value}), st_srid(st_setsrid({value}, {srid})), "
            f"hex(st_asbinary({value}, 'XDR'))"
        )
        expected = _outcome(lambda sql=sql: [tuple(r) for r in spark.sql(sql).collect()])
        mine = _outcome(lambda sql=sql: con.execute(translate_statement(sql).statements[-1]).fetchall())
        if mine == ("error", "IDU_REFUSED"):
            refused += 1
            continue
        assert mine == expected, sql
        compared += 1
    assert compared >= 35, (compared, refused)


def test_srids_accepted_where_spark_accepts_them(spark: Any) -> None:
    """An SRID the engine accepts is one Spark accepts (and gives back); one it refuses, Spark raises on."""
    rnd = random.Random(7)
    srids = [*rnd.sample(sorted(GEOMETRY_SRIDS), 12), *rnd.sample(range(-10, 200000), 12), 0, 4326, 3857]
    for reader in ("st_geomfromwkb", "st_geogfromwkb"):
        for srid in srids:
            sql = (
                f"SELECT st_srid(st_setsrid({reader}(X'0101000000000000000000F03F0000000000000040'), {srid}))"
            )
            expected = _outcome(lambda sql=sql: [tuple(r) for r in spark.sql(sql).collect()])
            try:
                translated = translate_statement(sql)
            except TranslationError:
                assert expected == ("error", "ST_INVALID_SRID_VALUE"), sql
                continue
            assert expected == [(srid,)], sql
            assert translated.statements
