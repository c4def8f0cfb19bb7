"""Decimal ``+``, ``-`` and ``*`` whose Spark result would lose scale: refused when run.

Spark types ``a + b`` on DECIMALs as ``DECIMAL(max(p1-s1, p2-s2) + max(s1, s2) + 1, max(s1, s2))``
and ``a * b`` as ``DECIMAL(p1 + p2 + 1, s1 + s2)``; above precision 38 it keeps the integer digits
and cuts the scale to ``max(38 - integer digits, min(scale, 6))``, rounding the value
(``DecimalPrecision``, ``spark.sql.decimalOperations.allowPrecisionLoss``, on by default). DuckDB caps
the precision at 38 and keeps every decimal, so ``DECIMAL(38,18) + DECIMAL(38,18)`` gave 18 decimals
where Spark gives 17, silently. DuckDB's result type tells which trees may differ: Spark cuts a scale
only where DuckDB's precision reached 38, and never below 6, so a result typed ``DECIMAL(38, s)`` with
``s > 6`` is refused; one with ``s <= 6`` or a lower precision has Spark's value. (At exactly 38
digits Spark keeps the scale; the check cannot see the operands without writing them twice, so that
case is refused too.)

The check sits on each arithmetic tree's top node only (a scale never shrinks going up through
``+``, ``-`` and ``*``) and reads the tree's type with ``typeof``, which DuckDB folds to a constant
when it binds: no run-time cost. ``%`` is a boundary (Spark's ``%`` never exceeds 38 digits), so
its operands are checked as trees of their own. A ``GROUP BY`` key is checked in ``WHERE`` instead,
so that the select list's copies of it still match it. The text grows with the tree's size times
how often arithmetic and functions alternate in it (``abs(abs(k + 1) + 1) + 1``: each tree's copy
holds the trees inside it): linear for a chain of any length, quadratic only in that nesting depth,
which sqlglot's parser bounds (it fails beyond about 40 levels; at 40, 8,760 characters, 0.08 s).
"""

from __future__ import annotations

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.exact import MUL
from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import call, group_of, macro

__all__ = ["DECIMAL_SCALE_MACROS", "decimal_scales"]

_MACRO = "idu_decimal_scale"

# the type's name and the value apart, each read once: a macro naming its value twice would bind it
# through a list per row (binding.py); typeof(tree), written in the call, folds when DuckDB binds
DECIMAL_SCALE_MACROS: tuple[str, ...] = (
    macro(
        f"{_MACRO}(type_name, x)",
        r"CASE WHEN regexp_matches(type_name, '^DECIMAL\(38,([7-9]|[1-3][0-9])\)$') THEN "
        "error('[IDU_REFUSED] decimal arithmetic with a result of precision 38 and scale above 6: Spark "
        "rounds such a result to fewer decimals (its precision-loss rule), DuckDB keeps them; CAST the "
        "operands to a narrower DECIMAL or to DOUBLE') ELSE x END",
    ),
)


def _arithmetic(node: exp.Expr) -> bool:
    return isinstance(node, exp.Add | exp.Sub) or (
        isinstance(node, exp.Anonymous) and str(node.this).lower() == MUL
    )


def _top(node: exp.Expr) -> bool:
    parent = node.parent
    while isinstance(parent, exp.Paren):
        parent = parent.parent
    return parent is None or not _arithmetic(parent)


def _checked(node: exp.Expr, value: exp.Expr) -> exp.Anonymous:
    return call(_MACRO, call("typeof", node.copy()), value)


@gated(types=(exp.Add, exp.Sub), names=(MUL,))
def decimal_scales(tree: exp.Expr) -> exp.Expr:
    tops = [n for n in tree.find_all(exp.Add, exp.Sub, exp.Anonymous) if _arithmetic(n) and _top(n)]
    for node in tops:
        select = group_of(node)
        if select is not None:
            # a key stays as written, so that the select list's copies of it (checked where they are
            # trees of their own, or inside larger ones) still match it; its check runs in WHERE
            select.where(_checked(node, exp.true()), copy=False)
            continue
        checked = _checked(node, exp.null())
        node.replace(checked)
        checked.set("expressions", [checked.expressions[0], node])
    return tree
