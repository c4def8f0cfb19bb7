"""Spark's ``approx_top_k(x[, k[, maxItemsTracked]])`` and ``approx_top_k_estimate(approx_top_k_accumulate(
x[, maxItemsTracked])[, k])`` where the answer is exact.

Spark keeps a DataSketches ``ItemsSketch`` (frequent items) of ``maxMapSize = 2^ceil(log2(ceil(
maxItemsTracked / 0.75)))`` slots (at least 8) per partition, merged by adding each item's count, and
a count of the NULLs. It purges (subtracts an offset from every count) only once more than
``floor(0.75 * maxMapSize)`` distinct items are active: up to that many distinct non-NULL values,
whatever the partitions, every count is exact. The answer is ``getFrequentItems(NO_FALSE_POSITIVES)``
sorted by count, descending, with the NULL count placed after the items of an equal or larger count,
cut to ``k`` entries of ``{item, count}``. Items of equal count come in the order of the sketch's
hash-map slots, which depends on the order the items arrived: a tie between two items that decides
the output's order or membership is refused when run, and so is a group of more distinct values than
the exact range, or FLOATs/DOUBLEs holding both 0.0 and -0.0 (Java's ``Double.equals`` tells them
apart). The accumulated sketch itself (a BINARY in a struct) and ``approx_top_k_combine`` are refused.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import replace_each

__all__ = ["ANONYMOUS", "CHECKS", "FUNCTIONS", "TOP_K_MACROS", "anonymous_check", "exact_items", "top_k"]

_DEFAULT_K, _DEFAULT_TRACKED, _MOST_TRACKED = 5, 10000, 1000000
ANONYMOUS: frozenset[str] = frozenset()
SKETCH = (
    "the accumulated sketch's bytes list the items in the order of its hash map's slots, which depends "
    "on the order the rows arrived; use approx_top_k(...) or approx_top_k_estimate(approx_top_k_accumulate(...))"
)


def exact_items(tracked: int) -> int:
    """The most distinct items Spark's ItemsSketch for ``tracked`` counts exactly (before a purge)."""
    ratio = math.log(math.ceil(tracked / 0.75)) / math.log(2.0)
    # Java's Math.log may round the ratio to the other side of an integer: take the smaller map then
    lg = round(ratio) if abs(ratio - round(ratio)) < 1e-9 else math.ceil(ratio)
    return int(0.75 * max(1 << lg, 8))


def _int(node: exp.Expr | None, default: int) -> int | None:
    if node is None:
        return default
    if isinstance(node, exp.Literal) and not node.is_string and node.this.isdigit():
        return int(node.this)
    return None


def _shape(k_node: exp.Expr | None, tracked_node: exp.Expr | None) -> tuple[int, int] | str:
    k, tracked = _int(k_node, _DEFAULT_K), _int(tracked_node, _DEFAULT_TRACKED)
    if k is None or tracked is None or not 1 <= tracked <= _MOST_TRACKED or not 1 <= k <= tracked:
        return "approx_top_k with k and maxItemsTracked other than integer literals, 1 <= k <= maxItemsTracked <= 1000000"
    return k, tracked


def _top_k_check(node: exp.Expr) -> str | None:
    if isinstance(node.parent, exp.Window):
        return "approx_top_k as a window function"
    if isinstance(node.this, exp.Distinct):
        return "approx_top_k of DISTINCT values"
    found = _shape(node.args.get("expression"), node.args.get("counters"))
    return found if isinstance(found, str) else None


def _estimate_check(node: exp.Expr) -> str | None:
    sketch = node.this
    if isinstance(sketch, exp.ApproxTopKCombine):
        return (
            "approx_top_k_estimate(approx_top_k_combine(...)) of stored states: the engine does not read "
            "DataSketches' ItemsSketch bytes (each item type's own serialization; the answer's item type is the "
            "type of the state struct's itemDataType field); use approx_top_k(...) over the values"
        )
    if not isinstance(sketch, exp.ApproxTopKAccumulate):
        return "approx_top_k_estimate of other than approx_top_k_accumulate(...) (a stored sketch)"
    if isinstance(sketch.this, exp.Distinct):
        return "approx_top_k_accumulate of DISTINCT values"
    found = _shape(node.args.get("expression"), sketch.args.get("expression"))
    return found if isinstance(found, str) else None


def _accumulate_check(node: exp.Expr) -> str | None:
    return None if isinstance(node.parent, exp.ApproxTopKEstimate) else f"approx_top_k_accumulate: {SKETCH}"


CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {
    exp.ApproxTopK: _top_k_check,
    exp.ApproxTopKEstimate: _estimate_check,
    exp.ApproxTopKAccumulate: _accumulate_check,
    exp.ApproxTopKCombine: lambda node: f"approx_top_k_combine: {SKETCH}",
}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset(CHECKS)


def anonymous_check(node: exp.Anonymous) -> str | None:
    return None


def _build(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.ApproxTopKEstimate):
        sketch = node.this
        value, found = sketch.this, _shape(node.args.get("expression"), sketch.args.get("expression"))
        name = "approx_top_k_estimate(approx_top_k_accumulate(...))"
    else:
        value, found = node.this, _shape(node.args.get("expression"), node.args.get("counters"))
        name = "approx_top_k"
    assert not isinstance(found, str)  # checked in allowed.py
    k, tracked = found
    limit = exact_items(tracked)
    args = (exp.Literal.number(k), exp.Literal.number(limit), exp.Literal.string(name))
    return _call("idu_approx_top_k", value.copy(), *args)


@gated(types=(exp.ApproxTopK, exp.ApproxTopKEstimate))
def top_k(tree: exp.Expr) -> exp.Expr:
    """Rewrite approx_top_k and approx_top_k_estimate(approx_top_k_accumulate(...)) into the macro below."""
    nodes = [n for n in tree.find_all(exp.ApproxTopK, exp.ApproxTopKEstimate)]
    return replace_each(tree, reversed(nodes), _build)


_REFUSED = "error('[IDU_REFUSED] ' || what || "
# each item {c: count, t: 1, k: item} and the NULLs' {c, t: 0, k: NULL}, by count then items first
_SORTED = (
    "list_reverse_sort(list_concat(list_transform(map_entries(histogram(x)), lambda idu_e: {'c': CAST(idu_e.value "
    "AS BIGINT), 't': 1, 'k': idu_e.key}), CASE WHEN count(*) > count(x) THEN [{'c': count(*) - count(x), 't': 0, "
    "'k': NULL}] ELSE [] END))"
)

TOP_K_MACROS: tuple[str, ...] = (
    # the first k entries, or refused where two items of the first k + 1 share a count
    _macro(
        "idu_top_k_pick(s, k, what)",
        "list_transform([list_transform(list_filter(s[1:k + 1], lambda idu_e: idu_e.t = 1), lambda idu_e: idu_e.c)], "
        f"lambda idu_c: CASE WHEN len(list_distinct(idu_c)) < len(idu_c) THEN {_REFUSED}': items tied at a count "
        "among the first k + 1: Spark orders them by its hash map''s slots, which depend on the order the rows "
        "arrived. Use count(*) ... GROUP BY ... ORDER BY count(*) DESC, x LIMIT k for an ordered top k') ELSE "
        "list_transform(s[1:k], lambda idu_e: {'item': idu_e.k, 'count': idu_e.c}) END)[1]",
    ),
    _macro(
        "idu_approx_top_k(x, k, most, what)",
        f"CASE WHEN count(DISTINCT x) > most THEN {_REFUSED}' over ' || count(DISTINCT x) || ' distinct values: "
        "beyond ' || most || ', Spark''s sketch purges its counts, and its answer depends on its partitions. Use "
        "count(*) ... GROUP BY for exact counts, or a larger maxItemsTracked') WHEN bool_or(idu_pa_mark(x) = '-0') "
        f"AND bool_or(idu_pa_mark(x) = '+0') THEN {_REFUSED}' of both 0.0 and -0.0 (two items on Spark, one here)') "
        f"ELSE idu_top_k_pick({_SORTED}, k, what) END",
    ),
)
