"""Small helpers the rewrites and macros share: a function call node, node replacement, a macro."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlglot import exp

__all__ = ["call", "macro", "replace_each"]


def call(name: str, *args: exp.Expr) -> exp.Anonymous:
    """``name(args...)`` as DuckDB will print it (a macro or a DuckDB function)."""
    return exp.Anonymous(this=name, expressions=list(args))


def macro(signature: str, body: str) -> str:
    return f"CREATE OR REPLACE MACRO {signature} AS {body}"


def replace_each(
    tree: exp.Expr, nodes: Iterable[exp.Expr], build: Callable[[exp.Expr], exp.Expr]
) -> exp.Expr:
    """Replace each of ``nodes`` (in the order given) by ``build(node)``; the new root if it changed."""
    for node in nodes:
        new = build(node)
        if new is not node:
            if node is tree:
                tree = new
            else:
                node.replace(new)
    return tree
