"""Arguments a macro may copy instead of binding them once (the ``*_plain`` macros, binding.py).

A macro that names its argument several times is bound through a one-element lambda, which costs
on every row and turns a column of a one-row table (a key mask joined to every row), which DuckDB
keeps as one constant value per chunk, into a value per row. For a plain argument the copies are
cheap and DuckDB computes them once (common subexpression elimination): a column, a literal, NULL,
substr/sha2/the typeof-dispatching text casts of plain arguments with literal options, and integer
casts of literals. Anything that may differ between two evaluations (rand, uuid) or costs per copy
is not plain. Plainness only decides the cost: the copies of a deterministic argument give the same
value, or the same error, as the bound one.
"""

from __future__ import annotations

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.float_widening import WIDEN
from airflow_idu.engines.duckdb.spark_compat.nodes import INTEGER_CASTS

__all__ = ["is_plain", "plain_call"]

# macros the rewrites put around an argument that are identity casts once DuckDB folds typeof()
_TEXT_CASTS = frozenset(
    {"idu_text", "idu_substr_text", "idu_substr_text_plain", "idu_cast_string_plain", WIDEN}
)
# CAST(<literal> AS BIGINT/INT/...): a constant (core_rewrites.casts)
_INTEGRAL_CASTS = frozenset(f"{macro}_plain" for macro in INTEGER_CASTS.values())


def _literal(node: exp.Expr | None) -> bool:
    return (
        node is None or isinstance(node, exp.Literal) or (isinstance(node, exp.Neg) and _literal(node.this))
    )


def is_plain(node: exp.Expr) -> bool:
    """``node`` is cheap to copy and gives the same value on every copy (see the module docstring)."""
    if isinstance(node, exp.Column | exp.Literal | exp.Null) or _literal(node):
        return True  # a NULL or a negative number is a constant too
    if isinstance(node, exp.Substring):
        return is_plain(node.this) and _literal(node.args.get("start")) and _literal(node.args.get("length"))
    if isinstance(node, exp.SHA2):
        return is_plain(node.this) and _literal(node.args.get("length"))
    if isinstance(node, exp.Anonymous) and node.name.lower() in _TEXT_CASTS and len(node.expressions) == 1:
        return is_plain(node.expressions[0])
    if (
        isinstance(node, exp.Anonymous)
        and node.name.lower() in _INTEGRAL_CASTS
        and len(node.expressions) == 1
    ):
        return _literal(node.expressions[0])  # a constant once bound
    return False


def plain_call(name: str, *args: exp.Expr) -> exp.Anonymous:
    """``name(args...)``, or ``name_plain(args...)`` when every argument is plain."""
    plain = all(is_plain(a) for a in args)
    return exp.Anonymous(this=f"{name}_plain" if plain else name, expressions=list(args))
