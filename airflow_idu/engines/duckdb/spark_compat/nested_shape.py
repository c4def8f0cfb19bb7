"""The fields of a struct the statement builds itself: a cheap test for a NULL inside it.

nested_order.py refuses, when run, an ordering of a struct that holds a NULL field. Without the
struct's type it must read DuckDB's text of every value (a VARCHAR per row: in a loop that orders a
million structs a row, a fifth of the statement's time). Most structs that SQL orders are built in the
same statement (``min(struct(rank, id)) OVER``, ``max(CASE WHEN v IS NOT NULL THEN
named_struct('order', t, 'value', v) END)``), so their fields are known without a catalog: this
module follows a key back through MIN/MAX, windows, CASE branches and the columns of subqueries and
CTEs to the constructors that built it; nested_order.py then tests the fields (``struct_extract_at(k,
i) IS NULL`` on a column, the field expressions themselves on a struct built in place). A field that
may itself be nested keeps the text test, on that field only (DuckDB folds the ``typeof`` and skips it
for a scalar). Anything it cannot follow (a table's column, a function's result, a set operation) gets
the text test as before. The test reads the key a second time; the engine accepts no volatile
function, so both reads are the same value.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, build_scope

__all__ = ["Shape", "Shapes", "field_names_sql", "field_of", "maybe_nested"]

# aggregates and window functions whose value is one of their argument's values (same type)
_PICKS = (exp.Min, exp.Max, exp.AnyValue, exp.First, exp.Last, exp.FirstValue, exp.LastValue)
_DEPTH = 32  # a bound on following columns (a CTE cannot name itself here, but be safe)

# the field names in DuckDB's text of a type, at every level ('STRUCT(a INTEGER, b STRUCT(c VARCHAR)[])')
_FIELD_NAME = r"""'(?:STRUCT\(|, )("(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_]*) '"""


def field_names_sql(type_text: str) -> str:
    """DuckDB SQL: the lower-cased field names, in order and at every level, of the type whose text
    (``typeof``) is the SQL expression ``type_text``; '' for a type without structs."""
    return f"lower(array_to_string(regexp_extract_all({type_text}, {_FIELD_NAME}, 1), ','))"


# A key's shape: for each field, whether it may itself be nested (an array or a struct).
Shape = tuple[bool, ...]


class Shapes:
    """The shapes of the keys of one statement, found before any guard changes the tree."""

    def __init__(self, tree: exp.Expr) -> None:
        self._scope_of: dict[int, Scope] = {}
        root = build_scope(tree) if isinstance(tree, exp.Query | exp.DDL | exp.DML) else None
        for scope in root.traverse() if root is not None else ():
            for column in scope.columns:
                self._scope_of[id(column)] = scope

    def of(self, key: exp.Expr) -> Shape | None:
        """``key``'s fields, when every value it can take is a struct built in the statement."""
        return self._shape(key, self._scope(key), 0)

    def of_elements(self, key: exp.Expr) -> Shape | None:
        """The fields of ``key``'s elements, when ``key`` is a ``collect_list`` or an ``array(...)`` of
        structs built in the statement."""
        return self._elements(key, self._scope(key), 0)

    def _elements(self, node: exp.Expr | None, scope: Scope | None, depth: int) -> Shape | None:
        if node is None or depth > _DEPTH:
            return None
        if isinstance(node, exp.Paren | exp.Alias | exp.Filter):  # Filter: collect_list's FILTER clause
            return self._elements(node.this, scope, depth + 1)
        if isinstance(node, exp.Coalesce) and all(_empty_array(e) for e in node.expressions):
            return self._elements(node.this, scope, depth + 1)  # collect_list: ARRAY_AGG or []
        if isinstance(node, exp.ArrayAgg):
            element = node.this
            if isinstance(element, exp.Distinct) and len(element.expressions) == 1:
                element = element.expressions[0]
            return self._shape(element, scope, depth + 1)
        if isinstance(node, exp.Array):
            return self._branches(list(node.expressions), scope, depth)
        if isinstance(node, exp.Column) and scope is not None:
            found = _source_projection(node, scope)
            return self._elements(found[0], found[1], depth + 1) if found else None
        return None

    def _scope(self, key: exp.Expr) -> Scope | None:
        select = key.find_ancestor(exp.Select)  # the key's own columns, not a subquery's
        own = (c for c in key.find_all(exp.Column) if c.find_ancestor(exp.Select) is select)
        return next((self._scope_of[id(c)] for c in own if id(c) in self._scope_of), None)

    def _shape(self, node: exp.Expr | None, scope: Scope | None, depth: int) -> Shape | None:
        if node is None or depth > _DEPTH:
            return None
        if isinstance(node, exp.Paren | exp.Alias):
            return self._shape(node.this, scope, depth + 1)
        if isinstance(node, exp.Struct):
            return tuple(maybe_nested(field_of(e)) for e in node.expressions)
        if isinstance(node, exp.Window):
            return self._shape(node.this, scope, depth + 1) if isinstance(node.this, _PICKS) else None
        if isinstance(node, _PICKS) and not node.expressions:
            return self._shape(node.this, scope, depth + 1)
        if isinstance(node, exp.Case | exp.If):
            return self._branches(_results(node), scope, depth)
        if isinstance(node, exp.Column) and scope is not None:
            found = _source_projection(node, scope)
            return self._shape(found[0], found[1], depth + 1) if found else None
        return None

    def _branches(self, results: list[exp.Expr | None], scope: Scope | None, depth: int) -> Shape | None:
        """One shape for all non-NULL results, fields nested where any branch's may be."""
        found = [self._shape(r, scope, depth + 1) for r in results if not _null(r)]
        shapes = [s for s in found if s is not None]
        if not shapes or len(shapes) < len(found) or any(len(s) != len(shapes[0]) for s in shapes):
            return None
        return tuple(any(flags) for flags in zip(*shapes, strict=True))


def field_of(node: exp.Expr) -> exp.Expr:
    """The value expression of a struct constructor's field (``name := value``, ``value AS name``)."""
    return (
        node.expression
        if isinstance(node, exp.PropertyEQ)
        else node.this
        if isinstance(node, exp.Alias)
        else node
    )


def maybe_nested(node: exp.Expr | None) -> bool:
    """``node`` may be an array or struct (a literal, arithmetic or a cast to a scalar cannot)."""
    if isinstance(node, exp.Paren):
        return maybe_nested(node.this)
    scalar = exp.Literal | exp.Null | exp.Boolean | exp.Binary | exp.Unary
    if node is None or (isinstance(node, scalar) and not isinstance(node, exp.Dot)):
        return False
    if isinstance(node, exp.Cast):
        return node.to.this in (exp.DataType.Type.ARRAY, exp.DataType.Type.STRUCT)
    return not isinstance(node, exp.Count | exp.Sum | exp.Avg | exp.Window)


def _results(node: exp.Case | exp.If) -> list[exp.Expr | None]:
    if isinstance(node, exp.If):
        return [node.args.get("true"), node.args.get("false")]
    return [i.args.get("true") for i in node.args.get("ifs") or ()] + [node.args.get("default")]


def _empty_array(node: exp.Expr) -> bool:
    return isinstance(node, exp.Array) and not node.expressions


def _null(node: exp.Expr | None) -> bool:
    """No value: a missing ELSE, NULL, or NULL cast to the struct's type."""
    while isinstance(node, exp.Paren | exp.Cast):
        node = node.this
    return node is None or isinstance(node, exp.Null)


def _source_projection(column: exp.Column, scope: Scope) -> tuple[exp.Expr, Scope] | None:
    """The expression a subquery or CTE selects under ``column``'s name, and its scope; None for a
    table's column, a star, a set operation, or an ORDER BY name the SELECT also gives an alias. (Elsewhere
    DuckDB reads a FROM column before an alias of the same name, and only a FROM column is followed.)"""
    name = column.name.lower()
    own = scope.expression
    order = column.find_ancestor(exp.Order, exp.Select)
    if (
        isinstance(order, exp.Order)
        and order.parent is own
        and any(isinstance(p, exp.Alias) and p.alias.lower() == name for p in own.expressions)
    ):
        return None  # an ORDER BY name reads the SELECT's alias first
    if column.table:
        sources = [scope.sources.get(column.table)]
    elif all(isinstance(s, Scope) for s in scope.sources.values()):
        sources = [s for s in scope.sources.values() if isinstance(s, Scope) and name in _outputs(s)]
    else:
        sources = list(scope.sources.values()) if len(scope.sources) == 1 else []
    if len(sources) != 1 or not isinstance(sources[0], Scope):
        return None
    source = sources[0]
    if not isinstance(source.expression, exp.Select):
        return None
    picks = [p for p in source.expression.expressions if p.alias_or_name.lower() == name]
    if len(picks) != 1 or isinstance(picks[0], exp.Star) or isinstance(picks[0].unalias(), exp.Star):
        return None
    return picks[0].unalias(), source


def _outputs(scope: Scope) -> set[str]:
    query = scope.expression
    return {p.alias_or_name.lower() for p in query.expressions} if isinstance(query, exp.Select) else set()
