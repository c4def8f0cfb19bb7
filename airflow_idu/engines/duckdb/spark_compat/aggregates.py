"""Spark aggregates the embedded engine gives exactly, as constructs the rewrites make exact or macros.

* ``try_avg`` is ``avg`` (which refuses the sums that could lose bits or overflow); ``try_sum`` is
  ``sum`` with NULL for a BIGINT overflow;
* ``any(b)`` is ``bool_or(b)`` (``x = ANY (subquery)`` is not an aggregate and stays refused);
* ``regr_count(y, x)``: the rows where both are non-NULL, a BIGINT;
* ``median(x)``, ``percentile(x, p)`` with a literal ``p`` in [0, 1]: Spark's exact percentile (the
  sorted non-NULL values, linear interpolation ``(hi - pos) * lower + (pos - lo) * higher`` in
  DOUBLE, as Spark's ``Percentile`` computes it), n log n; of integers and DECIMALs only (a DOUBLE's
  -0.0 and NaN are ordered and counted differently by the two engines: refused when run).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import replace_each

__all__ = ["AGGREGATE_MACROS", "ANONYMOUS", "CHECKS", "FUNCTIONS", "aggregates", "anonymous_check"]

FUNCTIONS: frozenset[type[exp.Expr]] = frozenset({
    exp.Any, exp.RegrCount, exp.Median, exp.Quantile,
})  # fmt: skip

ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {
    "try_avg": lambda a: exp.Avg(this=a[0]),
    "try_sum": lambda a: _call("idu_try_sum", a[0]),
}


def anonymous_check(node: exp.Anonymous) -> str | None:
    if isinstance(node.parent, exp.Window):
        return f"{node.name.lower()}(...) OVER (a window of DECIMALs or of large sums differs)"
    return (
        None if len(node.expressions) == 1 else f"{node.name.lower()} with {len(node.expressions)} arguments"
    )


_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Binary)


def _any_check(node: exp.Expr) -> str | None:
    if isinstance(node.parent, _COMPARISONS) or isinstance(node.this, exp.Subquery | exp.Select):
        return "ANY (subquery) comparisons"
    return None


def _fraction(node: exp.Expr | None) -> float | None:
    if isinstance(node, exp.Literal) and not node.is_string:
        value = float(node.this)
        return value if 0 <= value <= 1 else None
    return None


def _percentile_check(node: exp.Expr) -> str | None:
    if isinstance(node.parent, exp.Window):
        return "percentile/median as a window function"
    fraction = node.args.get("quantile")
    fractions = fraction.expressions if isinstance(fraction, exp.Array) else [fraction]
    if isinstance(node, exp.Quantile) and (not fractions or any(_fraction(f) is None for f in fractions)):
        return "percentile with other than literal percentages between 0 and 1"
    if isinstance(node.this, exp.Distinct):
        return "percentile/median of DISTINCT values"
    return None


CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {
    exp.Any: _any_check,
    exp.Median: _percentile_check,
    exp.Quantile: _percentile_check,
}


def _percentile(node: exp.Expr) -> exp.Expr:
    fraction = node.args.get("quantile") if isinstance(node, exp.Quantile) else exp.Literal.number("0.5")
    assert fraction is not None
    if isinstance(fraction, exp.Array):
        return _call("idu_percentiles", node.this.copy(), fraction.copy())
    return _call("idu_percentile", node.this.copy(), fraction.copy())


_BUILD: dict[type[exp.Expr], Callable[[exp.Expr], exp.Expr]] = {
    exp.Any: lambda n: exp.LogicalOr(this=n.this.copy()),
    exp.RegrCount: lambda n: _call("idu_regr_count", n.this.copy(), n.expression.copy()),
    exp.Median: _percentile,
    exp.Quantile: _percentile,
}


def _build(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Anonymous):
        return ANONYMOUS[node.name.lower()]([a.copy() for a in node.expressions])
    return _BUILD[type(node)](node)


@gated(types=_BUILD, names=ANONYMOUS)
def aggregates(tree: exp.Expr) -> exp.Expr:
    nodes = [
        n for n in tree.find_all(exp.Anonymous, *_BUILD)
        if type(n) in _BUILD or (isinstance(n, exp.Anonymous) and n.name.lower() in ANONYMOUS)
    ]  # fmt: skip
    return replace_each(tree, reversed(nodes), _build)


AGGREGATE_MACROS: tuple[str, ...] = (
    # sum with NULL where BIGINT overflows; where partial sums could overflow in some row order (Spark's
    # result then depends on it) the group is refused
    _macro(
        "idu_try_sum(x)",
        "CASE WHEN typeof(any_value(x)) LIKE 'DECIMAL%' THEN error('[IDU_REFUSED] try_sum of a DECIMAL "
        "(Spark widens the DECIMAL result type unlike DuckDB)') "
        "WHEN typeof(any_value(x)) IN ('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT') "
        "AND sum(abs(CAST(x AS HUGEINT))) > CAST(9223372036854775807 AS HUGEINT) THEN "
        "CASE WHEN sum(x) NOT BETWEEN -9223372036854775808 AND 9223372036854775807 THEN NULL ELSE "
        "error('[IDU_REFUSED] try_sum of integers whose partial sums may overflow BIGINT (Spark gives NULL "
        "or not by row order)') END ELSE sum(x) END",
    ),
    _macro("idu_regr_count(y, x)", "count(CASE WHEN y IS NOT NULL AND x IS NOT NULL THEN 1 END)"),
    # Spark's Percentile.getPercentile over the sorted values s (1-based here)
    _macro(
        "idu_interpolate(s, pos)",
        "CASE WHEN floor(pos) = ceil(pos) OR s[CAST(floor(pos) AS BIGINT) + 1] = s[CAST(ceil(pos) AS BIGINT) + 1] "
        "THEN CAST(s[CAST(floor(pos) AS BIGINT) + 1] AS DOUBLE) "
        "ELSE (ceil(pos) - pos) * CAST(s[CAST(floor(pos) AS BIGINT) + 1] AS DOUBLE) "
        "+ (pos - floor(pos)) * CAST(s[CAST(ceil(pos) AS BIGINT) + 1] AS DOUBLE) END",
    ),
    _macro(
        "idu_percentile(x, p)",
        "CASE WHEN typeof(any_value(x)) IN ('DOUBLE', 'FLOAT') THEN error('[IDU_REFUSED] percentile/median "
        "of a DOUBLE (Spark and DuckDB order and count -0.0 and NaN differently): CAST it to DECIMAL') ELSE "
        "list_transform([list_sort(list(x) FILTER (WHERE x IS NOT NULL))], lambda idu_s: CASE WHEN len(idu_s) = 0 "
        "THEN NULL ELSE idu_interpolate(idu_s, CAST(len(idu_s) - 1 AS DOUBLE) * CAST(p AS DOUBLE)) END)[1] END",
    ),
    _macro(
        "idu_percentiles(x, ps)",
        "CASE WHEN typeof(any_value(x)) IN ('DOUBLE', 'FLOAT') THEN error('[IDU_REFUSED] percentile/median "
        "of a DOUBLE (Spark and DuckDB order and count -0.0 and NaN differently): CAST it to DECIMAL') ELSE "
        "list_transform([list_sort(list(x) FILTER (WHERE x IS NOT NULL))], lambda idu_s: CASE WHEN idu_s IS NULL "
        "OR len(idu_s) = 0 THEN NULL ELSE list_transform(ps, lambda idu_q: idu_interpolate(idu_s, CAST(len(idu_s) - 1 AS DOUBLE) * "
        "CAST(idu_q AS DOUBLE))) END)[1] END",
    ),
)
