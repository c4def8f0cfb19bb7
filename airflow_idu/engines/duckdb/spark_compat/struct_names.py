"""Comparisons of structs whose field names differ, of a BOOLEAN with a number and of a BINARY
with a STRING: refused when run.

Spark compares two structs field by field in order, whatever their field names
(``named_struct('a', 1) = named_struct('b', 1)`` is true); DuckDB matches fields by name (false),
so such a comparison would give a different answer silently. Spark fails a comparison of a
BOOLEAN with a number (DuckDB compares ``true`` with 1), and compares a STRING with a BINARY by its
UTF-8 bytes (DuckDB's cast reads ``\\xAA`` escapes and fails on other characters).

Each ``=``, ``<>``, ``<=>``, ``<``, ``<=``, ``>``, ``>=`` whose operands may both be structs (not a
literal, an arithmetic or logical operator, or a cast to a type without a struct) becomes

    x = CASE WHEN idu_same_fields(x, y) THEN y END

``idu_same_fields`` (an overload that is just true for two operands of one scalar type, else
``idu_same_fields_of`` of their types) is true, or raises ``[IDU_REFUSED]`` when both types hold structs whose field
names (at every level, case aside) differ. Both types are known when DuckDB binds: where the names
agree the CASE folds to ``y`` before planning, so a join keeps its hash join on ``x = y`` and a
filter still reaches the scan. Where they differ DuckDB keeps the error for run time, and the
operand raises on the first row compared. A check *beside* the comparison (``AND``) can be ordered
after it and then never runs where the comparison is false; one *around* it (tried first) did not
fold before joins were planned (plain column joins 20-50 times slower). A computed operand
(``coalesce(s1, s2) = s3``, ``a.k = upper(b.k)``) or a scalar subquery (``s = (SELECT ...)``) is
checked the same way and folds the same way (the subquery is planned once).
"""

from __future__ import annotations

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nested_shape import field_names_sql
from airflow_idu.engines.duckdb.spark_compat.nodes import (
    INTEGER_CASTS,
    type_of,
    type_stand_in,
    typed_macro,
    typed_when_bound,
)
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro

__all__ = ["STRUCT_NAMES_MACROS", "check_struct_names", "place_struct_name_checks"]

_CHECK = "idu_struct_names_check"  # on a comparison: its check, until it is placed

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

# idu_same_fields_of names each parameter once, so spark_compat/binding.py leaves the arguments in place
# and the typeof calls fold when DuckDB binds (the same type comes three times for that reason).
_NUMBER = r"'^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|FLOAT|DOUBLE|DECIMAL)'"

# Operands of one scalar type (or types DuckDB casts to it implicitly, none of them a refused pair) pick
# an overload that is just true, so DuckDB does not bind the general check: 1.7 ms of binding per
# comparison, and the example's statements hold 423 (nodes.typed_macro)
_SAME = ("VARCHAR", "BIGINT", "INTEGER", "DOUBLE", "DATE", "TIMESTAMP")
_OPERANDS = ", ".join(f"typeof({o})" for o in ("x", "x", "x", "y", "y", "y") * 2)
_SAME_TYPES: dict[tuple[str, ...], str] = {(t, t): "true" for t in _SAME}

STRUCT_NAMES_MACROS: tuple[str, ...] = (
    _macro(
        "idu_same_fields_of(l1, l2, l3, r1, r2, r3, l4, l5, l6, r4, r5, r6)",
        f"CASE WHEN l1 LIKE '%STRUCT(%' AND r1 LIKE '%STRUCT(%' AND {field_names_sql('l2')} <> "
        f"{field_names_sql('r2')} THEN error('[IDU_REFUSED] comparing structs whose field names differ (' || "
        "l3 || ' with ' || r3 || '): Spark compares them field by field in order, whatever the names, DuckDB "
        "by name; give both the same names') "
        # a BOOLEAN with a number: Spark fails the query (DATATYPE_MISMATCH), DuckDB compares 1 and true
        f"WHEN (l4 = 'BOOLEAN' AND regexp_matches(r4, {_NUMBER})) OR (r5 = 'BOOLEAN' AND regexp_matches(l5, {_NUMBER})) "
        "THEN error('[IDU_REFUSED] comparing a BOOLEAN with a number: Spark fails the query "
        "(DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES), DuckDB compares them; CAST one operand') "
        # a BINARY with a STRING: Spark compares the STRING's UTF-8 bytes, DuckDB's cast reads escapes
        "WHEN l6 || '|' || r6 IN ('BLOB|VARCHAR', 'VARCHAR|BLOB') THEN error('[IDU_REFUSED] comparing a BINARY "
        "with a STRING: Spark casts the STRING to its UTF-8 bytes, DuckDB reads escapes (\\xAA) and fails on "
        "other characters; CAST the STRING to BINARY') ELSE true END",
    ),
    # after the macro it calls
    typed_macro("idu_same_fields", _SAME_TYPES, f"idu_same_fields_of({_OPERANDS})", ("x", "y")),
)


# operands whose value is never a struct: literals, arithmetic, comparisons, logic
_SCALAR = (exp.Literal, exp.Null, exp.Boolean, exp.Binary, exp.Unary, exp.Predicate)
_SCALAR_CALLS = frozenset(f"{macro}{plain}" for macro in INTEGER_CASTS.values() for plain in ("", "_plain"))


def _may_hold_structs(node: exp.Expr) -> bool:
    """Whether ``node`` can be a struct (or hold one): False for scalar operators, literals and casts
    to a type without a struct."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Cast | exp.TryCast):
        return "STRUCT" in node.to.sql(dialect="duckdb").upper()
    if isinstance(node, exp.Anonymous) and node.name.lower() in _SCALAR_CALLS:
        return False
    return not isinstance(node, _SCALAR)


def _checked(comparison: exp.Expr) -> bool:
    if not all(_may_hold_structs(o) for o in (comparison.this, comparison.expression)):
        return False
    return comparison.find_ancestor(*_NOT_COMPARING) is None


def _check(left: exp.Expr, right: exp.Expr) -> exp.Expr:
    """The typed front where both operands' types are known when bound, else the general check."""
    if typed_when_bound(left) and typed_when_bound(right):
        return _call("idu_same_fields", type_stand_in(left), type_stand_in(right))
    return _call("idu_same_fields_of", *(type_of(o) for o in (left, left, left, right, right, right) * 2))


@gated(types=_COMPARING)
def check_struct_names(tree: exp.Expr) -> exp.Expr:
    """Mark each comparison to check with its check, built from the operands as written."""
    for comparison in [c for c in tree.find_all(*_COMPARING) if _checked(c)]:
        comparison.meta[_CHECK] = _check(comparison.this, comparison.expression)
    return tree


@gated(meta=(_CHECK,))
def place_struct_name_checks(tree: exp.Expr) -> exp.Expr:
    """Put each marked check in its comparison's right operand, around what the guards made of it
    (after the nested-order guard: the guard then reads the operand, not a copy of the check)."""
    for comparison in list(tree.find_all(*_COMPARING)):
        check = (getattr(comparison, "_meta", None) or {}).pop(_CHECK, None)
        if check is None:
            continue
        right = comparison.expression
        checked = exp.Case(ifs=[exp.If(this=check, true=exp.null())])
        right.replace(checked)
        checked.args["ifs"][0].set("true", right)
    return tree
