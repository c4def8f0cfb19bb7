"""``UNION``, ``INTERSECT`` and ``EXCEPT``: what the engine binds to give them Spark's column types.

Spark casts each column of a set operation's branches to their wider common type
(``WidenSetOperationTypes`` with ANSI's ``findWiderTypeForTwo``): a STRING beside a BIGINT becomes
BIGINT (the text cast, failing where it does not parse), a STRING beside a DATE a DATE, a FLOAT
beside an integer a DOUBLE; a BOOLEAN beside a number fails the query. DuckDB joins them its own way
(VARCHAR, FLOAT) and runs what Spark refuses, silently. The branches' types are known only when
run (columns), so, as for writes (store_assignment.py), the translation describes each chain of set
operations (``a UNION b UNION c``: one shape of three inputs) and the engine binds its inputs
(set_types.py) before the statement runs. What is bound costs little: each input without its
filters, join conditions, order and limits (they decide no type), and each CTE it reads bound once
per statement and then read as a typed stub, so a CTE read by eight inputs is not bound eight times.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.nodes import PASS_THROUGH_GUARDS
from airflow_idu.engines.duckdb.spark_compat.unify import computed
from airflow_idu.engines.duckdb.spark_compat.unify_types import spark_type

__all__ = ["Cte", "Query", "SetShape", "set_shapes"]

_NAMES = {exp.Union: "UNION", exp.Intersect: "INTERSECT", exp.Except: "EXCEPT"}
_NOT_TYPES = ("where", "having", "qualify", "order", "limit", "offset")


@dataclass(frozen=True)
class Query:
    """A query bound for its column types: DuckDB SQL, and the keys of the CTEs it reads."""

    sql: str
    reads: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Cte:
    """A CTE an input reads: bound once per statement, then read by others as a typed stub."""

    key: str  # unique in the statement (two scopes may hold CTEs of one name)
    name: str
    columns: tuple[str, ...]  # its column list where written: WITH a(x, y) AS (...)
    query: Query


@dataclass(frozen=True, kw_only=True)
class SetShape:
    """One chain of set operations of one kind: its inputs, and every CTE they read."""

    operation: str  # UNION, INTERSECT or EXCEPT
    branches: tuple[Query, ...]
    ctes: tuple[Cte, ...]  # directly or through another, each once
    computed: tuple[bool, ...]  # per column: an input computes it (a DECIMAL precision may be DuckDB's own)
    by_name: bool = False


def set_shapes(tree: exp.Expr) -> tuple[SetShape, ...]:
    """Every chain of set operations in a translated statement whose column types are not fixed by
    its text (literals and CASTs of one type in every input need no check), innermost first."""
    nodes = [n for n in tree.find_all(exp.Union, exp.Intersect, exp.Except) if not _chained(n)]
    if not nodes:
        return ()
    statement = _Statement(tree)
    shapes = []
    for node in reversed(nodes):
        leaves = _chain(node)
        if not _fixed(node, leaves):
            shapes.append(_shape(node, leaves, statement))
    return tuple(shapes)


class _Statement:
    """The statement's CTEs, each with a key and described once for all its set operations."""

    def __init__(self, tree: exp.Expr) -> None:
        ctes = list(tree.find_all(exp.CTE))
        self.keys = {id(cte): f"{cte.alias_or_name.lower()}#{i}" for i, cte in enumerate(ctes)}
        self.by_key = {self.keys[id(cte)]: cte for cte in ctes}
        self.described: dict[str, Cte] = {}

    def describe(self, key: str) -> Cte:
        if key not in self.described:
            cte = self.by_key[key]
            alias = cte.args.get("alias")
            columns = tuple(c.name for c in alias.columns) if isinstance(alias, exp.TableAlias) else ()
            query = _recursive(cte, self.keys) or _query(cte.this, self.keys)
            self.described[key] = Cte(key=key, name=cte.alias_or_name, columns=columns, query=query)
        return self.described[key]


def _same_kind(a: exp.Expr, b: exp.Expr) -> bool:
    return type(a) is type(b) and all(a.args.get(k) == b.args.get(k) for k in ("distinct", "by_name"))


def _chained(node: exp.SetOperation) -> bool:
    """Part of its parent's chain: the left input of an operation of its kind, (a UNION b) UNION c."""
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
    """Each column's Spark type where the input's text fixes it (None: a star or an unknown shape)."""
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


def _shape(node: exp.SetOperation, leaves: list[exp.Expr], statement: _Statement) -> SetShape:
    flags = [_computed(leaf) for leaf in leaves]
    branches = tuple(_query(leaf, statement.keys) for leaf in leaves)
    return SetShape(
        operation=_NAMES[type(node)],
        branches=branches,
        ctes=_ctes(branches, statement),
        computed=tuple(any(column) for column in zip(*flags, strict=False)),
        by_name=bool(node.args.get("by_name")),
    )


def _query(node: exp.Expr, keys: dict[int, str]) -> Query:
    """An input as a query of its own, bound for its types: in a subquery, so that its own WITH
    follows the stubs' WITH."""
    inner = node.this if isinstance(node, exp.Subquery) and not node.args.get("alias") else node
    sql = f"SELECT * FROM ({_types_only(inner)}) AS idu_types"
    return Query(sql, tuple(keys[id(c)] for c in _direct_reads(node)))


def _types_only(node: exp.Expr) -> str:
    """The DuckDB SQL of ``node`` without what decides no column's type (filters, join conditions,
    order, limits, the guards around a value): binding them would cost as much as the statement's
    own binding."""
    copy = node.copy()
    for query in [copy, *copy.find_all(exp.Select, exp.SetOperation)]:
        for key in _NOT_TYPES:
            if query.args.get(key) is not None:
                query.set(key, None)
    for join in copy.find_all(exp.Join):
        if join.args.get("on") is not None:
            join.set("on", exp.true())
    for call in list(copy.find_all(exp.Anonymous)):
        index = PASS_THROUGH_GUARDS.get(call.name.lower())
        if index is not None:
            call.replace(call.expressions[index])
    return copy.sql(dialect="duckdb", copy=False)  # the copy above is this function's: printed as is


def _computed(node: exp.Expr) -> list[bool]:
    if isinstance(node, exp.Subquery):
        return _computed(node.this)
    if isinstance(node, exp.SetOperation):
        left, right = _computed(node.this), _computed(node.expression)
        return [a or b for a, b in zip(left, right, strict=False)]
    if isinstance(node, exp.Select) and not any(isinstance(e, exp.Star) for e in node.expressions):
        return [computed(e.unalias()) for e in node.expressions]
    return []  # a star: the columns of tables, their own types


def _scope_cte(table: exp.Table) -> exp.CTE | None:
    """The CTE a table name reads: the innermost enclosing WITH that names it."""
    if table.args.get("db"):
        return None
    name = table.name.lower()
    node = table.parent
    while node is not None:
        scope = node.args.get("with_")
        if isinstance(scope, exp.With):
            for cte in scope.expressions:
                if cte.alias_or_name.lower() == name:
                    return cte
        node = node.parent
    return None


def _inside(node: exp.Expr, ancestor: exp.Expr) -> bool:
    current: exp.Expr | None = node
    while current is not None:
        if current is ancestor:
            return True
        current = current.parent
    return False


def _direct_reads(node: exp.Expr) -> list[exp.CTE]:
    """The CTEs defined outside ``node`` that it reads by name, each once."""
    found: dict[int, exp.CTE] = {}
    for table in node.find_all(exp.Table):
        cte = _scope_cte(table)
        if cte is not None and not _inside(cte, node) and cte is not node.parent:
            found.setdefault(id(cte), cte)
    return list(found.values())


def _ctes(branches: tuple[Query, ...], statement: _Statement) -> tuple[Cte, ...]:
    """Every CTE the inputs read, directly or through another, each once."""
    done: dict[str, Cte] = {}
    pending = [k for b in branches for k in b.reads]
    while pending:
        key = pending.pop()
        if key not in done:
            done[key] = statement.describe(key)
            pending.extend(done[key].query.reads)
    return tuple(done.values())


def _recursive(cte: exp.CTE, keys: dict[int, str]) -> Query | None:
    """A CTE of a ``WITH RECURSIVE`` reads itself: bound with its whole WITH, not from a stub."""
    scope = cte.parent
    if not (isinstance(scope, exp.With) and scope.args.get("recursive")):
        return None
    name = exp.to_identifier(cte.alias_or_name).sql(dialect="duckdb")
    sql = f"{_types_only(scope)} SELECT * FROM {name}"
    return Query(sql, tuple(keys[id(c)] for c in _direct_reads(scope)))
