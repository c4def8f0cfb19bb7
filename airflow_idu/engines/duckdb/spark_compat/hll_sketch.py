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
depend on the partitions): ``hll_sketch_agg`` anywhere but directly in ``hll_sketch_estimate`` (or
``hll_union``) is refused, and so are ``hll_sketch_estimate`` of a stored sketch and ``hll_union_agg``
anywhere but directly in it (``hll_sketch_estimate(hll_union_agg(...))`` reads the stored sketches:
:mod:`.hll_stored`).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import replace_each

__all__ = ["ANONYMOUS", "CHECKS", "FUNCTIONS", "HLL_MACROS", "anonymous_check", "hll_sketch", "max_coupons"]

_AGG, _ESTIMATE = "hll_sketch_agg", "hll_sketch_estimate"
ANONYMOUS: frozenset[str] = frozenset({_AGG, _ESTIMATE, "hll_union", "hll_union_agg"})
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


def _union_check(node: exp.Anonymous) -> str | None:
    args = node.expressions
    if not _is(node.parent, _ESTIMATE):
        return f"hll_union outside hll_sketch_estimate: {_SKETCH_BYTES}"
    if len(args) not in (2, 3) or not all(_is(a, _AGG) for a in args[:2]):
        return "hll_union of other than two hll_sketch_agg(...) (a stored sketch's bytes)"
    allow = args[2] if len(args) == 3 else exp.false()
    if not isinstance(allow, exp.Boolean):
        return "hll_union with an allowDifferentLgConfigK other than a boolean literal"
    lg_ks = [_lg_k(a) for a in args[:2] if isinstance(a, exp.Anonymous)]
    if lg_ks[0] != lg_ks[1] and not allow.this:
        return "hll_union of sketches of different lgConfigK without allowDifferentLgConfigK (Spark fails)"
    return None


def _union_agg_check(node: exp.Anonymous) -> str | None:
    args = node.expressions
    if not _is(node.parent, _ESTIMATE):
        return (
            "hll_union_agg outside hll_sketch_estimate: its BINARY sketch lists the coupons in the order they "
            "arrived, which depends on Spark's partitions; use hll_sketch_estimate(hll_union_agg(...))"
        )
    if not args or len(args) > 2 or isinstance(args[0], exp.Distinct):
        return "hll_union_agg of other than one sketch column (and allowDifferentLgConfigK), or of DISTINCT"
    if len(args) == 2 and not isinstance(args[1], exp.Boolean):
        return "hll_union_agg with an allowDifferentLgConfigK other than a boolean literal"
    return None


def anonymous_check(node: exp.Anonymous) -> str | None:
    name = node.name.lower()
    if name == "hll_union_agg":
        return _union_agg_check(node)
    if name == "hll_union":
        return _union_check(node)
    if name == _ESTIMATE:
        given = node.expressions
        if len(given) == 1 and _is(given[0], "hll_union_agg"):
            return None  # hll_union_agg says why
        if len(given) != 1 or not (_is(given[0], _AGG) or _is(given[0], "hll_union")):
            return "hll_sketch_estimate of other than hll_sketch_agg(...) or hll_union(...) of them (a stored sketch)"
        return None
    if name == _AGG:
        if not (_is(node.parent, _ESTIMATE) or _is(node.parent, "hll_union")):
            return f"hll_sketch_agg outside hll_sketch_estimate: {_SKETCH_BYTES}"
        if node.expressions and isinstance(node.expressions[0], exp.Distinct):
            return "hll_sketch_agg of DISTINCT values"
        if _lg_k(node) is None:
            return "hll_sketch_agg with an lgConfigK other than an integer literal between 4 and 21"
    return None


def _limit(agg: exp.Expr) -> exp.Expr:
    assert isinstance(agg, exp.Anonymous)
    lg_k = _lg_k(agg)
    assert lg_k is not None  # checked in allowed.py
    return exp.Literal.number(max_coupons(lg_k))


def _estimate(node: exp.Expr) -> exp.Expr:
    assert isinstance(node, exp.Anonymous)
    given = node.expressions[0]
    assert isinstance(given, exp.Anonymous)
    if given.name.lower() == "hll_union_agg":  # stored sketches: hll_stored.union_estimate
        sketch = given.expressions[0].copy()
        allow = given.expressions[1].copy() if len(given.expressions) > 1 else exp.false()
        return _call(
            "idu_hll_union_estimate",
            _call("list", sketch),
            allow,
            _call("min", _call("typeof", sketch.copy())),
        )
    if given.name.lower() == "hll_union":  # the union's lgConfigK: the smaller, or the non-empty one's
        a, b = given.expressions[:2]
        assert isinstance(a, exp.Anonymous) and isinstance(b, exp.Anonymous)
        values = (a.expressions[0].copy(), b.expressions[0].copy())
        return _call("idu_hll_estimate", _call("idu_hll_union_count", *values, _limit(a), _limit(b)))
    return _call(
        "idu_hll_estimate", _call("idu_hll_coupon_count", given.expressions[0].copy(), _limit(given))
    )


@gated(names=(_ESTIMATE,))
def hll_sketch(tree: exp.Expr) -> exp.Expr:
    """Rewrite hll_sketch_estimate(hll_sketch_agg(...)) into the macro below."""
    nodes = [n for n in tree.find_all(exp.Anonymous) if n.name.lower() == _ESTIMATE]
    return replace_each(tree, reversed(nodes), _estimate)


_COUPON = "CASE WHEN {0} IS NOT NULL THEN idu_hll_coupon(typeof({0}), CAST({0} AS VARCHAR)) END"
_COUNT = f"count(DISTINCT {_COUPON.format('x')})"
_COUNT_A, _COUNT_B = (f"count(DISTINCT {_COUPON.format(v)})" for v in "ab")
_UNION = f"len(list_distinct(list_concat(list(DISTINCT {_COUPON.format('a')}), list(DISTINCT {_COUPON.format('b')}))))"

HLL_MACROS: tuple[str, ...] = (
    # the distinct coupons, or refused; the estimate's UDF is called by the rewrite (a macro's body may not
    # name a UDF outside CASE WHEN: DuckDB looks it up when the macro is created, before the UDFs exist)
    _macro(
        "idu_hll_coupon_count(x, most)",
        f"CASE WHEN {_COUNT} > most THEN error('[IDU_REFUSED] hll_sketch_estimate(hll_sketch_agg(...)) of ' || "
        f"{_COUNT} || ' distinct coupons: beyond ' || most || ' (its lgConfigK''s limit), Spark''s sketch is "
        "in HLL mode, whose estimate depends on how its partitions'' sketches merge. Use count(DISTINCT ...) for "
        f"the exact count') ELSE {_COUNT} END",
    ),
    # hll_union: each sketch's coupons, and their union's, within the limits of their lgConfigK
    _macro(
        "idu_hll_union_count(a, b, most_a, most_b)",
        f"CASE WHEN {_COUNT_A} > most_a OR {_COUNT_B} > most_b OR {_UNION} > CASE "
        f"WHEN {_COUNT_A} = 0 THEN most_b WHEN {_COUNT_B} = 0 THEN most_a ELSE "
        "least(most_a, most_b) END THEN error('[IDU_REFUSED] hll_sketch_estimate(hll_union(...)): a sketch or "
        "their union holds more distinct coupons than its lgConfigK keeps in coupon mode; beyond, Spark''s HLL "
        "estimate depends on how its partitions'' sketches merge. Use count(DISTINCT ...) for the exact count') "
        f"ELSE {_UNION} END",
    ),
)
