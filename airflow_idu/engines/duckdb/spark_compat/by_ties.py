"""``max_by(v, k)`` / ``min_by(v, k)`` (aggregate or window) with Spark's NULLs and a guard over ties.

Spark ignores the rows whose ``k`` is NULL and returns ``v`` of the row with the largest (smallest)
``k``, a NULL ``v`` included (DuckDB's ``arg_max`` skips rows with a NULL ``v``: ``arg_max_null``
does not); no row with a ``k``: NULL. ``k`` is compared by its sort key; the fields of a ``struct(...)``
or ``named_struct(...)`` written as ``k`` each NULLS FIRST, as Spark orders a struct's NULL fields;
any other array, struct or map with a NULL inside is refused when run (Spark orders that NULL first,
DuckDB's sort keys last).

Where rows tie on the extreme ``k`` but differ in ``v``, Spark keeps the first its partitions deliver
(its docs: non-deterministic); DuckDB's pick can differ. So, in the same pass (no sort), the sort keys
of the smallest and the largest ``v`` among the rows at the extreme ``k`` are computed; where they
differ (NULL against a value counts) the query raises ``[IDU_REFUSED]``. Sort keys make ``-0.0`` and
``0.0`` equal (and every NaN one): tied rows differing only so are not detected. No guard where tied
rows cannot differ in ``v``: ``v`` is ``k``, ``v`` is a field of a ``struct(...)`` ``k`` (the
tie-breaker idiom ``max_by(v, struct(k, v))``), ``v`` is a column the SELECT groups by (plain GROUP
BY) or, as a window function, a column of its PARTITION BY. DISTINCT changes nothing (the same values
tie) and is dropped. ``max_by(v, k, n)`` (Spark 4.2, an array of the top n) is refused.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import call, macro

__all__ = ["ANONYMOUS", "BY_TIES_MACROS", "CHECKS", "FUNCTIONS", "anonymous_check", "by_ties"]

_KEY_ORDER = "ASC NULLS FIRST"  # of k's parts: Spark's NULL struct fields sort first
# v's key ascending with NULL last, descending with NULL first: the two orders are exact reverses, so
# the greatest key of each differs unless every tied v has the same key
_UP, _DOWN = "ASC NULLS LAST", "DESC NULLS FIRST"

BY_TIES_MACROS: tuple[str, ...] = (
    # an array, struct or map with a NULL inside: Spark orders the NULL first, DuckDB's sort keys last
    # (typeof folds to a constant, so other types pay nothing; a 'NULL' string inside also refuses)
    macro(
        "idu_by_key(x, what)",
        "CASE WHEN (typeof(x) LIKE '%]' OR typeof(x) LIKE 'STRUCT(%' OR typeof(x) LIKE 'MAP(%') "
        "AND contains(format('{}', x), 'NULL') THEN error(what) ELSE x END",
    ),
)


def _name(node: exp.Expr) -> str:
    return "max_by" if isinstance(node, exp.ArgMax) else "min_by"


def _check(node: exp.Expr) -> str | None:
    if node.args.get("count") is not None:
        return f"{_name(node)}(x, y, n) with a count: which of the rows tied on y fill the array is Spark's partitions' order"
    return None


FUNCTIONS: frozenset[type[exp.Expr]] = frozenset({exp.ArgMax, exp.ArgMin})
ANONYMOUS: frozenset[str] = frozenset()
CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {exp.ArgMax: _check, exp.ArgMin: _check}


def anonymous_check(node: exp.Anonymous) -> str | None:
    return None


def _value(node: exp.Expr) -> exp.Expr:
    value = node.this
    return value.expressions[0] if isinstance(value, exp.Distinct) else value


def _parts(key: exp.Expr) -> list[exp.Expr]:
    """What ``k`` is ordered by, in order: a struct literal's fields (recursively), else ``k``."""
    if not isinstance(key, exp.Struct):
        return [key]
    fields = [f.expression if isinstance(f, exp.PropertyEQ) else f for f in key.expressions]
    fields = [f.this if isinstance(f, exp.Alias) else f for f in fields]
    return [part for f in fields for part in _parts(f)]


def _same(a: exp.Expr, b: exp.Expr) -> bool:
    if isinstance(a, exp.Column) and isinstance(b, exp.Column):
        # an unqualified name is unambiguous in Spark, so it is the qualified one of the same name
        same_table = not a.table or not b.table or a.table.lower() == b.table.lower()
        return a.name.lower() == b.name.lower() and same_table
    return a.sql() == b.sql()


def _plain_group(select: exp.Select | None) -> list[exp.Expr]:
    group = select.args.get("group") if select is not None else None
    if not isinstance(group, exp.Group) or group.args.get("all"):
        return []
    if any(group.args.get(k) for k in ("grouping_sets", "cube", "rollup")):
        return []
    return list(group.expressions)


def _constant_keys(node: exp.Expr) -> list[exp.Expr]:
    """Columns equal on every row ``node`` reads: its window's PARTITION BY, or the plain GROUP BY."""
    if isinstance(node.parent, exp.Window):
        return list(node.parent.args.get("partition_by") or [])
    return _plain_group(node.find_ancestor(exp.Select))


def unguarded(node: exp.Expr) -> bool:
    """Whether rows tied on ``node``'s extreme ``k`` are sure to share ``v``."""
    value, parts = _value(node), _parts(node.expression)
    if any(_same(value, p) for p in parts):
        return True
    return isinstance(value, exp.Column) and any(_same(value, c) for c in _constant_keys(node))


def _nested_null(part: exp.Expr, node: exp.Expr) -> exp.Expr:
    message = (
        f"[IDU_REFUSED] {_name(node)}({_value(node).sql('spark')}, {node.expression.sql('spark')}): an ordering "
        "value with a NULL element or field inside (Spark orders it first, DuckDB last); replace the NULL "
        "with coalesce, or order by a struct(...) of its fields"
    )
    return call("idu_by_key", part.copy(), exp.Literal.string(message))


def _key(node: exp.Expr, value: exp.Expr | None, order: str) -> exp.Expr:
    """The sort key of ``k``'s parts then ``v``; NULL where ``k`` is NULL (Spark skips the row; a
    struct literal is never NULL, whatever its fields)."""
    key, args = node.expression, []
    for part in _parts(key):
        args += [_nested_null(part, node), exp.Literal.string(_KEY_ORDER)]
    if value is not None:
        args += [value.copy(), exp.Literal.string(order)]
    sort_key = call("create_sort_key", *args)
    if isinstance(key, exp.Struct):
        return sort_key
    present = exp.Not(this=exp.Is(this=key.copy(), expression=exp.Null()))
    return exp.Case(ifs=[exp.If(this=present, true=sort_key)])


def _message(node: exp.Expr) -> str:
    name, value, key = _name(node), _value(node).sql("spark"), node.expression.sql("spark")
    return (
        f"[IDU_REFUSED] {name}({value}, {key}) over rows that tie on the ordering value but differ in the "
        f"value returned: Spark's result depends on the order its partitions deliver the rows; add a unique "
        f"tie-breaker to the ordering value, e.g. {name}({value}, struct({key}, {value}))"
    )


def _rewrite(node: exp.Expr) -> exp.Expr:
    window = node.parent if isinstance(node.parent, exp.Window) else None
    function = "arg_max_null" if isinstance(node, exp.ArgMax) else "arg_min_null"
    value = _value(node)

    def aggregate(what: exp.Expr, by: exp.Expr) -> exp.Expr:
        result = call(function, what, by)
        if window is None:
            return result
        over = window.copy()
        over.set("this", result)
        return over

    if unguarded(node):
        return aggregate(value.copy(), _key(node, None, _UP))
    up, down = _key(node, value, _UP), _key(node, value, _DOWN)
    down_key = call("create_sort_key", value.copy(), exp.Literal.string(_DOWN))
    differ = exp.NullSafeNEQ(this=aggregate(down_key.copy(), up), expression=aggregate(down_key, down))
    error = call("error", exp.Literal.string(_message(node)))
    return exp.Case(ifs=[exp.If(this=differ, true=error)], default=aggregate(value.copy(), up.copy()))


@gated(types=(exp.ArgMax, exp.ArgMin))
def by_ties(tree: exp.Expr) -> exp.Expr:
    """Rewrite every max_by/min_by with Spark's NULLs, guarded where tied rows may differ in v."""
    for node in list(tree.find_all(exp.ArgMax, exp.ArgMin)):
        target = node.parent if isinstance(node.parent, exp.Window) else node
        target.replace(_rewrite(node))
    return tree
