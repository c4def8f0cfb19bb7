"""substr/substring of text on DuckDB with Spark's clamping (binary ones are ``idu_binary_substr``)."""

from __future__ import annotations

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import replace_each

__all__ = ["text_substrings"]


@gated(types=(exp.Substring,))
def text_substrings(tree: exp.Expr) -> exp.Expr:
    """substr of text (binary ones are already idu_binary_substr): Spark's clamping, exactly."""

    def build(node: exp.Expr) -> exp.Expr:
        start = node.args.get("start") or exp.Literal.number(1)
        length = node.args.get("length") or exp.Literal.number(2147483647)
        if _int_literal(start, 1) and _int_literal(length, 0):
            # a literal start from 1 and length: DuckDB's substring clamps as Spark does (no macro)
            return _call("substring", node.this.copy(), start.copy(), length.copy())
        args = [a if isinstance(a, exp.Literal | exp.Neg | exp.Anonymous) else _call("idu_to_integer", a)
                for a in (start, length)]  # fmt: skip
        return _call("idu_substr", node.this.copy(), *(a.copy() for a in args))

    return replace_each(tree, reversed(list(tree.find_all(exp.Substring))), build)  # innermost first


def _int_literal(node: exp.Expr, minimum: int) -> bool:
    """An integer literal from ``minimum`` up to INT's largest value."""
    return (
        isinstance(node, exp.Literal)
        and not node.is_string
        and node.this.isdigit()
        and minimum <= int(node.this) <= 2147483647
    )
