"""The bitmap aggregates, histogram_numeric, hll_sketch_estimate(hll_sketch_agg(...)), count_min_sketch and
approx_top_k on the embedded engine, against models written from Spark's and DataSketches' source, and their refusals. DuckDB only:
fast. tests/fidelity/test_counting_sketches.py compares the same with local Spark."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.spark_compat.count_min_sketch import java_random_ints, shape
from airflow_idu.engines.duckdb.spark_compat.hll_coupons import coupon, estimate
from airflow_idu.engines.duckdb.spark_compat.hll_sketch import max_coupons
from airflow_idu.engines.duckdb.spark_compat.top_k import exact_items
from airflow_idu.engines.duckdb.translate import TranslationError, translate_statement


def run(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(translate_statement(sql).statements[-1]).fetchall()


def bitmap(positions: set[int]) -> bytes:
    """Spark's BitmapConstructAgg: bit p % 8 (least significant first) of byte p / 8."""
    out = bytearray(4096)
    for p in positions:
        out[p // 8] |= 1 << (p % 8)
    return bytes(out)


def padded(b: bytes) -> bytes:
    return (b + bytes(4096))[:4096]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ("(1), (2), (3)", bitmap({0, 1, 2})),
        ("(7), (8), (9), (32768)", bitmap({6, 7, 8, 32767})),
        ("(CAST(NULL AS INT))", bytes(4096)),
        ("(40000), (-3)", bitmap({39999 % 32768, 3})),
    ],
    ids=["low", "byte-edges", "null", "wrapped"],
)
def test_bitmap_construct_agg(con: duckdb.DuckDBPyConnection, values: str, expected: bytes) -> None:
    sql = f"SELECT bitmap_construct_agg(bitmap_bit_position(x)) FROM VALUES {values} AS t(x)"
    assert run(con, sql) == [(expected,)]


@pytest.mark.parametrize("position", [-1, 32768], ids=["negative", "past-the-end"])
def test_bitmap_construct_agg_out_of_range_fails_like_spark(
    con: duckdb.DuckDBPyConnection, position: int
) -> None:
    with pytest.raises(duckdb.Error, match="INVALID_BITMAP_POSITION"):
        run(con, f"SELECT bitmap_construct_agg(x) FROM VALUES (1), ({position}) AS t(x)")


OR_AND_CASES = [
    ([b"\x10", b"\x20\x01", b"\x40"], "or", padded(b"\x70\x01")),
    ([b"\xff\xff", b"\x0f"], "and", padded(b"\x0f")),
    ([b"\xff" * 5000, b"\xf0" * 4100], "and", b"\xf0" * 4096),
    ([b"\x01" * 5000], "or", b"\x01" * 4096),
    ([b"", b"\xff"], "and", bytes(4096)),
    ([], "and", b"\xff" * 4096),
    ([], "or", bytes(4096)),
]


@pytest.mark.parametrize(
    ("inputs", "op", "expected"),
    OR_AND_CASES,
    ids=["or", "and-shorter-clears", "and-longer-cut", "or-longer-cut", "and-empty", "and-none", "or-none"],
)
def test_bitmap_or_and_agg(
    con: duckdb.DuckDBPyConnection, inputs: list[bytes], op: str, expected: bytes
) -> None:
    rows = ", ".join(f"(X'{b.hex()}')" for b in inputs) or "(CAST(NULL AS BINARY))"
    assert run(con, f"SELECT bitmap_{op}_agg(x) FROM VALUES {rows} AS t(x)") == [(expected,)]


def test_histogram_numeric_distinct_values(con: duckdb.DuckDBPyConnection) -> None:
    rows = run(con, "SELECT histogram_numeric(x, 5) FROM VALUES (10), (0), (2), (NULL), (1) AS t(x)")
    assert rows == [([{"x": v, "y": 1.0} for v in (0, 1, 2, 10)],)]
    assert run(con, "SELECT histogram_numeric(x, 2) FROM VALUES (CAST(NULL AS INT)) AS t(x)") == [(None,)]


@pytest.mark.parametrize(
    ("values", "bins", "reason"),
    [
        ("(1), (1), (2)", 5, "repeated value"),
        ("(1), (2), (3)", 2, "over 3 values with 2 bins"),
        ("(CAST('NaN' AS DOUBLE)), (1.0D)", 5, "NaN"),
        ("(9007199254740993L)", 5, "beyond 2"),
    ],
    ids=["repeated", "too-many", "nan", "big"],
)
def test_histogram_numeric_refused_when_run(
    con: duckdb.DuckDBPyConnection, values: str, bins: int, reason: str
) -> None:
    with pytest.raises(duckdb.Error, match=rf"IDU_REFUSED\] histogram_numeric.*{reason}"):
        run(con, f"SELECT histogram_numeric(x, {bins}) FROM VALUES {values} AS t(x)")


# coupons of local Spark 4.3's hll_sketch_agg (the first int of a one-value sketch's LIST)
COUPONS = [
    ("INTEGER", "3", 0x7668175),
    ("INTEGER", "-2147483648", 0x8A7E547),
    ("BIGINT", "9223372036854775807", 0xDB4BAFF),
    ("BIGINT", "-1", 0xBE764D9),
    ("VARCHAR", "abc", 0x4878D21),
    ("VARCHAR", "日本語テキスト", 0x67B4F78),
    ("VARCHAR", "a" * 16, 0xB9F5F15),
    ("VARCHAR", "a" * 17, 0xBB47FAA),
    ("BLOB", r"\x00\xFF\x10", 0x74D438C),
    ("VARCHAR", "", None),
    ("BLOB", "", None),
]


@pytest.mark.parametrize(("kind", "text", "expected"), COUPONS, ids=[f"{k}-{len(t)}" for k, t, _ in COUPONS])
def test_hll_coupon_is_datasketches(kind: str, text: str, expected: int | None) -> None:
    assert coupon(kind, text) == expected


# datasketches-java 6.2.0's Math.round(CubicInterpolation...(count)) (every count below 300000 compared)
@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, 0), (1, 1), (7, 7), (384, 384), (9000, 9000), (20000, 20001), (100000, 100025), (196608, 196704)],
)
def test_hll_estimate_is_datasketches(count: int, expected: int) -> None:
    assert estimate(count) == expected


@pytest.mark.parametrize(("lg_k", "most"), [(4, 7), (7, 7), (8, 24), (12, 384), (21, 196608)])
def test_max_coupons(lg_k: int, most: int) -> None:
    assert max_coupons(lg_k) == most


def test_hll_sketch_estimate_counts_coupons(con: duckdb.DuckDBPyConnection) -> None:
    sql = "SELECT hll_sketch_estimate(hll_sketch_agg(x, 4)) FROM VALUES (1), (2), (2), (NULL), (7) AS t(x)"
    assert run(con, sql) == [(3,)]
    sql = "SELECT hll_sketch_estimate(hll_sketch_agg(x)) FROM VALUES (''), (CAST(NULL AS STRING)) AS t(x)"
    assert run(con, sql) == [(0,)]


@pytest.mark.parametrize(
    ("rows", "lg_ks", "expected"),
    [
        ("(1, 4), (1, 4), (2, 5), (2, 5), (3, 6)", "", 6),
        ("(1, 1), (2, 2), (3, 3), (4, 10), (5, 11)", ", 4), hll_sketch_agg(b, 5), true", 7),
        ("(1, NULL), (2, NULL)", ", 4), hll_sketch_agg(b, 5), true", 2),
    ],
    ids=["example", "different-lgk", "one-empty"],
)
def test_hll_union(con: duckdb.DuckDBPyConnection, rows: str, lg_ks: str, expected: int) -> None:
    union = f"hll_union(hll_sketch_agg(a{lg_ks or '), hll_sketch_agg(b)'})"
    assert run(con, f"SELECT hll_sketch_estimate({union}) FROM VALUES {rows} AS t(a, b)") == [(expected,)]


def test_hll_union_refused_beyond_the_smaller_lgk(con: duckdb.DuckDBPyConnection) -> None:
    sql = "SELECT hll_sketch_estimate(hll_union(hll_sketch_agg(a, 4), hll_sketch_agg(b, 5), true)) FROM "
    with pytest.raises(duckdb.Error, match=r"IDU_REFUSED\] hll_sketch_estimate\(hll_union"):
        run(con, sql + "VALUES (1, 1), (2, 2), (3, 3), (4, 10), (5, 11), (6, 12) AS t(a, b)")


def test_hll_sketch_estimate_refused_in_hll_mode(con: duckdb.DuckDBPyConnection) -> None:
    sql = "SELECT hll_sketch_estimate(hll_sketch_agg(id, 4)) FROM range(8)"
    with pytest.raises(duckdb.Error, match=r"IDU_REFUSED\] hll_sketch_estimate.* 8 distinct coupons"):
        run(con, sql)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT hll_sketch_agg(x) FROM t",
        "SELECT hll_sketch_estimate(s) FROM t",
        "SELECT hll_union(hll_sketch_agg(x), hll_sketch_agg(y)) FROM t",
        "SELECT hll_sketch_estimate(hll_union(hll_sketch_agg(x, 4), hll_sketch_agg(y, 5))) FROM t",
        "SELECT hll_sketch_estimate(hll_union(hll_sketch_agg(x), s)) FROM t",
        "SELECT hll_union_agg(s) FROM t",
        "SELECT hll_sketch_estimate(hll_sketch_agg(x, 22)) FROM t",
        "SELECT histogram_numeric(x, y) FROM t",
        "SELECT histogram_numeric(x, 1) FROM t",
        "SELECT bitmap_or_agg(b) OVER (ORDER BY x) FROM t",
        "SELECT bitmap_and_agg(b) OVER () FROM t",
        "SELECT bitmap_or_agg(DISTINCT b) FROM t",
        "SELECT hll_sketch_estimate(hll_sketch_agg(DISTINCT x)) FROM t",
        "SELECT approx_top_k(DISTINCT x) FROM t",
        "SELECT approx_top_k_estimate(approx_top_k_accumulate(DISTINCT x)) FROM t",
    ],
    ids=[
        "sketch-bytes",
        "stored-sketch",
        "union-bytes",
        "union-different-lgk",
        "union-stored",
        "union-agg-bytes",
        "lgk",
        "bins-column",
        "one-bin",
        "window",
        "and-window",
        "distinct-bitmap",
        "distinct-hll",
        "distinct-top-k",
        "distinct-accumulate",
    ],
)
def test_refused_at_translate_time(sql: str) -> None:
    with pytest.raises(TranslationError):
        translate_statement(sql)


def test_java_random_ints() -> None:
    # java.util.Random(seed).nextInt(Integer.MAX_VALUE), from Java 17
    assert java_random_ints(1, 3) == [1569548985, 215764588, 880641847]
    assert java_random_ints(-5, 2) == [578319411, 780466721]


@pytest.mark.parametrize(
    ("eps", "confidence", "expected"),
    [(0.5, 0.5, (1, 4)), (0.001, 0.99, (7, 2000)), (0.3, 0.6, (2, 7)), (0.0, 0.5, None), (1e-6, 0.999, None)],
    ids=["example", "common", "ceil", "zero-eps", "too-big"],
)
def test_count_min_sketch_shape(eps: float, confidence: float, expected: tuple[int, int] | None) -> None:
    found = shape(eps, confidence)
    assert found == expected if expected else isinstance(found, str)


def test_count_min_sketch_bytes(con: duckdb.DuckDBPyConnection) -> None:
    # local Spark 4.3: SELECT hex(count_min_sketch(col, 0.5d, 0.5d, 1)) FROM VALUES (1), (2), (1) AS tab(col)
    spark = (
        "0000000100000000000000030000000100000004000000005D8D6AB9" + "0" * 16 + f"{2:016X}{1:016X}" + "0" * 16
    )
    sql = "SELECT hex(count_min_sketch(col, 0.5d, 0.5d, 1)) FROM VALUES (1), (2), (1), (NULL) AS tab(col)"
    assert run(con, sql) == [(spark,)]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT count_min_sketch(x, e, 0.5d, 1) FROM t",
        "SELECT count_min_sketch(x, 0.5d, 1.0d, 1) FROM t",
        "SELECT count_min_sketch(x, 0.5d, 0.5d, 1.5) FROM t",
        "SELECT count_min_sketch(x, 0.5d, 0.5d, 1) OVER () FROM t",
    ],
    ids=["eps-column", "confidence-one", "fractional-seed", "window"],
)
def test_count_min_sketch_refused_at_translate_time(sql: str) -> None:
    with pytest.raises(TranslationError):
        translate_statement(sql)


@pytest.mark.parametrize(("tracked", "most"), [(10000, 12288), (1, 6), (3, 6), (6, 6), (7, 12), (100, 192)])
def test_top_k_exact_items(tracked: int, most: int) -> None:
    assert exact_items(tracked) == most


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (
            "approx_top_k(x, 3) FROM VALUES (1), (1), (NULL), (NULL), (2), (3), (3), (3)",
            [(3, 3), (1, 2), (None, 2)],
        ),
        ("approx_top_k(x, 1) FROM VALUES (1), (2), (2), (3)", [(2, 2)]),
        (
            "approx_top_k_estimate(approx_top_k_accumulate(x, 10), 2) FROM VALUES ('a'), ('b'), ('b')",
            [("b", 2), ("a", 1)],
        ),
        ("approx_top_k(x) FROM (SELECT 1 AS x) WHERE false", []),
    ],
    ids=["null-after-equal-items", "tie-beyond-k+1", "accumulated", "empty"],
)
def test_approx_top_k(con: duckdb.DuckDBPyConnection, sql: str, expected: list[tuple[Any, int]]) -> None:
    assert run(con, f"SELECT {sql} AS t(x)" if "VALUES" in sql else f"SELECT {sql}") == [
        ([{"item": i, "count": c} for i, c in expected],)
    ]


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("approx_top_k(x, 2) FROM VALUES (1), (2)", "tied"),
        ("approx_top_k(x, 1, 3) FROM VALUES (1), (2), (3), (4), (5), (6), (7)", "over 7 distinct values"),
        ("approx_top_k(x, 1) FROM VALUES (0.0D), (-0.0D)", "0.0 and -0.0"),
    ],
    ids=["tie", "purged", "signed-zeros"],
)
def test_approx_top_k_refused_when_run(con: duckdb.DuckDBPyConnection, sql: str, reason: str) -> None:
    with pytest.raises(duckdb.Error, match=rf"IDU_REFUSED\] approx_top_k.*{reason}"):
        run(con, f"SELECT {sql} AS t(x)")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT approx_top_k_accumulate(x) FROM t",
        "SELECT approx_top_k_estimate(s, 2) FROM t",
        "SELECT approx_top_k_combine(s, 10) FROM t",
        "SELECT approx_top_k(x, k) FROM t",
        "SELECT approx_top_k(x, 20, 10) FROM t",
    ],
    ids=["accumulated-sketch", "stored-sketch", "combine", "k-column", "k-over-tracked"],
)
def test_approx_top_k_refused_at_translate_time(sql: str) -> None:
    with pytest.raises(TranslationError):
        translate_statement(sql)
