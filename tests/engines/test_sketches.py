"""Theta and tuple sketch functions on the embedded engine: Spark's hashes and bytes (vectors taken
from local Spark 4.3), the set operations' corner cases, and every refusal (at translation and when
run). DuckDB only: fast. tests/fidelity/test_sketches.py compares the same with local Spark."""

from __future__ import annotations

import math
import struct
from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.spark_compat import theta_sketch as ts
from airflow_idu.engines.duckdb.spark_compat import tuple_sketch as tp
from airflow_idu.engines.duckdb.translate import TranslationError, translate_statement

_A = "0104033e011acc930316861af72df7e4558fbe9c3477e9eaefb2e5966badaa3dc0"  # {1, 2, 3}


def run(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(translate_statement(sql).statements[-1]).fetchall()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (struct.pack("<q", 1), 0x05A186BDCB7DF915),  # theta_sketch_agg(1L)
        (b"abc", 0x65AB8936EC43C690),  # theta_sketch_agg(X'616263')
    ],
    ids=["long", "bytes"],
)
def test_murmur_hash_is_datasketches(data: bytes, expected: int) -> None:
    assert ts.murmur_hash(data) == expected


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT theta_sketch_agg(col) FROM VALUES (1), (1), (2), (2), (3) tab(col)", _A),
        ("SELECT theta_sketch_agg(col) FROM VALUES (1L) tab(col)", "01030300003acc9315f97dcbbd86a105"),
        ("SELECT theta_sketch_agg(col) FROM VALUES (CAST(NULL AS INT)) tab(col)", "01030300001e0000"),
        ("SELECT theta_sketch_agg(col) FROM VALUES (1.5D), (-0.0D), (0.0D) tab(col)",
         "0104033d011acc93027bcb1c71b0aa088c32c74eae130ab500"),
        ("SELECT theta_sketch_agg(col) FROM VALUES ('abc'), (''), ('x') tab(col)",
         "0104033f011acc9302cb57126dd8878d200d2ad52fb416aaa4"),
        ("SELECT theta_sketch_agg(col) FROM VALUES (X'616263'), (X'') tab(col)", "01030300003acc9390c643ec3689ab65"),
        ("SELECT theta_sketch_agg(col) FROM VALUES (array(1, 2)), (array()) tab(col)", "01030300003acc93f9e7651c9be3d926"),
        ("SELECT theta_sketch_agg(col) FROM VALUES (array(1, NULL)) tab(col)", "01030300003acc9315f97dcbbd86a105"),
        ("SELECT theta_sketch_agg(col) FROM VALUES (CAST(1.5 AS FLOAT)) tab(col)", "01030300003acc93114115368e63790f"),
        ("SELECT theta_sketch_agg(col, 4) FROM (SELECT id AS col FROM range(0, 1000))",
         "02040337011acc9394ded6c8a0752a021054e975e5db13aaed949bb9f88c2446b9a35a3e40e04cdfd38ce4fcd46f63b88b2f4711ba2f7"
         "d098a148baec7d83eabfd11841b23da08998f9b5f27792f9643d34c4717096ca41da3fbe21bf0b6e1c2f9519f31f564c451973006deb"
         "9d849a1af946ec17c533edfa160ddec687277"),
        ("SELECT theta_sketch_estimate(theta_sketch_agg(col, 4)) FROM (SELECT id AS col FROM range(0, 1000))", 946),
        (f"SELECT theta_intersection(X'{_A}', theta_sketch_agg(col)) FROM VALUES (4), (5) tab(col)", "01030300001e0000"),
        (f"SELECT theta_difference(X'{_A}', X'{_A}')", "01030300001e0000"),
        (f"SELECT theta_union(X'{_A}', X'01030300001e0000')", _A),
        ("SELECT theta_intersection_agg(s) FROM VALUES (CAST(NULL AS BINARY)) tab(s)", "01030300001e0000"),
    ],
    ids=["ints", "long", "null", "doubles", "strings", "binary", "int-array", "null-element", "float", "estimation",
         "estimate", "disjoint", "difference", "union-empty", "no-input"],
)  # fmt: skip
def test_theta_bytes_are_sparks(con: duckdb.DuckDBPyConnection, sql: str, expected: Any) -> None:
    [(found,)] = run(con, sql)
    assert (found.hex() if isinstance(found, bytes) else found) == expected


def test_theta_round_trip() -> None:
    big = ts.build([ts.murmur_hash(struct.pack("<q", v)) for v in range(100)], 4)
    for sketch in (big, ts.build([5, 9], 12), ts.intersect([big, ts.build([1], 12)]), ts.EMPTY):
        assert ts.parse(ts.serialize(sketch), "t") == sketch


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        ("SELECT theta_sketch_agg(v, k) FROM t", "lgNomEntries other than an integer literal"),
        ("SELECT theta_sketch_agg(v, 3) FROM t", "lgNomEntries other than an integer literal"),
        ("SELECT theta_union_agg(s) OVER () FROM t", "as a window function"),
        ("SELECT theta_sketch_agg(DISTINCT v) FROM t", "DISTINCT"),
        (
            "SELECT tuple_sketch_agg_double(v, x) FROM t",
            "only as the sketch argument of another tuple function",
        ),
        ("SELECT tuple_union_agg_integer(s) FROM t", "only as the sketch argument of another tuple function"),
        (
            "SELECT tuple_sketch_summary_double(tuple_sketch_agg_double(v, x), 'avg') FROM t",
            "mode other than",
        ),
        (
            "SELECT tuple_sketch_estimate_double(tuple_sketch_agg_double(v, x, 12, mode)) FROM t",
            "mode other than",
        ),
    ],
    ids=["lg-column", "lg-3", "window", "distinct", "tuple-value", "tuple-agg-value", "mode", "mode-column"],
)
def test_refused_at_translation(sql: str, why: str) -> None:
    with pytest.raises(TranslationError, match=why):
        translate_statement(sql)


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        ("SELECT tuple_sketch_estimate_double(tuple_sketch_agg_double(v, x, 4)) FROM t", "beyond its 16 nominal"),
        ("SELECT tuple_sketch_summary_double(tuple_sketch_agg_double(v % 3, x)) FROM t", "order Spark adds"),
        ("SELECT tuple_sketch_summary_double(tuple_sketch_agg_double(v % 3, x, 12, 'min')) FROM t",
         "both 0.0 and -0.0"),
        ("SELECT theta_intersection_agg(s) FROM (SELECT theta_sketch_agg(v) s FROM t WHERE v < 3 UNION ALL SELECT "
         "theta_sketch_agg(v) FROM t WHERE v BETWEEN 3 AND 5 UNION ALL SELECT theta_sketch_agg(v, 4) FROM t)",
         "order it meets them"),
        ("SELECT theta_sketch_estimate(CAST(x AS BINARY)) FROM (SELECT 'not a sketch' x)", "THETA_INVALID_INPUT"),
        ("SELECT theta_sketch_agg(CAST(v AS DECIMAL(10, 2))) FROM t", "Spark takes INT, BIGINT"),
        ("SELECT tuple_sketch_estimate_integer(tuple_sketch_agg_integer(v, x)) FROM t", "casts it to INT"),
        ("SELECT tuple_sketch_estimate_double(X'01030300001e0000')", "not a compact tuple sketch"),
        ("SELECT tuple_sketch_estimate_integer(tuple_difference_integer(tuple_sketch_agg_integer(v, 1), "
         "tuple_intersection_integer(tuple_sketch_agg_integer(v, 1), tuple_sketch_agg_integer(v + 100, 1)))) FROM t",
         "of theta 1.0 and not empty"),
    ],
    ids=["beyond-nominal", "inexact-sum", "signed-zeros", "intersection-order", "not-a-sketch", "decimal-key",
         "double-as-int", "theta-as-tuple", "degenerate-difference"],
)  # fmt: skip
def test_refused_when_run(con: duckdb.DuckDBPyConnection, sql: str, why: str) -> None:
    con.execute("CREATE OR REPLACE TABLE t (v BIGINT, x DOUBLE)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate([0.1, 0.2, 0.3, -0.0, 0.0] * 4)))
    with pytest.raises(duckdb.Error, match=r"IDU_REFUSED.*" + why):
        run(con, sql)


@pytest.mark.parametrize(
    ("values", "mode", "integer", "expected"),
    [
        ([0.5, 0.25, -0.75], "sum", False, 0.0),
        ([-0.0], "sum", False, 0.0),
        ([1e308, 1.0, -1e308], "sum", False, None),  # refused: 1.0 is lost or not, by order
        ([math.inf, 2.0], "sum", False, math.inf),
        ([math.inf, -math.inf, 1.0], "sum", False, math.nan),
        ([math.nan, 3.0], "min", False, 3.0),
        ([math.nan], "max", False, -math.inf),
        ([2147483647, 1], "sum", True, -2147483648),
        ([4, -9], "min", True, -9),
        ([4.0, 7.0], "alwaysone", False, 1.0),
    ],
    ids=["exact", "negative-zero", "cancel", "infinity", "nan", "min-skips-nan", "only-nan", "int-wraps", "int-min",
         "alwaysone"],
)  # fmt: skip
def test_summary_fold(values: list[float], mode: str, integer: bool, expected: float | None) -> None:
    if expected is None:
        with pytest.raises(ValueError, match="IDU_REFUSED"):
            tp.combine(values, mode, integer, "t")
        return
    assert repr(tp.combine(values, mode, integer, "t")) == repr(expected)


def test_tuple_round_trip_keeps_summaries() -> None:
    sketch = tp.Tuple(ts.MAX_THETA - 5, {3: 1.5, 9: -0.0})
    for integer, data in ((False, sketch), (True, tp.Tuple(ts.MAX_THETA, {3: 7, 9: -2}))):
        assert tp.deserialize(tp.serialize(data, "min", integer), integer, "t") == data


def test_tuple_intersection_without_common_hash_keeps_theta(con: duckdb.DuckDBPyConnection) -> None:
    """Local Spark: 0.6166394693249589 (tuple.Intersection has no sticky empty state)."""
    sql = (
        "SELECT tuple_sketch_theta_integer(tuple_intersection_integer(tuple_intersection_integer(tuple_sketch_agg_"
        "integer(k, 1), tuple_sketch_agg_integer(k + 10, 1)), tuple_union_integer(tuple_sketch_agg_integer(k, 1), "
        "tuple_sketch_agg_integer(k + 20, 1), 4))) FROM range(0, 10) t(k)"
    )
    assert run(con, sql) == [(0.6166394693249589,)]
