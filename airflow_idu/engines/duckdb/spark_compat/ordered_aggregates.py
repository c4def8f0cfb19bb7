"""Aggregates whose Spark result is defined by the values alone: regressions' averages, ordered-set
aggregates, ``listagg`` in a stated order, ``mode`` with its ties broken.

* ``regr_avgx(y, x)`` / ``regr_avgy(y, x)``: Spark's ``Average`` of ``x`` (``y``) over the rows where
  both are non-NULL, so the engine's exact ``avg`` of that;
* ``percentile_cont(p) WITHIN GROUP (ORDER BY x)``: Spark's ``Percentile`` (the same as
  ``percentile(x, p)``, whose macro it uses); ``percentile_disc(p) ...``: the first value whose
  rank reaches ``ceil(n * p)`` as a DOUBLE, DuckDB's ``quantile_disc`` (compared with Spark for every
  group size up to 30 and 28 fractions). A literal ``p`` in [0, 1], ascending order only; of a DOUBLE
  refused when run (-0.0 and NaN are ordered differently);
* ``listagg``/``string_agg(x[, delimiter]) WITHIN GROUP (ORDER BY x [DESC])``: ordered by the
  aggregated value itself (equal values are equal text, so ties cannot change the result), NULLs
  skipped, the delimiter a string literal (Spark's default: none). Any other order, or none, is
  Spark's partitions' order: refused; so is DISTINCT. A BINARY value is refused when run;
* ``mode(x, true)`` and ``mode() WITHIN GROUP (ORDER BY x [DESC])``: the most frequent value, ties
  to the lowest (highest); plain ``mode(x)``: refused when run where two values tie (Spark's pick
  is its hash map's order). NULLs are not counted; of a DOUBLE refused when run.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import replace_each
from airflow_idu.engines.duckdb.spark_compat.types import Kind, static_kind

__all__ = [
    "ANONYMOUS",
    "CHECKS",
    "FUNCTIONS",
    "ORDERED_AGGREGATE_MACROS",
    "anonymous_check",
    "ordered_aggregates",
]

ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {}


def anonymous_check(node: exp.Anonymous) -> str | None:
    return None


def _order(node: exp.Expr | None) -> tuple[exp.Expr, bool] | None:
    """The one ORDER BY key of a WITHIN GROUP and whether it is descending."""
    keys = node.expressions if isinstance(node, exp.Order) else []
    if len(keys) != 1 or not isinstance(keys[0], exp.Ordered):
        return None
    return keys[0].this, bool(keys[0].args.get("desc"))


def _fraction(node: exp.Expr | None) -> bool:
    return isinstance(node, exp.Literal) and not node.is_string and 0 <= float(node.this) <= 1


def _within_group(node: exp.Expr) -> str | None:
    inner, order = node.this, _order(node.expression)
    if isinstance(node.parent, exp.Window) or order is None:
        return "WITHIN GROUP with other than one ORDER BY key, or as a window function"
    if isinstance(inner, exp.PercentileCont | exp.PercentileDisc):
        if order[1]:
            return "percentile_cont/percentile_disc in descending order"
        return None if _fraction(inner.this) else "percentile_cont/percentile_disc of a non-literal fraction"
    if isinstance(inner, exp.Mode) and inner.this is None:
        return None
    return "WITHIN GROUP of an aggregate other than percentile_cont, percentile_disc, mode and listagg"


def _group_concat(node: exp.Expr) -> str | None:
    separator = node.args.get("separator")
    if separator is not None and not (isinstance(separator, exp.Literal) and separator.is_string):
        return "listagg/string_agg with a delimiter that is not a string literal"
    body = node.this
    order = _order(body) if isinstance(body, exp.Order) else None
    value = body.this if isinstance(body, exp.Order) else None
    if isinstance(value, exp.Distinct):
        return "listagg/string_agg of DISTINCT values (DuckDB's binder rejects the checked form)"
    if order is None or value is None or order[0] != value:
        return (
            "listagg/string_agg without WITHIN GROUP (ORDER BY the aggregated value): Spark's order of "
            "the values is its partitions' order"
        )
    return "listagg/string_agg as a window function" if isinstance(node.parent, exp.Window) else None


def _mode(node: exp.Expr) -> str | None:
    flag = node.args.get("deterministic")
    if flag is not None and not isinstance(flag, exp.Boolean):
        return "mode with a deterministic flag that is not a literal"
    return "mode as a window function" if isinstance(node.parent, exp.Window) else None


CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {
    exp.RegrAvgx: lambda n: "regr_avgx as a window function" if isinstance(n.parent, exp.Window) else None,
    exp.RegrAvgy: lambda n: "regr_avgy as a window function" if isinstance(n.parent, exp.Window) else None,
    exp.WithinGroup: _within_group,
    exp.PercentileCont: lambda n: None if isinstance(n.parent, exp.WithinGroup) else "percentile_cont",
    exp.PercentileDisc: lambda n: None if isinstance(n.parent, exp.WithinGroup) else "percentile_disc",
    exp.GroupConcat: _group_concat,
    exp.Mode: _mode,
}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset(CHECKS)


def _both(node: exp.Expr, value: exp.Expr) -> exp.Expr:
    present = exp.and_(
        exp.Not(this=exp.Is(this=node.this.copy(), expression=exp.Null())),
        exp.Not(this=exp.Is(this=node.expression.copy(), expression=exp.Null())),
    )
    return exp.Avg(this=exp.Case(ifs=[exp.If(this=present, true=value.copy())]))


def _ordered(node: exp.Expr) -> exp.Expr:
    inner = node.this
    key, desc = _order(node.expression) or (exp.Null(), False)
    if isinstance(inner, exp.PercentileCont):
        return _call("idu_percentile", key.copy(), inner.this.copy())
    if isinstance(inner, exp.PercentileDisc):
        return _call("idu_percentile_disc", key.copy(), inner.this.copy())
    return _call("idu_mode", key.copy(), exp.Literal.string("high" if desc else "low"))


def _listagg(node: exp.Expr) -> exp.Expr:
    body = node.this.copy()
    value = body.this
    if (
        static_kind(value) is not Kind.STRING
    ):  # the value and its ORDER BY key alike (DISTINCT needs them equal)
        key = body.expressions[0].this
        for part in (value, key):
            part.replace(_call("idu_text_only", part.copy(), exp.Literal.string("listagg of a BINARY value")))
    separator = node.args.get("separator")
    return exp.GroupConcat(this=body, separator=separator.copy() if separator else exp.Literal.string(""))


def _mode_call(node: exp.Expr) -> exp.Expr:
    flag = node.args.get("deterministic")
    how = "low" if isinstance(flag, exp.Boolean) and flag.this else "unique"
    return _call("idu_mode", node.this.copy(), exp.Literal.string(how))


_BUILD: dict[type[exp.Expr], Callable[[exp.Expr], exp.Expr]] = {
    exp.RegrAvgx: lambda n: _both(n, n.expression),
    exp.RegrAvgy: lambda n: _both(n, n.this),
    exp.WithinGroup: _ordered,
    exp.GroupConcat: _listagg,
    exp.Mode: _mode_call,
}


@gated(types=_BUILD)
def ordered_aggregates(tree: exp.Expr) -> exp.Expr:
    """Rewrite the aggregates above (innermost first), before the other rewrites see them."""
    nodes = [
        n for n in tree.find_all(*_BUILD) if type(n) in _BUILD and not isinstance(n.parent, exp.WithinGroup)
    ]
    return replace_each(tree, reversed(nodes), lambda n: _BUILD[type(n)](n))


_NO_DOUBLE = (
    "CASE WHEN typeof(any_value(x)) IN ('DOUBLE', 'FLOAT') THEN error('[IDU_REFUSED] {what} of a DOUBLE (Spark and "
    "DuckDB order and count -0.0 and NaN differently): CAST it to DECIMAL') ELSE {body} END"
)

ORDERED_AGGREGATE_MACROS: tuple[str, ...] = (
    _macro(
        "idu_percentile_disc(x, p)",
        _NO_DOUBLE.format(what="percentile_disc", body="CAST(quantile_disc(x, p) AS DOUBLE)"),
    ),
    # the most frequent non-NULL value: ties to the lowest or highest, or refused
    _macro(
        "idu_mode(x, how)",
        _NO_DOUBLE.format(
            what="mode",
            body="list_transform([map_entries(histogram(x))], lambda idu_h: list_transform([list_transform("
            "list_filter(idu_h, lambda idu_e: idu_e.value = list_max(list_transform(idu_h, lambda idu_c: "
            "idu_c.value))), lambda idu_e: idu_e.key)], lambda idu_k: CASE WHEN len(idu_k) > 1 AND how = 'unique' "
            "THEN error('[IDU_REFUSED] mode where values tie (Spark picks one by its hash map''s order): use "
            "mode(x, true)') WHEN how = 'high' THEN list_max(idu_k) ELSE list_min(idu_k) END)[1])[1]",
        ),
    ),
)
