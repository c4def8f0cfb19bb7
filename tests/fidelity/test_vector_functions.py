"""The vector functions on local Spark and on the embedded engine, bit for bit, over seeded random
FLOAT vectors of 0 to 20 elements (blocks of eight and their remainders), with cancelling terms,
values near FLOAT's limits, NULL elements, NaN and infinities; one query per function on each side."""

from __future__ import annotations

import math
import random
import struct
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.macros import install_macros
from airflow_idu.engines.duckdb.translate import translate_statement

pytestmark = pytest.mark.spark

_SPECIAL = [0.0, -0.0, 1.0, -1.0, 3.4028235e38, -3.4028235e38, 1.4e-45, 1e-30, 16777216.0, 16777217.0]


def _float(x: float) -> float:
    return float(struct.unpack("f", struct.pack("f", x))[0])


def _vector(rng: random.Random, n: int) -> list[float | None]:
    out: list[float | None] = []
    for _ in range(n):
        kind = rng.random()
        if kind < 0.15:
            out.append(rng.choice(_SPECIAL))
        elif kind < 0.6:
            out.append(_float(rng.uniform(-100, 100)))
        else:
            out.append(_float(rng.choice((-1, 1)) * 10 ** rng.uniform(-20, 20)))
    return out


def _rows() -> list[tuple[int, list[float | None], list[float | None]]]:
    rng = random.Random(20)
    rows = []
    for n in range(42):
        size = n % 21
        a, b = _vector(rng, size), _vector(rng, size)
        if n % 17 == 5 and size:
            a[rng.randrange(size)] = None
        if n % 19 == 7 and size:
            b[rng.randrange(size)] = math.nan if n % 2 else math.inf
        rows.append((n, a, b))
    return rows


ROWS = _rows()
EXPRESSIONS = (
    "vector_inner_product(a, b)",
    "vector_l2_distance(a, b)",
    "vector_cosine_similarity(a, b)",
    "vector_norm(a, 1.0F)",
    "vector_norm(b)",
    "vector_norm(b, float('inf'))",
    "vector_normalize(b, 1.0F)",
    "vector_normalize(a)",
    "vector_normalize(b, float('inf'))",
)
SELECT = "SELECT n, " + ", ".join(EXPRESSIONS) + " FROM vec ORDER BY n"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or struct.pack("f", a) == struct.pack("f", b)
    return bool(a == b)


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    install_macros(connection)
    connection.execute("CREATE TABLE vec (n INTEGER, a FLOAT[], b FLOAT[])")
    connection.executemany("INSERT INTO vec VALUES (?, ?, ?)", ROWS)
    yield connection
    connection.close()


def test_vector_functions_match_spark(spark: Any, con: duckdb.DuckDBPyConnection) -> None:
    spark.createDataFrame(ROWS, "n INT, a ARRAY<FLOAT>, b ARRAY<FLOAT>").createOrReplaceTempView("vec")
    expected = [tuple(r) for r in spark.sql(SELECT).collect()]
    found = con.execute(translate_statement(SELECT).statements[-1]).fetchall()
    assert len(expected) == len(found) == len(ROWS)
    assert sum(v is not None for r in expected for v in r[1:]) > len(ROWS) * 4  # mostly values, not NULLs
    bad = [
        f"row {e[0]} {EXPRESSIONS[i]}: Spark {e[i + 1]!r} engine {f[i + 1]!r}"
        for e, f in zip(expected, found, strict=True)
        for i in range(len(EXPRESSIONS))
        if not _same(e[i + 1], f[i + 1])
    ]
    assert not bad, "\n".join(bad[:10])
