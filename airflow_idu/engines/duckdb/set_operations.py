"""``UNION``, ``INTERSECT`` and ``EXCEPT`` give Spark's column types, or are refused.

Spark casts each column of a set operation's branches to their wider common type
(``WidenSetOperationTypes`` with ANSI's ``findWiderTypeForTwo``): a STRING beside a BIGINT becomes
BIGINT (the text cast, failing where it does not parse), a STRING beside a DATE a DATE, a FLOAT
beside an integer a DOUBLE; a BOOLEAN beside a number fails the query. DuckDB joins them its own way
(VARCHAR, FLOAT) and runs what Spark refuses, silently. The branches' types are known only when
run (columns), so, as for writes (store_assignment.py), the translation names each set operation
and its branches, and the engine binds them (never runs them) before the statement: where Spark's
common type of a column is not DuckDB's it fails, with Spark's error where Spark fails at analysis,
else with ``[IDU_REFUSED]`` naming the CAST that makes both agree. A DECIMAL of the same scale and
another precision passes (the same values). A computed DECIMAL (a sum, arithmetic) may count more
integer digits on DuckDB than on Spark (``sum`` of ``DECIMAL(10,2)``: 38 against 20), so where
DuckDB's common type dropped decimals that a branch has, beside such a value, it is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.unify import computed
from airflow_idu.engines.duckdb.spark_compat.unify_types import spark_type, wider_all

__all__ = ["SetShape", "check_set_operations", "set_shapes", "spark_name"]

_NAMES = {exp.Union: "UNION", exp.Intersect: "INTERSECT", exp.Except: "EXCEPT"}
_SCALARS = {
    "TINYINT": "TINYINT", "SMALLINT": "SMALLINT", "INTEGER": "INT", "BIGINT": "BIGINT", "FLOAT": "FLOAT",
    "DOUBLE": "DOUBLE", "BOOLEAN": "BOOLEAN", "DATE": "DATE", "VARCHAR": "STRING", "BLOB": "BINARY",
    "TIMESTAMP": "TIMESTAMP", "TIMESTAMP WITH TIME ZONE": "TIMESTAMP", '"NULL"': "NULL",
}  # fmt: skip
_DECIMAL = re.compile(r"DECIMAL\((\d+),(\d+)\)")


@dataclass(frozen=True, kw_only=True)
class SetShape:
    """One set operation (a chain of one kind: ``a UNION b UNION c``) as DuckDB SQL: its inputs, each
    bound (never run) by the engine before the statement."""

    operation: str  # UNION, INTERSECT or EXCEPT
    branches: tuple[str, ...]  # its inputs, each with the CTEs it reads
    computed: tuple[bool, ...]  # per column: a branch computes it (a DECIMAL precision may be DuckDB's own)
    by_name: bool = False


def set_shapes(tree: exp.Expr) -> tuple[SetShape, ...]:
    """Every chain of set operations in a translated statement whose column types are not fixed by
    its text (literals and CASTs of one type in every branch need no check), innermost first."""
    nodes = [n for n in tree.find_all(exp.Union, exp.Intersect, exp.Except) if not _chained(n)]
    chains = [_chain(n) for n in reversed(nodes)]
    return tuple(
        _shape(n, leaves) for n, leaves in zip(reversed(nodes), chains, strict=True) if not _fixed(n, leaves)
    )


def _same_kind(a: exp.Expr, b: exp.Expr) -> bool:
    return type(a) is type(b) and all(a.args.get(k) == b.args.get(k) for k in ("distinct", "by_name"))


def _chained(node: exp.SetOperation) -> bool:
    """Part of its parent's chain: the left input of an operation of its kind (a UNION b) UNION c."""
    parent = node.parent
    return isinstance(parent, exp.SetOperation) and node.arg_key == "this" and _same_kind(node, parent)


def _chain(node: exp.SetOperation) -> list[exp.Expr]:
    """The inputs of a chain, in order."""
    leaves: list[exp.Expr] = [node.expression]
    left = node.this
    while isinstance(left, exp.SetOperation) and _same_kind(left, node) and not left.args.get("with_"):
        leaves.append(left.expression)
        left = left.this
    return [left, *reversed(leaves)]


def _static(node: exp.Expr) -> list[str | None] | None:
    """Each column's Spark type where the branch's text fixes it (None: a star or an unknown shape)."""
    if isinstance(node, exp.Subquery):
        return _static(node.this)
    if isinstance(node, exp.Select) and not any(isinstance(e, exp.Star) for e in node.expressions):
        return [spark_type(e.unalias()) for e in node.expressions]
    return None


def _fixed(node: exp.SetOperation, leaves: list[exp.Expr]) -> bool:
    if node.args.get("by_name"):
        return False
    kinds = [_static(leaf) for leaf in leaves]
    first = kinds[0]
    return first is not None and None not in first and all(k == first for k in kinds)


def _shape(node: exp.SetOperation, leaves: list[exp.Expr]) -> SetShape:
    flags = [_computed(leaf) for leaf in leaves]
    return SetShape(
        operation=_NAMES[type(node)],
        branches=tuple(_cte_prefix(leaf) + _query(leaf) for leaf in leaves),
        computed=tuple(any(column) for column in zip(*flags, strict=False)),
        by_name=bool(node.args.get("by_name")),
    )


def _query(node: exp.Expr) -> str:
    """A branch, or the operation, as a query of its own (in a subquery, so that its own WITH follows
    the prefix's), to be bound for its types: the same text for the same query (bound once)."""
    inner = node.this if isinstance(node, exp.Subquery) and not node.args.get("alias") else node
    return f"SELECT * FROM ({_types_only(inner).sql(dialect='duckdb')}) AS idu_types"


_NOT_TYPES = ("where", "having", "qualify", "order", "limit", "offset")


def _types_only(node: exp.Expr) -> exp.Expr:
    """A copy without what does not decide a column's type (filters, join conditions, order, limits):
    binding them would cost as much as the statement (the translation's guards sit in them)."""
    copy = node.copy()
    for query in [copy, *copy.find_all(exp.Select, exp.SetOperation)]:
        for key in _NOT_TYPES:
            if query.args.get(key) is not None:
                query.set(key, None)
    for join in copy.find_all(exp.Join):
        if join.args.get("on") is not None:
            join.set("on", exp.true())
    return copy


def _computed(node: exp.Expr) -> list[bool]:
    if isinstance(node, exp.Subquery):
        return _computed(node.this)
    if isinstance(node, exp.SetOperation):
        left, right = _computed(node.this), _computed(node.expression)
        return [a or b for a, b in zip(left, right, strict=False)]
    if isinstance(node, exp.Select) and not any(isinstance(e, exp.Star) for e in node.expressions):
        return [computed(e.unalias()) for e in node.expressions]
    return []  # a star: the columns of tables, their own types


def _cte_prefix(node: exp.Expr) -> str:
    """The ``WITH`` of the CTEs the operation reads, from every enclosing query (and its own),
    outermost first; an inner CTE hides an outer one of its name. Only those it reads, directly
    or through another: binding the others would cost as much as the statement."""
    scopes: list[exp.With] = []
    current: exp.Expr | None = node
    while current is not None:
        if isinstance(current.args.get("with_"), exp.With):
            scopes.append(current.args["with_"])
        current = current.parent
    ctes: dict[str, exp.CTE] = {}
    for scope in reversed(scopes):
        for cte in scope.expressions:
            ctes.pop(cte.alias_or_name.lower(), None)
            ctes[cte.alias_or_name.lower()] = cte
    read = _reads(node, ctes)
    if not read:
        return ""
    recursive = "RECURSIVE " if any(s.args.get("recursive") for s in scopes) else ""
    kept = (_types_only(c).sql(dialect="duckdb") for name, c in ctes.items() if name in read)
    return f"WITH {recursive}{', '.join(kept)} "


def _reads(node: exp.Expr, ctes: dict[str, exp.CTE]) -> set[str]:
    """The names of ``ctes`` that ``node`` reads, directly or through another of them."""
    read: set[str] = set()
    pending = [node]
    while pending:
        for table in pending.pop().find_all(exp.Table):
            name = table.name.lower()
            if not table.args.get("db") and name in ctes and name not in read:
                read.add(name)
                pending.append(ctes[name].this)
    return read


def spark_name(duck: str) -> str | None:
    """Spark's name of a DuckDB type, where Spark has one."""
    if duck in _SCALARS:
        return _SCALARS[duck]
    if _DECIMAL.fullmatch(duck):
        return duck
    if duck.endswith("[]"):
        element = spark_name(duck[:-2])
        return f"ARRAY<{element}>" if element else None
    return None


def _scale(kind: str) -> int | None:
    match = _DECIMAL.search(kind)
    return int(match.group(2)) if match else None


def _same_values(spark: str, duck: str) -> bool:
    """The same type, or DECIMALs (or arrays of them) of one scale: the same values."""
    return spark == duck or (_DECIMAL.sub(r"\2", spark) == _DECIMAL.sub(r"\2", duck) and "DECIMAL" in spark)


def _columns(relation: Any) -> list[tuple[str, str]]:
    return [(name, str(kind)) for name, kind in zip(relation.columns, relation.types, strict=True)]


def _aligned(shape: SetShape, sides: list[list[tuple[str, str]]]) -> list[tuple[str, list[str]]]:
    """(column name, its type in each branch): by position, or by name for ``BY NAME``."""
    first = sides[0]
    if not shape.by_name:
        return [(first[i][0], [side[i][1] for side in sides]) for i in range(min(len(s) for s in sides))]
    named = [{name.lower(): kind for name, kind in side} for side in sides]
    return [
        (name, [n[name.lower()] for n in named]) for name, _ in first if all(name.lower() in n for n in named)
    ]


def _duck_common(connection: Any, columns: list[list[str]]) -> list[str]:
    """DuckDB's common type of each column's branch types: bound from NULLs of those types (cheap),
    only where a column's types differ."""
    if all(len(set(types)) == 1 for types in columns):
        return [types[0] for types in columns]
    rows = [
        "SELECT " + ", ".join("NULL" if t == '"NULL"' else f"CAST(NULL AS {t})" for t in branch)
        for branch in zip(*columns, strict=True)
    ]
    return [str(t) for t in connection.sql(" UNION ALL ".join(rows)).types]


def column_problem(shape: SetShape, number: int, name: str, types: list[str], result: str) -> str | None:
    """The error for one column whose Spark type is not DuckDB's, else None."""
    where = f"{shape.operation} column {number} ({name})"
    if len(set(types)) == 1:
        return None
    names = [spark_name(t) for t in types]
    listed = ", ".join(dict.fromkeys(t for t in types))
    if None in names:
        return (
            f"[IDU_REFUSED] {where} joins {listed}, types whose Spark common type the embedded engine "
            "does not derive; CAST every branch's column to one type"
        )
    spark = wider_all(names, strings=True)
    spark_listed = ", ".join(dict.fromkeys(str(n) for n in names))
    if spark is None:
        return (
            f"[INCOMPATIBLE_COLUMN_TYPE] {shape.operation} can only be performed on tables with compatible "
            f"column types: {where} is {spark_listed} in its branches"
        )
    duck = spark_name(result)
    if duck is None or not _same_values(spark, duck):
        return (
            f"[IDU_REFUSED] {where}: Spark's common type of {spark_listed} is {spark} (it casts each branch "
            f"to it, failing where a value does not convert), DuckDB's is {duck or result}; CAST every "
            f"branch's column to {spark}"
        )
    scales = [s for s in (_scale(t) for t in types) if s is not None]
    kept = _scale(result)
    computed = number <= len(shape.computed) and shape.computed[number - 1]
    if computed and kept is not None and kept < max(scales):
        return (
            f"[IDU_REFUSED] {where}: DuckDB's common type {result} drops decimals of {listed} that Spark, "
            "counting fewer integer digits for a computed DECIMAL (a sum, arithmetic), keeps; CAST the "
            "computed column to the DECIMAL Spark gives it"
        )
    return None


def check_set_operations(connection: Any, shapes: tuple[SetShape, ...]) -> None:
    """Raise ``duckdb.InvalidInputException`` where a set operation's column types are not Spark's."""
    import duckdb

    bound: dict[str, list[tuple[str, str]]] = {}  # a nested operation is the next one's branch

    def columns(query: str) -> list[tuple[str, str]]:
        if query not in bound:
            bound[query] = _columns(connection.sql(query))
        return bound[query]

    for shape in shapes:
        try:
            sides = [columns(q) for q in shape.branches]
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0]
            raise duckdb.InvalidInputException(
                f"[IDU_REFUSED] a {shape.operation} whose branches cannot be bound on their own (they read "
                f"an outer query's columns, or fail: {first}), so their column types cannot be checked "
                "against Spark's; CAST each branch's columns to one type and move the operation out of "
                "the correlated subquery, or run this statement on Databricks"
            ) from exc
        aligned = _aligned(shape, sides)
        results = _duck_common(connection, [types for _, types in aligned])
        for number, ((name, types), result) in enumerate(zip(aligned, results, strict=True), 1):
            problem = column_problem(shape, number, name, types, result)
            if problem is not None:
                raise duckdb.InvalidInputException(problem)
