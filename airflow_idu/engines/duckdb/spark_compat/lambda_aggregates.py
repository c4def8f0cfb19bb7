"""Aggregates inside a lambda are computed outside it: DuckDB cannot plan a lambda in an
aggregate that sits in a lambda.

Spark allows an aggregate of the group inside a higher-order function, as in the histogram
``transform(keys, k -> size(filter(collect_list(v % 8), x -> x = k)))``. DuckDB plans that only
when the aggregate's argument holds no lambda of its own; otherwise it fails with "INTERNAL Error:
BoundReferenceExpression should not be used here yet!". Every macro that binds its arguments once
(:mod:`.binding`) is such a lambda, so ``collect_list(v % 8)`` inside a lambda fails.

An aggregate of the group has one value per group, wherever it is written, so it can be computed
before the lambda and passed in. The outermost call that takes a lambda, ``F(...)``, becomes

    list_extract(list_transform([{'a1': AGG1, 'a2': AGG2}], lambda idu_agg: F'(...)), 1)

where ``F'`` reads ``idu_agg.a1`` in place of ``AGG1``. The values are unchanged: each aggregate is
still computed once per group over the same rows. An aggregate that names a lambda's own variable
is not an aggregate of the group (Spark rejects it); it is left for DuckDB to reject.
"""

from __future__ import annotations

import functools
import re

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated

__all__ = ["aggregate_macros", "hoist_lambda_aggregates"]

_PARAMETER = "idu_agg"
_MACRO = re.compile(r"CREATE OR REPLACE MACRO\s+(\w+)\s*\(", re.I)


@functools.cache
def aggregate_macros() -> frozenset[str]:
    """Names of the compatibility macros that aggregate (their calls are aggregates too)."""
    from airflow_idu.engines.duckdb.spark_compat.binding import is_aggregate_macro
    from airflow_idu.engines.duckdb.spark_compat.macro_catalog import UNBOUND_MACROS

    names = (_MACRO.match(d) for d in UNBOUND_MACROS if is_aggregate_macro(d))
    return frozenset(m.group(1).lower() for m in names if m is not None)


def _is_aggregate(node: exp.Expr) -> bool:
    if isinstance(node, exp.AggFunc):
        return True
    return isinstance(node, exp.Anonymous) and node.name.lower() in aggregate_macros()


def _unit(aggregate: exp.Expr) -> exp.Expr:
    """The node that stands for the aggregate's value: with its FILTER clause, if it has one."""
    return aggregate.parent if isinstance(aggregate.parent, exp.Filter) else aggregate


def _scope(node: exp.Expr) -> exp.Expr | None:
    return node.find_ancestor(exp.Select, exp.Subquery)


def _outermost_lambda(node: exp.Expr) -> exp.Lambda | None:
    outermost = None
    ancestor = node.parent
    while ancestor is not None and not isinstance(ancestor, exp.Select | exp.Subquery):
        if isinstance(ancestor, exp.Lambda):
            outermost = ancestor
        ancestor = ancestor.parent
    return outermost


def _lambda_variables(node: exp.Expr) -> set[str]:
    names: set[str] = set()
    ancestor = node.parent
    while ancestor is not None:
        if isinstance(ancestor, exp.Lambda):
            names.update(p.name.lower() for p in ancestor.expressions)
        ancestor = ancestor.parent
    return names


def _of_the_group(unit: exp.Expr) -> bool:
    """The aggregate reads only the group's rows, not a lambda variable around it."""
    variables = _lambda_variables(unit)
    # sqlglot parses a lambda variable in the body as a bare Identifier (or a Column)
    names = (
        n for n in unit.find_all(exp.Column, exp.Identifier)
        if (isinstance(n, exp.Column) and not n.table) or (isinstance(n, exp.Identifier) and not isinstance(n.parent, exp.Column))
    )  # fmt: skip
    return not any(n.name.lower() in variables for n in names)


def _hoistable(node: exp.Expr) -> bool:
    if not _is_aggregate(node) or isinstance(node.parent, exp.Window):
        return False
    if node.find_ancestor(exp.AggFunc) is not None:
        return False  # an argument of another aggregate: moves with it
    return _outermost_lambda(node) is not None and _of_the_group(_unit(node))


def _calls(tree: exp.Expr) -> list[exp.Expr]:
    """The calls to hoist at, found in one walk: for each hoistable aggregate, the call that takes its
    outermost lambda; only the topmost of them (hoisting one carries every call inside it along)."""
    calls: dict[int, exp.Expr] = {}
    for node in tree.find_all(exp.AggFunc, exp.Anonymous):
        if _hoistable(node):
            outer = _outermost_lambda(node)
            assert outer is not None and outer.parent is not None  # _hoistable checked it
            calls.setdefault(id(outer.parent), outer.parent)
    return [c for c in calls.values() if not any(id(a) in calls for a in _ancestors(c))]


def _ancestors(node: exp.Expr) -> list[exp.Expr]:
    found, ancestor = [], node.parent
    while ancestor is not None:
        found.append(ancestor)
        ancestor = ancestor.parent
    return found


def _hoist_at(tree: exp.Expr, call: exp.Expr) -> exp.Expr:
    """Hoist the aggregates of ``call`` (a call taking an outermost lambda); the new root."""
    scope = _scope(call)
    units = [
        _unit(n) for n in call.find_all(exp.AggFunc, exp.Anonymous)
        if _is_aggregate(n) and n.find_ancestor(exp.AggFunc) is None and _scope(n) is scope
        and not isinstance(n.parent, exp.Window) and _of_the_group(_unit(n))
    ]  # fmt: skip
    fields = []
    body = call.copy()
    # the copy's nodes in the same walk order as the original's: match them by position
    position = {id(node): i for i, node in enumerate(call.walk())}
    copies = list(body.walk())
    for index, unit in enumerate(units, start=1):
        name = f"a{index}"
        fields.append(exp.PropertyEQ(this=exp.to_identifier(name), expression=unit.copy()))
        copied = copies[position[id(unit)]]
        copied.replace(exp.column(name, table=_PARAMETER))
    hoisted = exp.Anonymous(
        this="LIST_EXTRACT",
        expressions=[
            exp.Anonymous(
                this="LIST_TRANSFORM",
                expressions=[
                    exp.Array(expressions=[exp.Struct(expressions=fields)]),
                    exp.Lambda(this=body, expressions=[exp.to_identifier(_PARAMETER)]),
                ],
            ),
            exp.Literal.number(1),
        ],
    )
    if call is tree:
        return hoisted
    call.replace(hoisted)
    return tree


@gated(types=(exp.Lambda,))
def hoist_lambda_aggregates(tree: exp.Expr) -> exp.Expr:
    """``tree`` with every aggregate of the group that sits in a lambda computed outside it (a
    statement without a lambda never gets here: the gate above skips it)."""
    for call in _calls(tree):  # disjoint subtrees, so one pass hoists them all
        tree = _hoist_at(tree, call)
    return tree
