"""The fdlibm functions (asin, acos, atan, atan2, cbrt, sinh, cosh, tanh, expm1, log1p, hypot) on local
Spark and on the embedded engine, bit for bit, over a few thousand doubles each.

The inputs: every edge of the algorithms (each branch's threshold and its neighbours, domain edges,
±0, ±Infinity, NaN, subnormals, the largest doubles) and seeded random doubles: random bit patterns
(every exponent), log-uniform magnitudes from 1e-20 to 1e3, and uniform values in each function's
busy range. Compared through ``float.hex`` (so -0.0 is not 0.0), NaN with NaN. Both the Python port
itself and the engine's translated SQL (DuckDB calling it) are checked against Spark.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.spark_compat import fdlibm, fdlibm_hyperbolic, fdlibm_trig
from airflow_idu.engines.duckdb.spark_compat.strict_math import spark_atan2, spark_log1p
from tests.fdlibm_bits import edges, engine_connection, engine_rows, from_bits, hex_bits, spark_rows

UNARY: dict[str, Callable[[float], float | None]] = {
    "asin": fdlibm_trig.asin,
    "acos": fdlibm_trig.acos,
    "atan": fdlibm_trig.atan,
    "cbrt": fdlibm.cbrt,
    "sinh": fdlibm_hyperbolic.sinh,
    "cosh": fdlibm_hyperbolic.cosh,
    "tanh": fdlibm_hyperbolic.tanh,
    "expm1": fdlibm_hyperbolic.expm1,
    "log1p": spark_log1p,
}
BINARY: dict[str, Callable[[float, float], float | None]] = {"atan2": spark_atan2, "hypot": fdlibm.hypot}

_EDGES = [
    0.0, 1.0, 0.5, 0.975, 2.0, 3.0, 27.0, 22.0, 709.78, 710.4758600739439, 745.2, 0.34657359027997264,
    1.0397207708399179, 38.816242111356935, 0.41422, 0.2929, 1.1875, 0.4375, 0.6875, 2.4375, 1e16, 1e-300,
    2.0**-27, 2.0**-28, 2.0**-29, 2.0**-54, 2.0**-55, 2.0**-57, 2.0**66, 2.0**60, 2.0**500, 2.0**-500,
    5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 1 - 2.0**-53, 1 + 2.0**-52,
]  # fmt: skip


def _random(count: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    values: list[float] = []
    while len(values) < count:
        kind = len(values) % 4
        if kind == 0:
            value = from_bits(rng.getrandbits(64))
        elif kind == 1:
            value = rng.choice((-1, 1)) * 10 ** rng.uniform(-20, 3)
        elif kind == 2:
            value = rng.uniform(-1.0, 1.0)
        else:
            value = rng.uniform(-40.0, 40.0)
        if not math.isnan(value):
            values.append(value)
    return values


VALUES = edges(_EDGES) + _random(3000, seed=20)
PAIRS = [(y, x) for y in edges(_EDGES)[::4] for x in edges(_EDGES)[::4]] + list(
    zip(_random(2000, seed=21), _random(2000, seed=22), strict=True)
)


@pytest.fixture(scope="module")
def engine() -> Iterator[duckdb.DuckDBPyConnection]:
    con = engine_connection(VALUES, PAIRS, "y")
    yield con
    con.close()


def test_unary_functions_match_spark_bit_for_bit(spark: Any, engine: duckdb.DuckDBPyConnection) -> None:
    select = ", ".join(f"{name}(x)" for name in UNARY)
    want_rows = spark_rows(
        spark, f"SELECT i, x, {select} FROM fdlibm_in", list(enumerate(VALUES)), "i INT, x DOUBLE"
    )
    got_rows = engine_rows(engine, f"SELECT i, x, {select} FROM v")
    differences = []
    for got, want in zip(got_rows, want_rows, strict=True):
        for n, (name, function) in enumerate(UNARY.items(), start=2):
            port = function(want[1])
            if not hex_bits(port) == hex_bits(got[n]) == hex_bits(want[n]):
                differences.append(
                    f"{name}({hex_bits(want[1])}): spark {want[n]!r}, port {port!r}, engine {got[n]!r}"
                )
    assert not differences, f"{len(differences)} differences:\n" + "\n".join(differences[:20])


def test_binary_functions_match_spark_bit_for_bit(spark: Any, engine: duckdb.DuckDBPyConnection) -> None:
    rows = [(i, y, x) for i, (y, x) in enumerate(PAIRS)]
    want_rows = spark_rows(
        spark, "SELECT i, y, x, atan2(y, x), hypot(y, x) FROM fdlibm_in", rows, "i INT, y DOUBLE, x DOUBLE"
    )
    got_rows = engine_rows(engine, "SELECT i, y, x, atan2(y, x), hypot(y, x) FROM p")
    differences = []
    for got, want in zip(got_rows, want_rows, strict=True):
        for n, (name, function) in enumerate(BINARY.items(), start=3):
            port = function(want[1], want[2])
            if not hex_bits(port) == hex_bits(got[n]) == hex_bits(want[n]):
                differences.append(
                    f"{name}({want[1]!r}, {want[2]!r}): spark {want[n]!r}, port {port!r}, engine {got[n]!r}"
                )
    assert not differences, f"{len(differences)} differences:\n" + "\n".join(differences[:20])


def test_the_jvm_is_one_whose_math_is_fdlibm(spark: Any) -> None:
    """JDK 24 and later compile Math.tanh (and JDK 25 Math.cbrt) to their own intrinsics on x86_64:
    the comparison above proves the port for the JVM Spark runs on here (17 to 23 share fdlibm)."""
    version = spark.sql("SELECT java_method('java.lang.System', 'getProperty', 'java.version')").first()[0]
    assert 17 <= int(str(version).split(".")[0]) <= 23, version
