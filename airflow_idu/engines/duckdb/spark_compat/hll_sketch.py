"""Spark's DataSketches HLL functions where the answer is exact: ``hll_sketch_estimate(hll_sketch_agg(x
[, lgConfigK]))`` while the sketch stays in its coupon (LIST/SET) mode.

Spark's ``HllSketchAgg`` updates an ``HllSketch(lgConfigK)`` (default 12) per partition and merges
them with a ``Union(lgConfigK)``. In LIST and SET mode a sketch, and the union's gadget, hold
exactly the set of distinct coupons (:mod:`.hll_coupons`); each promotes itself to its HLL array
once it holds more than ``7`` coupons (lgConfigK < 8: a full list of 8) or ``3 * 2^(lgConfigK - 5)``
(a SET at its largest, ``2^(lgConfigK - 3)`` slots, over 3/4 full). No partition nor union holds
more coupons than the group's distinct coupons, so up to that count, whatever Spark's partitions,
``hll_sketch_estimate`` answers ``Math.round`` of the coupon-mode estimate of the count. Beyond it
Spark's HLL array estimate depends on the merge order: refused when run.

The sketch itself is a BINARY whose LIST-mode coupons come in the order they arrived (so its bytes
depend on the partitions): ``hll_sketch_agg`` anywhere but directly in ``hll_sketch_estimate`` is
refused, and so are ``hll_sketch_estimate`` of a stored sketch, ``hll_union`` and ``hll_union_agg``.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import replace_each

__all__ = ["ANONYMOUS", "CHECKS", "FUNCTIONS", "HLL_MACROS", "anonymous_check", "hll_sketch", "max_coupons"]

_AGG, _ESTIMATE = "hll_sketch_agg", "hll_sketch_estimate"
_UNIONS = ("hll_union", "hll_union_agg")
ANONYMOUS: frozenset[str] = frozenset({_AGG, _ESTIMATE, *_UNIONS})
CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset()
_DEFAULT_LG_K = 12
_SKETCH_BYTES = (
    "its BINARY sketch lists the coupons in the order they arrived, which depends on Spark's partitions; "
    "use hll_sketch_estimate(hll_sketch_agg(...)) directly, or count(DISTINCT ...) for the exact count"
)


def max_coupons(lg_k: int) -> int:
    """The most distinct coupons an HllSketch(lg_k) holds before it promotes itself to HLL mode."""
    return 7 if lg_k < 8 else 3 * 2 ** (lg_k - 5)


def _lg_k(node: exp.Anonymous) -> int | None:
    args = node.expressions
    if len(args) == 1:
        return _DEFAULT_LG_K
    given = args[1] if len(args) == 2 else None
    if isinstance(given, exp.Literal) and not given.is_string and given.this.isdigit():
        value = int(given.this)
        return value if 4 <= value <= 21 else None
    return None


def _is(node: exp.Expr | None, name: str) -> bool:
    return isinstance(node, exp.Anonymous) and node.name.lower() == name


def anonymous_check(node: exp.Anonymous) -> str | None:
    name = node.name.lower()
    if name in _UNIONS:
        return f"{name}: {_SKETCH_BYTES}"
    if name == _ESTIMATE:
        given = node.expressions
        if len(given) != 1 or not _is(given[0], _AGG):
            return "hll_sketch_estimate of other than hll_sketch_agg(...) (a stored sketch's bytes)"
        return None
    if name == _AGG:
        if not _is(node.parent, _ESTIMATE):
            return f"hll_sketch_agg outside hll_sketch_estimate: {_SKETCH_BYTES}"
        if _lg_k(node) is None:
            return "hll_sketch_agg with an lgConfigK other than an integer literal between 4 and 21"
    return None


def _estimate(node: exp.Expr) -> exp.Expr:
    assert isinstance(node, exp.Anonymous)
    agg = node.expressions[0]
    assert isinstance(agg, exp.Anonymous)
    lg_k = _lg_k(agg)
    assert lg_k is not None  # checked in allowed.py
    limit = exp.Literal.number(max_coupons(lg_k))
    count = _call("idu_hll_coupon_count", agg.expressions[0].copy(), exp.Literal.number(lg_k), limit)
    return _call("idu_hll_estimate", count)


def hll_sketch(tree: exp.Expr) -> exp.Expr:
    """Rewrite hll_sketch_estimate(hll_sketch_agg(...)) into the macro below."""
    nodes = [n for n in tree.find_all(exp.Anonymous) if n.name.lower() == _ESTIMATE]
    return replace_each(tree, reversed(nodes), _estimate)


_COUNT = "count(DISTINCT CASE WHEN x IS NOT NULL THEN idu_hll_coupon(typeof(x), CAST(x AS VARCHAR)) END)"

HLL_MACROS: tuple[str, ...] = (
    # the distinct coupons, or refused; the estimate's UDF is called by the rewrite (a macro's body may not
    # name a UDF outside CASE WHEN: DuckDB looks it up when the macro is created, before the UDFs exist)
    _macro(
        "idu_hll_coupon_count(x, lgk, most)",
        f"CASE WHEN {_COUNT} > most THEN error('[IDU_REFUSED] hll_sketch_estimate(hll_sketch_agg(...)) of ' || "
        f"{_COUNT} || ' distinct coupons with lgConfigK ' || lgk || ': beyond ' || most || ', Spark''s sketch is "
        "in HLL mode, whose estimate depends on how its partitions'' sketches merge. Use count(DISTINCT ...) for "
        f"the exact count') ELSE {_COUNT} END",
    ),
)
