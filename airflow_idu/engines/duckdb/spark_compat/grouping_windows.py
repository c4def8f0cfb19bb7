"""Window and grouping functions DuckDB spells as Spark does, with Spark's result types.

* ``cume_dist()`` and ``nth_value(x, n)`` (a positive integer literal ``n``) over a window: DuckDB's
  functions of the same name, with the same default frame (``RANGE BETWEEN UNBOUNDED PRECEDING AND
  CURRENT ROW`` under an ``ORDER BY``, the whole partition without one);
* ``grouping(c)`` is Spark's TINYINT (DuckDB's BIGINT); ``grouping_id(c, ...)`` is BIGINT in both, its
  bits in the same order; ``grouping_id()`` names every grouping column of Spark's single ``CUBE`` or
  ``ROLLUP``. Both raise on Spark without grouping sets (a plain ``GROUP BY``), where DuckDB gives 0:
  refused there.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import replace_each

__all__ = ["ANONYMOUS", "CHECKS", "FUNCTIONS", "anonymous_check", "grouping_windows"]

FUNCTIONS: frozenset[type[exp.Expr]] = frozenset({exp.CumeDist, exp.NthValue, exp.GroupingId})
ANONYMOUS: frozenset[str] = frozenset()
_SETS = (exp.Cube, exp.Rollup, exp.GroupingSets)


def _group(node: exp.Expr) -> exp.Group | None:
    select = node.find_ancestor(exp.Select)
    group = select.args.get("group") if select is not None else None
    return group if isinstance(group, exp.Group) else None


def _items(group: exp.Group) -> list[exp.Expr]:
    """The GROUP BY's items, its CUBE/ROLLUP/GROUPING SETS among them (sqlglot keeps either place)."""
    extra = [x for k in ("grouping_sets", "cube", "rollup") for x in (group.args.get(k) or [])]
    return [*group.expressions, *extra]


def _grouping_columns(node: exp.Expr) -> list[exp.Expr] | None:
    """The grouping columns of the enclosing ``GROUP BY CUBE(...)``/``ROLLUP(...)``, or None."""
    group = _group(node)
    items = _items(group) if group is not None else []
    if len(items) != 1 or not isinstance(items[0], exp.Cube | exp.Rollup):
        return None
    return list(items[0].expressions)


def _grouping_check(node: exp.Expr) -> str | None:
    group = _group(node)
    if group is None or not any(isinstance(x, _SETS) for x in _items(group)):
        return "grouping()/grouping_id() without CUBE, ROLLUP or GROUPING SETS (Spark raises)"
    if isinstance(node, exp.GroupingId) and not node.expressions and _grouping_columns(node) is None:
        return "grouping_id() without arguments other than under a single CUBE(...) or ROLLUP(...)"
    return None


def _nth_value_check(node: exp.Expr) -> str | None:
    offset = node.args.get("offset")
    if not (isinstance(offset, exp.Literal) and not offset.is_string and offset.this.isdigit()):
        return "nth_value with an offset that is not a positive integer literal"
    if int(offset.this) < 1 or any(node.args.get(k) is not None for k in ("from_first", "from_last")):
        return "nth_value with an offset below 1 or FROM FIRST/LAST"
    if not isinstance(node.parent, exp.Window):
        return "nth_value with IGNORE NULLS or a third argument"
    return None


CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {
    exp.Grouping: _grouping_check,
    exp.GroupingId: _grouping_check,
    exp.NthValue: _nth_value_check,
}


def anonymous_check(node: exp.Anonymous) -> str | None:
    return None


def _build(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Grouping):
        return exp.Cast(this=node.copy(), to=exp.DataType.build("TINYINT"))
    columns = [e.copy() for e in (node.expressions or _grouping_columns(node) or [])]
    return exp.Cast(this=exp.GroupingId(expressions=columns), to=exp.DataType.build("BIGINT"))


@gated(types=(exp.Grouping, exp.GroupingId))
def grouping_windows(tree: exp.Expr) -> exp.Expr:
    """grouping()/grouping_id() with Spark's types and arguments."""
    return replace_each(tree, list(tree.find_all(exp.Grouping, exp.GroupingId)), _build)
