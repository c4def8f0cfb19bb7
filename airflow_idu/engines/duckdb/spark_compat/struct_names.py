"""Comparisons of structs whose field names differ: refused when run.

Spark compares two structs field by field in order, whatever their field names
(``named_struct('a', 1) = named_struct('b', 1)`` is true); DuckDB matches fields by name (false),
so such a comparison would give a different answer silently.

Each ``=``, ``<>``, ``<=>``, ``<``, ``<=``, ``>``, ``>=`` whose operands are both columns, fields of
columns or structs built in place (through casts and parentheses) becomes

    x = CASE WHEN idu_same_fields(typeof(x), typeof(x), typeof(x), typeof(y), ...) THEN y END

``idu_same_fields`` is true, or raises ``[IDU_REFUSED]`` when both types hold structs whose field
names (at every level, case aside) differ. Both types are known when DuckDB binds: where the names
agree the CASE folds to ``y`` before planning, so a join keeps its hash join on ``x = y`` and a
filter still reaches the scan. Where they differ DuckDB keeps the error for run time, and the
operand raises on the first row compared. A check *beside* the comparison (``AND``) can be ordered
after it and then never runs where the comparison is false; one *around* it (tried first) did not
fold before joins were planned (plain column joins 20-50 times slower). A struct computed by a
function and compared (``coalesce(s1, s2) = s3``) is not checked.
"""

from __future__ import annotations

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.nested_shape import field_names_sql
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro

__all__ = ["STRUCT_NAMES_MACROS", "check_struct_names"]

_COMPARING = (exp.EQ, exp.NEQ, exp.NullSafeEQ, exp.NullSafeNEQ, exp.LT, exp.LTE, exp.GT, exp.GTE)
# an `=` that assigns or names, not compares
_NOT_COMPARING = (
    exp.Update,
    exp.SetItem,
    exp.Partition,
    exp.Property,
    exp.Properties,
    exp.PartitionedByProperty,
)

# Each parameter is named once, so spark_compat/binding.py leaves the arguments in place and the
# typeof calls fold when DuckDB binds (the same type comes three times for that reason).
STRUCT_NAMES_MACROS: tuple[str, ...] = (
    _macro(
        "idu_same_fields(l1, l2, l3, r1, r2, r3)",
        f"CASE WHEN l1 LIKE '%STRUCT(%' AND r1 LIKE '%STRUCT(%' AND {field_names_sql('l2')} <> "
        f"{field_names_sql('r2')} THEN error('[IDU_REFUSED] comparing structs whose field names differ (' || "
        "l3 || ' with ' || r3 || '): Spark compares them field by field in order, whatever the names, DuckDB "
        "by name; give both the same names') ELSE true END",
    ),
)


def _plain(node: exp.Expr) -> bool:
    """A column, a field of one, a struct built in place, or a cast of these."""
    while isinstance(node, exp.Paren | exp.Cast | exp.TryCast):
        node = node.this
    return isinstance(node, exp.Column | exp.Dot | exp.Struct)


def _may_hold_structs(node: exp.Expr) -> bool:
    """False where the operand is a cast to a type without a struct (its type is known)."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Cast | exp.TryCast):
        return "STRUCT" in node.to.sql(dialect="duckdb").upper()
    return True


def _checked(comparison: exp.Expr) -> bool:
    operands = (comparison.this, comparison.expression)
    if not all(_plain(o) for o in operands) or not all(_may_hold_structs(o) for o in operands):
        return False
    return comparison.find_ancestor(*_NOT_COMPARING) is None


def _type_of(operand: exp.Expr) -> exp.Expr:
    """``typeof(operand)``, on a copy without the marks of later guards: a type needs none."""
    copy = operand.copy()
    for node in copy.walk():
        node._meta = None
    return _call("typeof", copy)


def check_struct_names(tree: exp.Expr) -> exp.Expr:
    for comparison in [c for c in tree.find_all(*_COMPARING) if _checked(c)]:
        left, right = comparison.this, comparison.expression
        check = _call("idu_same_fields", *(_type_of(o) for o in (left, left, left, right, right, right)))
        checked = exp.Case(ifs=[exp.If(this=check, true=exp.null())])
        right.replace(checked)
        checked.args["ifs"][0].set("true", right)  # the node itself, with its marks
    return tree
