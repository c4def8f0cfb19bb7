"""hll_sketch_estimate(hll_union_agg(...)) over sketch bytes Spark wrote (tests/fidelity/sketch_forms._HLL), on
the embedded engine: the union's estimates, Spark's error for different lgConfigK, and the refusals when run
(HLL mode, beyond the coupon limit, bytes not read exactly) or at translate time. DuckDB only: fast.
tests/fidelity/test_hll_stored.py compares with local Spark."""

from __future__ import annotations

import duckdb
import pytest

from airflow_idu.engines.duckdb.spark_compat.hll_stored import coupons_of
from airflow_idu.engines.duckdb.translate import TranslationError, translate_statement
from tests.fidelity.sketch_forms import _HLL

_L3 = bytes.fromhex(_HLL["l3"][2:-1])


def _union(con: duckdb.DuckDBPyConnection, names: list[str], extra: str = "") -> object:
    values = ", ".join(f"({_HLL[n]})" for n in names) or "(CAST(NULL AS BINARY))"
    sql = f"SELECT hll_sketch_estimate(hll_union_agg(x{extra})) FROM VALUES {values} t(x)"
    return con.execute(translate_statement(sql).statements[-1]).fetchall()[0][0]


@pytest.mark.parametrize(
    ("names", "extra", "expected"),
    [
        (["l3", "l3b"], "", 5),  # {1, 2, 3} and {3, 4, 5}
        (["s20", "l3", "l3b"], ", false", 20),  # 0..19 holds them
        (["l3", "k4"], ", true", 3),
        (["k8", "l3"], ", true", 23),  # within lgConfigK 8's 24 coupons
        (["empty", "l3"], "", 3),
        (["empty", "k4"], "", 3),  # an empty sketch's lgConfigK is not compared
        (["empty"], "", 0),
        ([], "", 0),
    ],
    ids=[
        "lists",
        "set",
        "lg-k-4-and-12",
        "lg-k-8-limit",
        "empty-and-list",
        "empty-other-lg-k",
        "empty",
        "null",
    ],
)
def test_union_estimate(con: duckdb.DuckDBPyConnection, names: list[str], extra: str, expected: int) -> None:
    assert _union(con, names, extra) == expected


@pytest.mark.parametrize(
    ("names", "extra", "match"),
    [
        (["l3", "k4"], "", "HLL_UNION_DIFFERENT_LG_K"),
        (["hll"], ", true", r"IDU_REFUSED.*HLL mode"),
        (["s20", "k8"], ", true", r"IDU_REFUSED.*40 distinct coupons, beyond 24"),
        (["s20", "k4"], ", true", r"IDU_REFUSED.*beyond 7"),
    ],
    ids=["different-lg-k", "hll-mode", "beyond-smallest-limit", "beyond-lg-k-4"],
)
def test_union_raises(con: duckdb.DuckDBPyConnection, names: list[str], extra: str, match: str) -> None:
    with pytest.raises(duckdb.Error, match=match):
        _union(con, names, extra)


@pytest.mark.parametrize(
    "data",
    [b"", b"\x01\x02", _L3[:-4], _L3[:5] + b"\x08" + _L3[6:], _L3[:8] + _L3[12:] + b"\0\0\0\0"],
    ids=["empty-bytes", "short", "truncated", "compact-flag", "list-gap"],
)
def test_bytes_not_read_are_refused(data: bytes) -> None:
    with pytest.raises(ValueError, match="IDU_REFUSED"):
        coupons_of(data)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT hll_union_agg(s) FROM t",
        "SELECT hll_sketch_estimate(hll_union_agg(s, b)) FROM t",
        "SELECT hll_sketch_estimate(hll_union_agg(DISTINCT s)) FROM t",
    ],
    ids=["bare-sketch", "allow-column", "distinct"],
)
def test_refused_at_translate_time(sql: str) -> None:
    with pytest.raises(TranslationError):
        translate_statement(sql)
