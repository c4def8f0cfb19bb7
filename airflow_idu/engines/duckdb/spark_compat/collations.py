"""Spark's ``collate(s, name)`` / ``s COLLATE name``: only the default collation, UTF8_BINARY.

Marking a string UTF8_BINARY changes none of its values, comparisons, ordering or grouping: it is
Spark's default, byte-wise collation, the one the engine's strings have (``collation(s)`` is
``SYSTEM.BUILTIN.UTF8_BINARY`` on both). Any other collation (UTF8_LCASE, UNICODE_CI, a locale...)
changes equality, ordering, grouping and string functions downstream: refused. So is ``typeof`` of a
collated value, which Spark names ``string collate UTF8_BINARY``, not ``string``.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import replace_each

__all__ = ["ANONYMOUS", "CHECKS", "FUNCTIONS", "anonymous_check", "collations"]

_DEFAULT = frozenset({"UTF8_BINARY", "SYSTEM.BUILTIN.UTF8_BINARY"})


def _name(node: exp.Expr) -> str | None:
    """The collation's name as written: a string literal, an identifier or a dotted name."""
    if isinstance(node, exp.Literal) and node.is_string:
        return str(node.this)
    if isinstance(node, (exp.Var, exp.Column, exp.Identifier, exp.Dot)):
        return node.sql(dialect="spark").replace("`", "")
    return None


def _check(node: exp.Expr) -> str | None:
    name = _name(node.args["expression"])
    if name is None or name.upper() not in _DEFAULT:
        return (
            "only the default collation UTF8_BINARY: another one changes equality, ordering, grouping and "
            "string functions downstream"
        )
    if any(isinstance(parent, exp.Typeof) for parent in _ancestors(node)):
        return "typeof of a collated string (Spark names it string collate UTF8_BINARY)"
    return None


def _ancestors(node: exp.Expr) -> list[exp.Expr]:
    out, parent = [], node.parent
    while parent is not None:
        out.append(parent)
        parent = parent.parent
    return out


@gated(types=(exp.Collate,))
def collations(tree: exp.Expr) -> exp.Expr:
    """collate(s, 'UTF8_BINARY'): the string itself (the check refused every other collation)."""
    return replace_each(
        tree, reversed(list(tree.find_all(exp.Collate))), lambda n: n.this.copy()
    )  # innermost first


FUNCTIONS: frozenset[type[exp.Expr]] = frozenset({exp.Collate})
CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {exp.Collate: _check}
ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {}


def anonymous_check(node: exp.Anonymous) -> str | None:
    return None
