"""The KLL sketch functions on the embedded engine: Spark's bytes decoded, quantiles and ranks of a
sketch that never compacted, merges, and the refusals (a sketch's bytes reaching anything but another
kll_* function; a sketch beyond its k). DuckDB only: fast. The expected values and the sketch bytes
are local Spark 4.3's (datasketches-java 6.2.0); tests/fidelity/test_functions.py compares the forms
of tests/fidelity/function_inventory.py with Spark."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.macros import install_macros
from airflow_idu.engines.duckdb.spark_compat.kll_values import decode, quantile, rank, summary
from airflow_idu.engines.duckdb.translate import TranslationError, translate_statement

# Spark's kll_sketch_agg_* bytes: bigint 1, 2, 3 (level 0 holds them as 2, 3, 1); bigint 5 alone; an empty
# bigint sketch; double 1.5, -2, 0.0, -0.0; bigint 0..19 with k 8 (compacted)
B123 = "05010F00C80008000300000000000000C8000100C500000001000000000000000300000000000000020000000000000003000000000000000100000000000000"
B5 = "02020F04C80008000500000000000000"
EMPTY = "02010F01C8000800"
D4 = "05010F00C80008000400000000000000C8000100C400000000000000000000C0000000000000F83F00000000000000000000000000000080000000000000F83F00000000000000C0"
BIG = "05010F0008000800140000000000000008000200040000000800000000000000000000001300000000000000120000000000000013000000000000000800000000000000090000000000000000000000000000000200000000000000040000000000000006000000000000000B000000000000000D000000000000000F000000000000001100000000000000"  # fmt: skip


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    install_macros(connection)
    connection.execute("CREATE TABLE t (g INTEGER, v BIGINT, d DOUBLE)")
    connection.execute(
        "INSERT INTO t VALUES (1, 3, 1.5), (1, 1, -2.0), (1, NULL, 'NaN'), (1, 2, -0.0), (2, 7, 0.0), (2, 7, NULL)"
    )
    yield connection
    connection.close()


def run(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(translate_statement(sql).statements[-1]).fetchall()


@pytest.mark.parametrize(
    ("data", "kind", "items"),
    [
        (B123, "bigint", [2, 3, 1]),
        (B5, "bigint", [5]),
        (EMPTY, "bigint", []),
        (D4, "double", [0.0, -0.0, 1.5, -2.0]),
        (D4, "bigint", None),  # a double sketch read as longs: its min is not its items' (Spark adds it)
    ],
    ids=["three", "single", "empty", "doubles", "doubles-as-longs"],
)
def test_decode_spark_bytes(data: str, kind: str, items: list[Any] | None) -> None:
    if items is None:
        with pytest.raises(ValueError, match="IDU_REFUSED"):
            decode(bytes.fromhex(data), kind, "f")
        return
    found = decode(bytes.fromhex(data), kind, "f")
    assert found is not None and found["items"] == items and found["n"] == len(items)


@pytest.mark.parametrize("data", [BIG, "", "00", B123[:-2], B123.replace("C5000000", "C4000000", 1)],
                         ids=["compacted", "nothing", "short", "truncated", "levels"])  # fmt: skip
def test_decode_refuses_other_bytes(data: str) -> None:
    with pytest.raises(ValueError, match="IDU_REFUSED"):
        decode(bytes.fromhex(data), "bigint", "f")


# (items, ranks, Spark's quantiles): INCLUSIVE, position ceil(round(r * n, 7 digits)), NaN: the smallest
@pytest.mark.parametrize(
    ("items", "ranks", "expected"),
    [
        ([3.0, 1.0, 2.0], [0.0, 0.3333333, 0.5, 0.66666667, 1.0], [1.0, 1.0, 2.0, 2.0, 3.0]),
        ([3.0, 1.0, 2.0], [float("nan")], [1.0]),
        ([0.0, -0.0, 0.0, -0.0], [0.5, 0.75], [-0.0, 0.0]),
        ([2**63 - 1, -(2**63)], [0.5], [-(2**63)]),
    ],
    ids=["ranks", "nan", "signed-zeros", "long-limits"],
)
def test_quantile(items: list[Any], ranks: list[float], expected: list[Any]) -> None:
    found = quantile({"k": 200, "n": len(items), "items": items}, ranks, "f")
    assert [repr(v) for v in found] == [repr(v) for v in expected]


def test_rank_and_errors() -> None:
    sketch = {"k": 200, "n": 3, "items": [3.0, 1.0, 1.0]}
    assert rank(sketch, [0.0, 1.0, 2.5, 3.0], "f") == [0.0, 2 / 3, 2 / 3, 1.0]
    with pytest.raises(ValueError, match="INVALID_INPUT"):
        rank(sketch, [float("nan")], "f")
    with pytest.raises(ValueError, match="QUANTILE_RANGE"):
        quantile(sketch, [1.5], "f")
    with pytest.raises(ValueError, match="INVALID_INPUT"):
        quantile({"k": 200, "n": 0, "items": []}, [0.5], "f")
    with pytest.raises(ValueError, match="IDU_REFUSED"):
        quantile({"k": 8, "n": 9, "items": None}, [0.5], "f")


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT g, kll_sketch_get_n_bigint(kll_sketch_agg_bigint(v)) FROM t GROUP BY g ORDER BY g", [(1, 3), (2, 2)]),
        ("SELECT kll_sketch_get_quantile_double(kll_sketch_agg_double(d), array(0, 0.5, 0.75, 1)) FROM t",
         [([-2.0, -0.0, 0.0, 1.5],)]),
        ("SELECT kll_sketch_get_rank_bigint(kll_sketch_agg_bigint(v, 8), array(1, 6, 7)) FROM t",
         [([0.2, 0.6, 1.0],)]),
        (f"SELECT kll_sketch_get_quantile_bigint(kll_sketch_merge_bigint(X'{B123}', X'{B5}'), 1)", [(5,)]),
        (f"SELECT kll_sketch_get_n_bigint(kll_merge_agg_bigint(x)) FROM (VALUES (X'{B123}'), (NULL), (X'{EMPTY}')) v(x)",
         [(3,)]),
        ("SELECT kll_sketch_get_n_bigint(kll_sketch_agg_bigint(v, 8)) FROM range(20) r(v)", [(20,)]),
        ("SELECT kll_sketch_get_quantile_bigint((SELECT kll_sketch_agg_bigint(v) FROM t), NULL)", [(None,)]),
    ],
    ids=["n", "quantiles", "ranks", "merge", "merge-agg", "n-beyond-k", "null-rank"],
)  # fmt: skip
def test_engine_values(con: duckdb.DuckDBPyConnection, sql: str, expected: list[tuple[Any, ...]]) -> None:
    assert run(con, sql) == expected


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT kll_sketch_get_quantile_bigint(kll_sketch_agg_bigint(v, 8), 0.5) FROM range(9) r(v)",
        f"SELECT kll_sketch_get_quantile_bigint(X'{BIG}', 0.5)",
        "SELECT kll_sketch_get_rank_bigint(kll_sketch_merge_bigint(kll_sketch_agg_bigint(v, 8), "
        "kll_sketch_agg_bigint(v)), 3) FROM range(5) r(v)",
        "SELECT kll_sketch_get_n_bigint(kll_sketch_agg_bigint(CAST(v AS VARCHAR))) FROM t",
    ],
    ids=["beyond-k", "compacted-bytes", "merge-beyond-left-k", "string-values"],
)
def test_refused_when_run(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    with pytest.raises(duckdb.Error, match="IDU_REFUSED"):
        run(con, sql)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT kll_sketch_agg_bigint(v) FROM t",
        "SELECT hex(kll_sketch_agg_bigint(v)) FROM t",
        "SELECT s FROM (SELECT kll_sketch_agg_bigint(v) AS s FROM t)",
        "SELECT kll_sketch_get_n_double(kll_sketch_agg_bigint(v)) FROM t",
        "SELECT kll_sketch_get_n_bigint(kll_sketch_agg_bigint(v) OVER ()) FROM t",
        "SELECT kll_sketch_get_n_bigint(kll_sketch_agg_bigint(v, g)) FROM t",
        "SELECT kll_sketch_get_quantile_bigint(kll_sketch_agg_bigint(v), g / 2) FROM t GROUP BY g",
        "SELECT kll_sketch_get_rank_float(kll_sketch_agg_float(CAST(v AS FLOAT)), 0.1) FROM t",
        "SELECT kll_sketch_get_n_bigint(kll_sketch_agg_bigint(DISTINCT v)) FROM t",
    ],
    ids=["output", "hex", "subquery-column", "other-type", "window", "k-column", "rank-column",
         "float-not-exact", "distinct"],
)  # fmt: skip
def test_refused_when_translated(sql: str) -> None:
    with pytest.raises(TranslationError):
        translate_statement(sql)


# Spark's kll_sketch_to_string_double of -2.0, -0.0 and 0.0 with k 1000 (NaN ignored)
SPARK_SUMMARY = (
    "\n### KllKllDoublesSketch Summary:\n   K                      : 1000\n   Dynamic min K          : 1000\n"
    "   M                      : 8\n   N                      : 3\n   Epsilon                : 0.278%\n"
    "   Epsilon PMF            : 0.362%\n   Empty                  : false\n   Estimation Mode        : false\n"
    "   Levels                 : 1\n   Level 0 Sorted         : false\n   Capacity Items         : 1000\n"
    "   Retained Items         : 3\n   Free Space             : 997\n   ReadOnly               : false\n"
    "   Updatable Storage Bytes: 8044\n   Compact Storage Bytes  : 64\n   Min Item               : -2.0\n"
    "   Max Item               : 0.0\n### End sketch summary\n"
)


def test_summary(con: duckdb.DuckDBPyConnection) -> None:
    sql = "SELECT kll_sketch_to_string_double(kll_sketch_agg_double(d, 1000)) FROM t WHERE d <> 1.5 OR d IS NULL"
    assert run(con, sql) == [(SPARK_SUMMARY,)]
    with pytest.raises(ValueError, match="IDU_REFUSED"):  # Java's digits of 0.1 are not reproduced
        summary({"k": 200, "n": 1, "items": [0.1], "mk": 200, "sorted": False}, "double", "f")
    with pytest.raises(duckdb.Error, match="IDU_REFUSED"):  # a merge aggregate without k: K unknown
        run(con, f"SELECT kll_sketch_to_string_bigint(kll_merge_agg_bigint(x)) FROM (VALUES (X'{B5}')) v(x)")
