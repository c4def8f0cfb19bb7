"""Shared helpers of the fdlibm tests (tests/engines and tests/fidelity): doubles as bits, the edge
inputs around a list of thresholds, and the embedded engine's and Spark's rows for one query."""

from __future__ import annotations

import math
import struct
from typing import Any

import duckdb

from airflow_idu.engines.duckdb.macros import install_macros
from airflow_idu.engines.duckdb.translate import translate_statement

__all__ = [
    "edges",
    "engine_connection",
    "engine_rows",
    "from_bits",
    "from_hex",
    "hex_bits",
    "run",
    "spark_rows",
]


def hex_bits(value: float | None) -> str | None:
    """A double's exact bits as ``float.hex`` (so -0.0 is not 0.0); every NaN alike; None for NULL."""
    if value is None:
        return None
    return "nan" if math.isnan(value) else value.hex()


def from_hex(text: str) -> float:
    return math.nan if text == "nan" else float.fromhex(text)


def from_bits(bits: int) -> float:
    return float(struct.unpack("<d", struct.pack("<Q", bits))[0])


def edges(thresholds: list[float]) -> list[float]:
    """The thresholds, their neighbours on both sides, all negated too, and ±Infinity and NaN."""
    around = [math.nextafter(e, d) for e in thresholds for d in (math.inf, -math.inf)]
    values = [*thresholds, *around]
    return [*values, *(-v for v in values), math.inf, -math.inf, math.nan]


def engine_connection(
    values: list[float], pairs: list[tuple[float, float]], first: str
) -> duckdb.DuckDBPyConnection:
    """An in-memory engine with the inputs as ``v(i, x)`` and ``p(i, <first>, x)``."""
    con = duckdb.connect()
    install_macros(con)
    con.execute("CREATE TABLE v (i INTEGER, x DOUBLE)")
    con.executemany("INSERT INTO v VALUES (?, ?)", list(enumerate(values)))
    con.execute(f"CREATE TABLE p (i INTEGER, {first} DOUBLE, x DOUBLE)")
    con.executemany("INSERT INTO p VALUES (?, ?, ?)", [(i, a, x) for i, (a, x) in enumerate(pairs)])
    return con


def run(con: duckdb.DuckDBPyConnection, spark_sql: str) -> object:
    """One Spark SQL expression's value on the embedded engine."""
    [sql] = translate_statement(f"SELECT {spark_sql}").statements
    return con.execute(sql).fetchone()[0]  # type: ignore[index]


def engine_rows(con: duckdb.DuckDBPyConnection, query: str) -> list[tuple[Any, ...]]:
    [sql] = translate_statement(query).statements
    return sorted(con.execute(sql).fetchall(), key=lambda r: r[0])


def spark_rows(spark: Any, query: str, rows: list[tuple[Any, ...]], schema: str) -> list[Any]:
    spark.createDataFrame(rows, schema).createOrReplaceTempView("fdlibm_in")
    return sorted(spark.sql(query).collect(), key=lambda r: r[0])


def matches_spark(value: object, expected: str | None) -> bool:
    """The engine's value is Spark's: NULL for NULL, else the same bits (``expected`` as ``hex_bits``)."""
    if expected is None:
        return value is None
    return isinstance(value, float) and hex_bits(value) == hex_bits(from_hex(expected))
