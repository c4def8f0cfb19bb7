"""Ordering arrays and structs that hold a NULL inside: refused when run.

Spark orders nested values element by element (arrays: then shorter first) and field by field,
with a NULL element or field *before* any value (``array(NULL) < array(1)``); DuckDB puts it
*after* (``[NULL] < [1]`` is false), whatever the ORDER BY's NULLS FIRST/LAST, which only places
a NULL value itself. Both agree on values with no NULL inside (including -0.0 = 0.0 and NaN
greatest), and on equality (``=``, ``<=>``, IN, DISTINCT, GROUP BY treat NULLs inside as equal).

The translation does not know column types, so every ordering of a value that may be nested
(ORDER BY and window ORDER BY keys, ``<``/``<=``/``>``/``>=``/BETWEEN operands, min/max,
greatest/least, array_max/array_min/array_sort elements; max_by/min_by keys are spark_compat/by_ties.py's)
is wrapped in a guard that dispatches on DuckDB's ``typeof()``: the binder folds it to a constant, so a
scalar keeps its plain expression and pays nothing; an array or struct is refused when run where its
text shows a NULL element or field (a quoted string 'NULL' does not match: DuckDB quotes such strings).
A struct the statement builds itself is tested on its fields instead (spark_compat/nested_shape.py).

The guard must reach only the statement's own orderings, not the ones other rewrites generate
(window_ties compares ROW(...) values whose fields may well be NULL, in an order-free way), and
must not hide keys from those rewrites; so :func:`tag_nested_orders` marks the nodes as written,
first, and :func:`guard_nested_orders` wraps the marked ones, last (an operand a rewrite replaced is
found again through its ordering node).
"""

from __future__ import annotations

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nested_shape import Shape, Shapes, field_of, maybe_nested
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro

__all__ = ["NESTED_ORDER_MACROS", "guard_nested_orders", "tag_nested_orders"]

_TAG = "idu_nested_order"
_SLOTS = "idu_nested_order_slots"  # on the ordering node: the positions of its marked operands
# a NULL element or field in DuckDB's text of a nested value ([NULL], [1, NULL], {'a': NULL})
_PATTERN = r"(\[|\(|, |: )NULL(,|\]|\}|\))"
_NESTED = "(typeof({x}) LIKE '%[]' OR typeof({x}) LIKE 'STRUCT(%')"
_ELEMENTS_NESTED = "(typeof({x}) LIKE '%[][]' OR typeof({x}) LIKE 'STRUCT(%)[]')"
_TAIL = (
    " of an array or struct holding a NULL element or field: Spark orders a NULL inside before any value, "
    "DuckDB after it; filter or coalesce the NULLs inside first"
)
_REFUSED = f"'[IDU_REFUSED] ' || what || '{_TAIL}'"  # SQL: the macros' message, ``what`` their parameter
_COMPARISONS = (exp.LT, exp.LTE, exp.GT, exp.GTE)


def nested_null_check(text: str, again: str) -> str:
    """DuckDB: ``text`` (a nested value's VARCHAR, ``again`` the same) shows a NULL element or field;
    the pattern runs only on the rare texts with a NULL (3x cheaper on a million structs)."""
    return f"(contains({text}, 'NULL') AND regexp_matches({again}, '{_PATTERN}'))"


# Each parameter is named once, so the binding of spark_compat/binding.py leaves the arguments in
# place: a scalar's typeof folds, the CASE folds to ``x`` and the VARCHAR is never made. The key comes
# twice (``k``, ``k2``) for the same reason.
NESTED_ORDER_MACROS: tuple[str, ...] = (
    _macro(
        "idu_ordered(x, nested, k, k2, what)",
        f"CASE WHEN nested AND {nested_null_check('CAST(k AS VARCHAR)', 'CAST(k2 AS VARCHAR)')} "
        f"THEN error({_REFUSED}) ELSE x END",
    ),
    _macro(
        "idu_ordered_elements(x, nested, k, what)",
        "CASE WHEN nested AND list_bool_or(list_transform(k, lambda idu_e: "
        f"{nested_null_check('CAST(idu_e AS VARCHAR)', 'CAST(idu_e AS VARCHAR)')})) THEN error({_REFUSED}) ELSE x END",
    ),
)


def _guard(value: exp.Expr, key: exp.Expr, what: str, elements: bool, shape: Shape | None) -> exp.Expr:
    """``value``, refused when run where the nested ``key`` holds a NULL inside (``what`` orders it)."""
    if shape is not None:
        refused = exp.Anonymous(this="error", expressions=[exp.Literal.string(_refused(what))])
        test = _elements_null(key, shape) if elements else _fields_null(key, shape)
        return exp.Case(ifs=[exp.If(this=test, true=refused)], default=value)
    nested = _placed((_ELEMENTS_NESTED if elements else _NESTED).format(x="v"), key)
    if elements:
        return _call("idu_ordered_elements", value, nested, key.copy(), exp.Literal.string(what))
    return _call("idu_ordered", value, nested, key.copy(), key.copy(), exp.Literal.string(what))


def _placed(template: str, key: exp.Expr) -> exp.Expr:
    """``template`` (DuckDB SQL naming ``v``) with ``key`` in place of each ``v``."""
    tree: exp.Expr = exp.maybe_parse(template, dialect="duckdb")
    for column in list(tree.find_all(exp.Column)):
        column.replace(key.copy())
    return tree


def _fields_null(key: exp.Expr, shape: Shape) -> exp.Expr:
    """``key`` (a struct of ``shape``) is not NULL and a field is NULL, or a nested field holds one.
    A struct built in place is tested on its own field expressions (CASE branches each on theirs), so
    the test grows with the struct, not with the struct times its width; any other key (a column)
    field by field by position."""
    while isinstance(key, exp.Paren):
        key = key.this
    if isinstance(key, exp.Struct):
        return exp.paren(
            exp.or_(*(_field_null(field_of(e), n) for e, n in zip(key.expressions, shape, strict=True)))
        )
    if isinstance(key, exp.Case | exp.If) and _built(key):
        return _per_branch(key, shape)
    fields = (_field_null(_call("struct_extract_at", key.copy(), exp.Literal.number(i)), n)
              for i, n in enumerate(shape, start=1))  # fmt: skip
    present = exp.Not(this=exp.Is(this=key.copy(), expression=exp.Null()))
    return exp.and_(present, exp.paren(exp.or_(*fields), copy=False))


def _field_null(field: exp.Expr, nested: bool) -> exp.Expr:
    """``field`` is NULL or, if it may be nested, holds a NULL (the text test: DuckDB folds its typeof
    for a scalar)."""
    test: exp.Expr = exp.Is(this=field.copy(), expression=exp.Null())
    if not nested:
        return test
    text = nested_null_check("CAST(v AS VARCHAR)", "CAST(v AS VARCHAR)")
    return exp.or_(test, _placed(f"({_NESTED.format(x='v')} AND {text})", field))


def _built(node: exp.Expr | None) -> bool:
    """Every result of ``node`` is NULL, a struct built in place or a CASE/IF of those."""
    while isinstance(node, exp.Paren):
        node = node.this
    if node is None or isinstance(node, exp.Null | exp.Struct):
        return True
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Null):
        return True
    if isinstance(node, exp.If):
        return _built(node.args.get("true")) and _built(node.args.get("false"))
    if isinstance(node, exp.Case):
        return all(_built(i.args.get("true")) for i in node.args.get("ifs") or ()) and _built(
            node.args.get("default")
        )
    return False


def _per_branch(node: exp.Expr | None, shape: Shape) -> exp.Expr:
    """The NULL-inside test of a CASE/IF of structs built in place: the same branches, each result
    replaced by its own test (a NULL result: false)."""
    while isinstance(node, exp.Paren):
        node = node.this
    if node is None or isinstance(node, exp.Null | exp.Cast):
        return exp.false()  # _built admits a Cast only around NULL
    if isinstance(node, exp.Struct):
        return _fields_null(node, shape)
    if isinstance(node, exp.If):
        return exp.If(this=node.this.copy(), true=_per_branch(node.args.get("true"), shape),
                      false=_per_branch(node.args.get("false"), shape))  # fmt: skip
    ifs = [
        exp.If(this=i.this.copy(), true=_per_branch(i.args.get("true"), shape))
        for i in node.args.get("ifs") or ()
    ]
    return exp.Case(this=_copy(node.this), ifs=ifs, default=_per_branch(node.args.get("default"), shape))


def _copy(node: exp.Expr | None) -> exp.Expr | None:
    return node.copy() if node is not None else None


def _elements_null(key: exp.Expr, shape: Shape) -> exp.Expr:
    """An element of the array ``key`` (structs of ``shape``) holds a NULL field."""
    element = exp.Lambda(
        this=_fields_null(exp.column("idu_e"), shape), expressions=[exp.to_identifier("idu_e")]
    )
    return _call("list_bool_or", _call("list_transform", key.copy(), element))


def _refused(what: str) -> str:
    return f"[IDU_REFUSED] {what}{_TAIL}"


def _scalar(node: exp.Expr) -> bool:
    """``node`` is certainly not nested (an untyped NULL could be anything)."""
    return not isinstance(node, exp.Null) and not maybe_nested(node)


def _operands(node: exp.Expr) -> list[tuple[exp.Expr, str]]:
    """The ordered operands of ``node`` as written, each with what to name in a refusal."""
    if isinstance(node, _COMPARISONS):
        return [(node.this, "comparing"), (node.expression, "comparing")]
    if isinstance(node, exp.Between):
        return [(node.this, "BETWEEN"), (node.args["low"], "BETWEEN"), (node.args["high"], "BETWEEN")]
    if isinstance(node, exp.Min | exp.Max) and not node.expressions:
        return [(node.this, "min/max")]
    if isinstance(node, exp.Greatest | exp.Least):
        return [(a, "greatest/least") for a in (node.this, *node.expressions)]
    if isinstance(node, exp.ArrayMax | exp.ArrayMin):
        return [(node.this, "array_max/array_min")]
    if isinstance(node, exp.ArraySort):
        return [(node.this, "array_sort")]
    # a query's or a window's ORDER BY (percentile's or listagg's orders scalars only)
    if isinstance(node, exp.Ordered) and isinstance(node.parent, exp.Order):
        if not isinstance(node.parent.parent, exp.Select | exp.SetOperation | exp.Window):
            return []
        position = isinstance(node.this, exp.Literal)  # ORDER BY 1: a column's position
        return [] if position else [(node.this, "ORDER BY")]
    return []


_ORDERING = (*_COMPARISONS, exp.Between, exp.Min, exp.Max, exp.Greatest, exp.Least,
             exp.ArrayMax, exp.ArrayMin, exp.ArraySort, exp.Ordered)  # fmt: skip
_ELEMENT_ORDERING = (exp.ArrayMax, exp.ArrayMin, exp.ArraySort)  # they order the elements of their operand


@gated(types=_ORDERING)
def tag_nested_orders(tree: exp.Expr) -> exp.Expr:
    """Mark each operand, as written, that orders a value that may be nested."""
    for node in tree.find_all(*_ORDERING):
        operands = _operands(node)
        if len(operands) > 1 and any(_scalar(o) for o, _ in operands):
            continue  # Spark compares only values of one type: the others are scalars too
        slots = {i for i, (operand, _) in enumerate(operands) if maybe_nested(operand)}
        for i in slots:
            operand, what = operands[i]
            operand.meta[_TAG] = (what, isinstance(node, _ELEMENT_ORDERING))
        if slots:
            node.meta[_SLOTS] = slots
    return tree


def _retag_replaced(tree: exp.Expr) -> None:
    """Mark again the operands a later rewrite replaced (``array_sort(a)`` became a macro call, the
    mark stayed on the node it dropped): their ordering node remembers which operands it marked."""
    for node in list(tree.find_all(*_ORDERING)):
        slots = (getattr(node, "_meta", None) or {}).pop(_SLOTS, None)
        operands = _operands(node) if slots else []
        for i in slots or ():
            operand, what = operands[i] if i < len(operands) else (None, "")
            if (
                operand is not None
                and _TAG not in (getattr(operand, "_meta", None) or {})
                and maybe_nested(operand)
            ):
                operand.meta[_TAG] = (what, isinstance(node, _ELEMENT_ORDERING))


@gated(meta=(_TAG, _SLOTS))
def guard_nested_orders(tree: exp.Expr) -> exp.Expr:
    """Wrap each marked operand in its run-time guard."""
    _retag_replaced(tree)
    marked = [n for n in tree.find_all(exp.Expr) if _TAG in (getattr(n, "_meta", None) or {})]
    # window_ties copies ORDER BY keys into PARTITION BY; grouping by the plain key gives the same groups
    partitioned = {id(n) for w in tree.find_all(exp.Window) for p in w.args.get("partition_by") or ()
                   for n in p.walk()}  # fmt: skip
    shapes = Shapes(tree) if marked else None
    plans = []
    for node in marked:  # every shape first: the guards below change the tree the shapes are read from
        what, elements = node.meta.pop(_TAG)
        if id(node) in partitioned:
            continue
        holder = _holder_of_key(node)
        key = holder.this if holder is not None and not isinstance(holder, exp.Window) else node
        shape = (shapes.of_elements(key) if elements else shapes.of(key)) if shapes else None
        plans.append((node, holder, what, elements, shape))
    for node, holder, what, elements, shape in plans:
        if holder is None:
            node.replace(_guard(node.copy(), node.copy(), what, elements, shape))
        elif isinstance(holder, exp.Window):  # DuckDB allows no error() in a window's ORDER BY:
            holder.replace(
                _guard(holder.copy(), node.copy(), what, elements, shape)
            )  # each row checks its key
        else:  # a SELECT alias: in an expression DuckDB would read the table's column of that name
            holder.this.replace(_guard(holder.this.copy(), holder.this.copy(), what, elements, shape))
    return tree


def _holder_of_key(node: exp.Expr) -> exp.Expr | None:
    """Where the guard of an ORDER BY key ``node`` goes instead of the key: the window it orders, or
    the SELECT's aliased expression the key names; None for the key itself."""
    ordered = node.parent
    order = ordered.parent if isinstance(ordered, exp.Ordered) else None
    owner = order.parent if isinstance(order, exp.Order) else None
    if isinstance(owner, exp.Window):
        return owner
    if isinstance(owner, exp.Select) and isinstance(node, exp.Column) and not node.table:
        aliases = [
            e for e in owner.expressions if isinstance(e, exp.Alias) and e.alias.lower() == node.name.lower()
        ]
        return aliases[0] if aliases else None
    return None
