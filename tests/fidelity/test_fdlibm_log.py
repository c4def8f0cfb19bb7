"""Spark's exp, ln, log (1 and 2 arguments), log10, log2, asinh, acosh and atanh (fdlibm's exp, log,
log10 and log1p under Spark's formulas) on local Spark and on the embedded engine, bit for bit, over
a few thousand doubles each.

The inputs: every edge (each branch's threshold and its neighbours, ±0, ±Infinity, NaN, subnormals,
the largest doubles, values next to 1, -1 and 2, powers of 2 and 10) and seeded random doubles:
random bit patterns (every exponent), log-uniform magnitudes from 1e-300 to 1e300 and from 1e-20
to 1e3, values within 1e-6 of 1, and uniform values in -1..1 and -800..800. Compared through
``float.hex`` (so -0.0 is not 0.0), NaN with NaN, NULL with NULL. Both the Python functions and the
engine's translated SQL (DuckDB calling them) are checked against Spark.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.spark_compat import fdlibm, fdlibm_log
from airflow_idu.engines.duckdb.spark_compat.strict_math import spark_ln, spark_log, spark_log2, spark_log10
from airflow_idu.engines.duckdb.translate import translate_statement
from tests.fdlibm_bits import edges, engine_connection, engine_rows, from_bits, hex_bits, spark_rows

# Spark's SQL -> the Python function of x it must equal (log(x) is Logarithm(E, x): ln's value)
UNARY: dict[str, Callable[[float], float | None]] = {
    "exp(x)": fdlibm.exp,
    "ln(x)": spark_ln,
    "log(x)": spark_ln,
    "log10(x)": spark_log10,
    "log2(x)": spark_log2,
    "asinh(x)": fdlibm_log.asinh,
    "acosh(x)": fdlibm_log.acosh,
    "atanh(x)": fdlibm_log.atanh,
}

_EDGES = [
    0.0, 1.0, 2.0, 0.5, 10.0, 1000.0, 1e22, 1e23, 0.1, math.e, 709.78, 709.782712893384, 745.1332191019411,
    0.34657359027997264, 1.0397207708399179, 2.0**-28, 2.0**-29, 2.0**-54, 2.0**28, 2.0**-20, 2.0**1023,
    2.0**-1022, 2.0**-1074, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 1 - 2.0**-53,
    1 + 2.0**-52, 1.4142135623730951, 0.7071067811865476, 1e-300, 1e300, 3.0, 0.9999999, 1.0000001,
]  # fmt: skip


def _random(count: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    values: list[float] = []
    while len(values) < count:
        kind = len(values) % 6
        if kind == 0:
            value = from_bits(rng.getrandbits(64))
        elif kind == 1:
            value = rng.choice((-1, 1)) * 10 ** rng.uniform(-300, 300)
        elif kind == 2:
            value = rng.choice((-1, 1)) * 10 ** rng.uniform(-20, 3)
        elif kind == 3:
            value = 1.0 + rng.uniform(-1e-6, 1e-6)
        elif kind == 4:
            value = rng.uniform(-1.0, 1.0)
        else:
            value = rng.uniform(-800.0, 800.0)
        if not math.isnan(value):
            values.append(value)
    return values


VALUES = edges(_EDGES) + _random(4000, seed=30)
PAIRS = [(b, x) for b in edges(_EDGES)[::3] for x in edges(_EDGES)[::3]] + list(
    zip(_random(2000, seed=31), _random(2000, seed=32), strict=True)
)


@pytest.fixture(scope="module")
def engine() -> Iterator[duckdb.DuckDBPyConnection]:
    con = engine_connection(VALUES, PAIRS, "b")
    yield con
    con.close()


def test_unary_functions_match_spark_bit_for_bit(spark: Any, engine: duckdb.DuckDBPyConnection) -> None:
    select = ", ".join(UNARY)
    want_rows = spark_rows(
        spark, f"SELECT i, x, {select} FROM fdlibm_in", list(enumerate(VALUES)), "i INT, x DOUBLE"
    )
    got_rows = engine_rows(engine, f"SELECT i, x, {select} FROM v")
    differences = []
    for got, want in zip(got_rows, want_rows, strict=True):
        for n, (form, function) in enumerate(UNARY.items(), start=2):
            port = function(want[1])
            if not hex_bits(port) == hex_bits(got[n]) == hex_bits(want[n]):
                differences.append(
                    f"{form} at {hex_bits(want[1])}: spark {want[n]!r}, port {port!r}, engine {got[n]!r}"
                )
    assert not differences, f"{len(differences)} differences:\n" + "\n".join(differences[:20])


def test_log_with_a_base_matches_spark_bit_for_bit(spark: Any, engine: duckdb.DuckDBPyConnection) -> None:
    rows = [(i, b, x) for i, (b, x) in enumerate(PAIRS)]
    want_rows = spark_rows(
        spark, "SELECT i, b, x, log(b, x) FROM fdlibm_in", rows, "i INT, b DOUBLE, x DOUBLE"
    )
    got_rows = engine_rows(engine, "SELECT i, b, x, log(b, x) FROM p")
    differences = []
    for got, want in zip(got_rows, want_rows, strict=True):
        port = spark_log(want[1], want[2])
        if not hex_bits(port) == hex_bits(got[3]) == hex_bits(want[3]):
            differences.append(
                f"log({want[1]!r}, {want[2]!r}): spark {want[3]!r}, port {port!r}, engine {got[3]!r}"
            )
    assert not differences, f"{len(differences)} differences:\n" + "\n".join(differences[:20])


def test_literal_arguments_fold_to_the_samehex_bits(spark: Any, engine: duckdb.DuckDBPyConnection) -> None:
    """Literal arguments: Spark folds them with its interpreted eval (log(x) as log(x)/log(Math.E))."""
    forms = [
        "exp(1)",
        "ln(3)",
        "log(3)",
        "log(10, 1000)",
        "log10(1000)",
        "log2(10)",
        "asinh(-2)",
        "acosh(3)",
        "atanh(0.5)",
    ]
    query = f"SELECT {', '.join(forms)}"
    want = spark.sql(query).first()
    [sql] = translate_statement(query).statements
    got = engine.execute(sql).fetchone()
    assert got is not None
    assert [hex_bits(v) for v in got] == [hex_bits(v) for v in want]
