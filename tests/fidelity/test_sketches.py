"""Theta and tuple sketch functions: local Spark against the embedded engine beyond the function
harness's 24 rows. Every key type Spark hashes (NaN, -0.0, '', empty binaries and arrays, arrays
holding NULL), groups below, at and far beyond the nominal entries, on Spark with one partition and
with four: a theta sketch's bytes are Spark's whatever the partitioning, its set operations too,
in exact and in estimation mode; tuple sketches' estimates and summaries in every mode, their
unions, intersections and differences with tuple and theta sketches (the refusals: tests/engines/
test_sketches.py)."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.translate import translate_statement
from tests.fidelity.values import norm

# about two minutes of Spark jobs (7 key types, 2 partitionings, 8 tuple sweeps): kept out of `make test`
pytestmark = [pytest.mark.spark, pytest.mark.beyond_test]

PARTITIONS = (1, 4)
SIZES = (1, 3, 16, 17, 40, 300)  # around lgNomEntries 4's 16 entries, and beyond
Make = Callable[[random.Random], Any]
_DOUBLES = (float("nan"), -0.0, 0.0, float("inf"), -float("inf"), 1e-300, 5e-324, 1.5, 1e308)
KEYS: dict[str, tuple[str, str, Make]] = {  # name: (Spark type, DuckDB type, maker)
    "int": ("INT", "INTEGER", lambda r: r.randint(-(2**31), 2**31 - 1)),
    "bigint": ("BIGINT", "BIGINT", lambda r: r.choice([r.randint(-(2**63), 2**63 - 1), r.randint(-50, 50)])),
    "double": ("DOUBLE", "DOUBLE", lambda r: r.choice([*_DOUBLES, r.uniform(-1e6, 1e6), float(r.randint(-9, 9))])),
    "string": ("STRING", "VARCHAR", lambda r: r.choice(["", "é", "日本", "😀", f"k{r.randint(0, 10**6)}"])),
    "binary": ("BINARY", "BLOB", lambda r: bytes(r.randint(0, 255) for _ in range(r.randint(0, 20)))),
    "array_int": ("ARRAY<INT>", "INTEGER[]", lambda r: [r.choice([None, r.randint(-5, 5)]) for _ in range(r.randint(0, 3))]),
    "array_bigint": ("ARRAY<BIGINT>", "BIGINT[]", lambda r: [r.choice([None, r.randint(-(2**40), 2**40)]) for _ in range(r.randint(0, 3))]),
}  # fmt: skip


def rows_of(makers: list[Make], seed: int, sizes: tuple[int, ...] = SIZES) -> list[tuple[Any, ...]]:
    """(group, values...) rows: each group of its size, a quarter repeats, and a row of NULLs."""
    rnd = random.Random(seed)
    rows: list[tuple[Any, ...]] = []
    for g, n in enumerate(sizes):
        fresh = [tuple(m(rnd) for m in makers) for _ in range(n - n // 4)]
        rows += [(g, *v) for v in fresh + [rnd.choice(fresh) for _ in range(n // 4)]]
        rows.append((g, *(None for _ in makers)))
    return rows


def both(
    spark: Any, con: duckdb.DuckDBPyConnection, columns: list[tuple[str, str, str]], rows: list[Any], sql: str
) -> Any:
    """``sql`` over t(g, columns...) on DuckDB (its rows or its error) and on Spark per partitioning."""
    ddl = ", ".join(f"{name} {duck}" for name, _, duck in columns)
    con.execute(f"CREATE OR REPLACE TABLE t (g INTEGER, {ddl})")
    con.executemany(f"INSERT INTO t VALUES ({', '.join('?' for _ in range(len(columns) + 1))})", rows)
    frame = spark.createDataFrame(rows, "g INT, " + ", ".join(f"{name} {kind}" for name, kind, _ in columns))
    spark_rows = {}
    for parts in PARTITIONS:
        (frame.coalesce(1) if parts == 1 else frame.repartition(parts)).createOrReplaceTempView("t")
        spark_rows[parts] = [tuple(norm(x) for x in r) for r in spark.sql(sql).collect()]
    try:
        found = con.execute(translate_statement(sql).statements[-1]).fetchall()
        return [tuple(norm(x) for x in r) for r in found], spark_rows
    except duckdb.Error as exc:
        return str(exc), spark_rows


def assert_same(mine: Any, spark_rows: dict[int, Any]) -> None:
    assert isinstance(mine, list), mine
    for parts, rows in spark_rows.items():
        assert repr(mine) == repr(rows), f"{parts} partitions"  # repr: NaN equals NaN, -0.0 differs from 0.0


@pytest.mark.parametrize("key", sorted(KEYS))
def test_theta_sketch_agg_is_sparks_bytes_whatever_the_partitions(
    spark: Any, con: duckdb.DuckDBPyConnection, key: str
) -> None:
    kind, duck, make = KEYS[key]
    sql = ("SELECT g, theta_sketch_agg(v, 4), theta_sketch_agg(v), theta_sketch_estimate(theta_sketch_agg(v, 5)) "
           "FROM t GROUP BY g ORDER BY g")  # fmt: skip
    assert_same(*both(spark, con, [("v", kind, duck)], rows_of([make], seed=len(key)), sql))


THETA_OPERATIONS = (
    "SELECT g, theta_union(theta_sketch_agg(v, 4), theta_sketch_agg(w, 5), 4), theta_union(theta_sketch_agg(v), "
    "theta_sketch_agg(w, 4)), theta_intersection(theta_sketch_agg(v, 4), theta_sketch_agg(w)), theta_intersection("
    "theta_sketch_agg(v), theta_sketch_agg(w, 6)), theta_difference(theta_sketch_agg(v, 4), theta_sketch_agg(w)), "
    "theta_difference(theta_sketch_agg(w), theta_sketch_agg(v, 4)), theta_sketch_estimate(theta_difference("
    "theta_sketch_agg(v, 5), theta_sketch_agg(w, 4))) FROM t GROUP BY g ORDER BY g"
)
THETA_AGGREGATES = (  # every group's sketch holds -1 (its NULL row): exact ones share a hash
    "SELECT theta_union_agg(s), theta_union_agg(s, 4), theta_intersection_agg(s), theta_sketch_estimate("
    "theta_union_agg(s, 5)), theta_intersection_agg(u) FROM (SELECT g, theta_sketch_agg(coalesce(v, -1), 4) s, "
    "theta_sketch_agg(w) u FROM t GROUP BY g)"
)


@pytest.mark.parametrize("sql", [THETA_OPERATIONS, THETA_AGGREGATES], ids=["scalar", "aggregate"])
def test_theta_set_operations(spark: Any, con: duckdb.DuckDBPyConnection, sql: str) -> None:
    overlap: Make = lambda r: r.randint(0, 60)  # noqa: E731 - two columns sharing many values
    columns = [("v", "BIGINT", "BIGINT"), ("w", "BIGINT", "BIGINT")]
    assert_same(*both(spark, con, columns, rows_of([overlap, overlap], seed=7), sql))


_SUMMARIES = (  # exact sums in any order, and min/max over NaN, infinities and one sign of zero
    lambda r: float(r.randint(-1000, 1000)) / 8,
    lambda r: r.choice([float("nan"), float("inf"), -float("inf"), -0.0, 2.5, -7.0]),
)


def _tuple_sql(mode: str) -> str:
    agg = f"tuple_sketch_agg_double(v, x, 4, '{mode}')"
    other = f"tuple_sketch_agg_double(w, x, 5, '{mode}')"
    ints = f"tuple_sketch_agg_integer(v, y, 5, '{mode}')"
    return (
        f"SELECT g, tuple_sketch_estimate_double({agg}), tuple_sketch_theta_double({agg}), "
        + ", ".join(
            f"tuple_sketch_summary_double({agg}, '{m}'), tuple_sketch_summary_integer({ints}, '{m}')"
            for m in ("sum", "min", "max", "alwaysone")
        )
        + f", tuple_sketch_summary_double(tuple_union_double({agg}, {other}, 4, '{mode}'), '{mode}'), "
        f"tuple_sketch_estimate_double(tuple_union_double({agg}, {other}, 4, '{mode}')), "
        f"tuple_sketch_summary_double(tuple_intersection_double({agg}, {other}, '{mode}'), '{mode}'), "
        f"tuple_sketch_summary_double(tuple_difference_double({other}, {agg})), "
        f"tuple_sketch_summary_integer(tuple_union_theta_integer({ints}, theta_sketch_agg(w, 4), 4, '{mode}')), "
        f"tuple_sketch_summary_integer(tuple_intersection_theta_integer({ints}, theta_sketch_agg(w), '{mode}'), 'max'), "
        f"tuple_sketch_estimate_integer(tuple_difference_theta_integer({ints}, theta_sketch_agg(w, 4))) "
        "FROM t WHERE v IS NULL OR v < 16 GROUP BY g ORDER BY g"
    )


@pytest.mark.parametrize("summaries", [0, 1], ids=["exact-sums", "non-finite"])
@pytest.mark.parametrize("mode", ["sum", "min", "max", "alwaysone"])
def test_tuple_functions(spark: Any, con: duckdb.DuckDBPyConnection, mode: str, summaries: int) -> None:
    if summaries == 1 and mode == "sum":
        pytest.skip("NaN and both infinities: a NaN sum either way; covered by exact-sums' refusal test")
    keys: Make = lambda r: r.randint(0, 30)  # noqa: E731 - at most 16 distinct keys below 16
    columns = [
        ("v", "BIGINT", "BIGINT"),
        ("w", "BIGINT", "BIGINT"),
        ("x", "DOUBLE", "DOUBLE"),
        ("y", "INT", "INTEGER"),
    ]
    makers = [keys, keys, _SUMMARIES[summaries], lambda r: r.randint(-(2**31), 2**31 - 1)]
    assert_same(*both(spark, con, columns, rows_of(makers, seed=11, sizes=(1, 5, 12, 40)), _tuple_sql(mode)))
