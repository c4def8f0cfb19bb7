"""Window functions whose result depends on the order of rows that tie on the window's ORDER BY.

Rows of a partition that are equal on the ORDER BY keys (peers) reach Spark's window in the order its
partitions deliver them, so ``row_number``, ``ntile``, ``lag``/``lead``, ``nth_value``,
``first_value``/``last_value`` (``first``/``last``/``any_value``), ``collect_list``, ``counter_diff``
and any aggregate over a ROWS frame smaller than the partition can give peers either value; without an
ORDER BY the whole partition ties. DuckDB's pick can differ. ``rank``, ``dense_rank``,
``percent_rank``, ``cume_dist`` and aggregates over RANGE frames or the whole partition give peers the
same value: left alone.

Such a window is accepted as it is when the order of peers cannot be seen: every value the SELECT
exposes (its output expressions, QUALIFY, ORDER BY, every window's arguments and keys; ``*`` is every
input column) is a plain column among the window's PARTITION BY / ORDER BY keys, or the SELECT groups
by keys that are all among them (no two rows tie). Otherwise the window is guarded when run: where a
row's previous row in the window's own sort is a peer whose row of those values differs (``IS DISTINCT
FROM``, so NULLs count), it raises ``[IDU_REFUSED]`` naming the function; ``LAG`` over the same
PARTITION BY and ORDER BY reuses the window's sort. A generator
(explode, inline, stack, json_tuple) beside such a window is refused before it runs: which rows tie
cannot be told from the statement.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import call

__all__ = [
    "ANONYMOUS",
    "CHECKS",
    "FUNCTIONS",
    "anonymous_check",
    "guarded_windows",
    "whole_partition",
    "window_ties",
]

# the value of a peer depends on where it falls among its peers
_POSITIONAL: tuple[type[exp.Expr], ...] = (
    exp.RowNumber, exp.Ntile, exp.Lag, exp.Lead, exp.NthValue, exp.FirstValue, exp.LastValue, exp.First,
    exp.Last, exp.AnyValue, exp.ArrayAgg,
)  # fmt: skip
_POSITIONAL_NAMES = frozenset({"counter_diff", "collect_list", "array_agg"})
_GENERATORS: tuple[type[exp.Expr], ...] = (
    exp.Explode, exp.ExplodeOuter, exp.Posexplode, exp.PosexplodeOuter, exp.Inline, exp.Stack, exp.Unnest,
)  # fmt: skip
_GENERATOR_NAMES = frozenset({"json_tuple", "inline", "inline_outer", "stack"})
_NAMES: dict[type[exp.Expr], str] = {exp.ArrayAgg: "collect_list", exp.AnyValue: "any_value"}


def _function(window: exp.Window) -> exp.Expr:
    """The function a window computes, without IGNORE/RESPECT NULLS or FILTER."""
    node = window.this
    while isinstance(node, exp.IgnoreNulls | exp.RespectNulls | exp.Filter):
        node = node.this
    return node


def whole_partition(spec: exp.Expr) -> bool:
    """Whether a frame spans the whole partition (UNBOUNDED PRECEDING to UNBOUNDED FOLLOWING)."""
    bounds = (spec.args.get(k) for k in ("start", "start_side", "end", "end_side"))
    return tuple(str(b).upper() for b in bounds) == ("UNBOUNDED", "PRECEDING", "UNBOUNDED", "FOLLOWING")


def _definition(window: exp.Window) -> exp.Window:
    """The window that holds ``window``'s PARTITION BY, ORDER BY and frame: itself, or the named
    window (``WINDOW w AS (...)``) it refers to."""
    name = window.args.get("alias")
    select = window.find_ancestor(exp.Select)
    if name is None or select is None or window.args.get("order") is not None or window.args.get("spec"):
        return window
    for named in select.args.get("windows") or []:
        if isinstance(named, exp.Window) and named.name.lower() == name.name.lower():
            return named
    return window


def order_sensitive(window: exp.Window) -> bool:
    """Whether peers of ``window`` can get different values depending on their order."""
    function = _function(window)
    if isinstance(function, _POSITIONAL):
        return True
    if isinstance(function, exp.Anonymous) and function.name.lower() in _POSITIONAL_NAMES:
        return True
    spec = _definition(window).args.get("spec")
    return (
        isinstance(spec, exp.WindowSpec)
        and str(spec.args.get("kind") or "").upper() == "ROWS"
        and not whole_partition(spec)
    )


def _partition(window: exp.Window) -> list[exp.Expr]:
    definition = _definition(window)
    named = definition.args.get("partition_by", []) if definition is not window else []
    return [*window.args.get("partition_by", []), *named]


def _order_keys(window: exp.Window) -> list[exp.Expr]:
    """The ORDER BY expressions, without their direction."""
    order = _definition(window).args.get("order")
    ordered = order.expressions if isinstance(order, exp.Order) else []
    return [o.this if isinstance(o, exp.Ordered) else o for o in ordered]


def _keys(window: exp.Window) -> list[exp.Expr]:
    """The PARTITION BY and ORDER BY expressions: rows equal on them are peers."""
    return [*_partition(window), *_order_keys(window)]


def _own_windows(select: exp.Select) -> list[exp.Window]:
    # not the definitions of named windows (WINDOW w AS (...)): the windows that refer to them
    return [
        w for w in select.find_all(exp.Window)
        if w.find_ancestor(exp.Select) is select and w.arg_key != "windows"
    ]  # fmt: skip


def _is_star(node: exp.Expr) -> bool:
    return isinstance(node, exp.Star) or (isinstance(node, exp.Column) and isinstance(node.this, exp.Star))


def _alias_reference(node: exp.Expr, aliases: frozenset[str]) -> bool:
    return isinstance(node, exp.Column) and not node.table and node.name.lower() in aliases


def _collect(node: exp.Expr, found: list[exp.Expr], aliases: frozenset[str]) -> None:
    """The largest window-free parts of ``node`` that hold a value of the row (a column, ``*``, a
    subquery or an aggregate of the group); names of the SELECT's own outputs are skipped."""
    if _is_star(node):
        found.append(exp.Star())
        return
    if isinstance(node, exp.Window):
        # count(*)'s star reads no column
        parts = [a for a in _function(node).iter_expressions() if not isinstance(a, exp.Star)] + _keys(node)
        if isinstance(node.this, exp.Filter):
            parts.append(node.this.expression)
        for part in parts:
            _collect(part, found, aliases)
        return
    if _alias_reference(node, aliases):
        return
    windowless = node.find(exp.Window) is None
    if windowless and not any(_alias_reference(c, aliases) for c in node.find_all(exp.Column)):
        found.extend(_values(node))
        return
    for child in node.iter_expressions():
        _collect(child, found, aliases)


def _values(node: exp.Expr) -> list[exp.Expr]:
    """What a window-free expression's value is made of: the expression itself when it reads an
    aggregate of the group, a subquery or ``*``, else its columns (lambdas' own variables aside)."""
    if node.find(exp.AggFunc, exp.Subquery, exp.Select, exp.Star) is not None:
        return [node]
    bound = {p.name.lower() for lam in node.find_all(exp.Lambda) for p in lam.expressions}
    return [c for c in node.find_all(exp.Column) if c.table or c.name.lower() not in bound]


def observables(select: exp.Select) -> list[exp.Expr]:
    """Every value of a row the SELECT can expose; ``exp.Star()`` stands for all input columns."""
    aliases = frozenset(e.alias.lower() for e in select.expressions if isinstance(e, exp.Alias))
    found: list[exp.Expr] = []
    for item in select.expressions:
        _collect(item.this if isinstance(item, exp.Alias) else item, found, frozenset())
    for key in ("qualify", "order"):
        clause = select.args.get(key)
        if clause is not None:
            _collect(clause, found, aliases)
    return found


def _same_column(a: exp.Column, b: exp.Column) -> bool:
    # an unqualified name is unambiguous in Spark, so it is the qualified one of the same name
    same_table = not a.table or not b.table or a.table.lower() == b.table.lower()
    return a.name.lower() == b.name.lower() and same_table


def _groups_are_unique(select: exp.Select, keys: list[exp.Expr]) -> bool:
    """A plain GROUP BY whose keys are all among ``keys``: one row per key, so no two rows tie."""
    group = select.args.get("group")
    if not isinstance(group, exp.Group) or not group.expressions or group.args.get("all"):
        return False
    if any(group.args.get(k) for k in ("grouping_sets", "cube", "rollup")):
        return False
    written = {k.sql() for k in keys}
    return all(g.sql() in written for g in group.expressions)


def proven(select: exp.Select, window: exp.Window, found: list[exp.Expr]) -> bool:
    """Whether rows that tie on ``window``'s keys are equal in everything the SELECT exposes."""
    keys = _keys(window)
    if _groups_are_unique(select, keys):
        return True
    columns = [k for k in keys if isinstance(k, exp.Column)]
    return all(
        isinstance(e, exp.Column) and not _is_star(e) and any(_same_column(e, k) for k in columns)
        for e in found
    )


def _generator(select: exp.Select) -> exp.Expr | None:
    for item in select.expressions:
        for node in item.walk():
            if isinstance(node, _GENERATORS) or (
                isinstance(node, exp.Anonymous) and node.name.lower() in _GENERATOR_NAMES
            ):
                return node
    return None


def _signature(window: exp.Window) -> tuple[str, ...]:
    order = _definition(window).args.get("order")
    return (*sorted(k.sql() for k in _partition(window)), "|", order.sql() if order is not None else "")


def guarded_windows(select: exp.Select) -> list[tuple[exp.Window, bool]]:
    """The windows of ``select`` whose result depends on the order of peers it can expose, each with
    whether it must see no peers at all: beside an order-sensitive window of another PARTITION BY /
    ORDER BY (computed over another sort), that one's values tell equal peers apart."""
    windows = [w for w in _own_windows(select) if order_sensitive(w)]
    if len({_signature(w) for w in windows}) > 1:
        return [(w, True) for w in windows if not _groups_are_unique(select, _keys(w))]
    found = observables(select) if windows else []
    return [(w, False) for w in windows if not proven(select, w, found)]


def _in_projection(window: exp.Expr, select: exp.Select) -> bool:
    node = window
    while node.parent is not select and node.parent is not None:
        node = node.parent
    return node.arg_key == "expressions"


def _source_rows(select: exp.Select) -> list[exp.Expr] | None:
    """Each source's row as a value (DuckDB reads a table's name as its row), or None when a source
    has no name; for a window outside the SELECT list, where DuckDB takes no ``*``."""
    sources = [select.args["from_"].this] if select.args.get("from_") else []
    sources += [j.this for j in select.args.get("joins") or []]
    names = [s.alias_or_name if isinstance(s, exp.Table | exp.Subquery) else "" for s in sources]
    if not names or not all(names) or select.args.get("laterals"):
        return None
    return [exp.column(name, quoted=True) for name in names]


def _star_values(window: exp.Window, select: exp.Select) -> list[exp.Expr] | None:
    if _in_projection(window, select):
        return [exp.Columns(this=exp.Star(), unpack=True)]
    return _source_rows(select)


def _check(window: exp.Expr) -> str | None:
    select = window.find_ancestor(exp.Select)
    if not isinstance(window, exp.Window) or not isinstance(select, exp.Select):
        return None
    unique = next((u for w, u in guarded_windows(select) if w is window), None)
    if unique is None:
        return None
    if _generator(select) is not None:
        return (
            f"{_name(window)} over rows that may tie on its ORDER BY beside a generator (explode, inline, "
            "stack, json_tuple): which rows tie cannot be told; add a unique tie-breaker to the ORDER BY "
            "and select only its columns, or move the generator into a subquery"
        )
    if not unique and any(_is_star(e) for e in observables(select)) and _star_values(window, select) is None:
        return (
            f"{_name(window)} over rows that may tie on its ORDER BY, in QUALIFY or ORDER BY beside a * over a "
            "source without a name: which columns tell tied rows apart cannot be told; name the source or "
            "add a unique tie-breaker to the ORDER BY"
        )
    return None


FUNCTIONS: frozenset[type[exp.Expr]] = frozenset()
ANONYMOUS: frozenset[str] = frozenset()
CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {exp.Window: _check}


def anonymous_check(node: exp.Anonymous) -> str | None:
    return None


def _name(window: exp.Window) -> str:
    function = _function(window)
    if isinstance(function, exp.Anonymous):
        return function.name.lower()
    name = _NAMES.get(type(function)) or type(function).__name__.lower()
    if isinstance(function, exp.Func):
        name = _NAMES.get(type(function)) or function.sql_name().lower()
    return name if isinstance(function, _POSITIONAL) else f"{name} over a ROWS frame"


def _spec_text(window: exp.Window) -> str:
    definition, parts = _definition(window), []
    partition = [
        *window.args.get("partition_by", []),
        *(definition.args.get("partition_by", []) if definition is not window else []),
    ]
    if partition:
        parts.append("PARTITION BY " + ", ".join(p.sql("spark") for p in partition))
    if definition.args.get("order") is not None:
        parts.append(definition.args["order"].sql("spark").strip())
    return " ".join(parts) or "the whole result"


def _row(found: list[exp.Expr], keys: list[exp.Expr], star: list[exp.Expr]) -> exp.Expr:
    """The values peers must share, as one NULL-safe comparable value (an unnamed struct); the keys
    themselves are equal among peers, so they are left out; ``star`` stands for ``*``."""
    seen = {k.sql() for k in keys}
    values: list[exp.Expr] = []
    for value in found:
        text = "*" if _is_star(value) else value.sql()
        if text not in seen:
            seen.add(text)
            values.extend([s.copy() for s in star] if text == "*" else [value.copy()])
    return call("row", *values)


def _differs_from_previous_peer(window: exp.Window, row: exp.Expr) -> exp.Expr:
    """True on a row whose previous row in the window's own sort is a peer with other values. Peers
    are adjacent in that sort whatever their order, so some adjacent pair differs exactly when not all
    peers are equal; over the window's own PARTITION BY and ORDER BY, DuckDB computes it in the sort it
    already does (another PARTITION BY would sort the rows again)."""
    order = _definition(window).args.get("order")

    def lag(value: exp.Expr, default: exp.Expr | None = None) -> exp.Window:
        return exp.Window(
            this=exp.Lag(this=value, offset=exp.Literal.number(1), default=default),
            partition_by=[k.copy() for k in _partition(window)],
            order=order.copy() if order is not None else None,
            over="OVER",
        )

    # a previous row exists (FALSE on the first: no NOT, which DuckDB refuses beside *COLUMNS(*))
    tests: list[exp.Expr] = [lag(exp.true(), exp.false())]
    keys = _order_keys(window)
    if keys:  # without an ORDER BY every row of the partition is a peer
        keyed = call("row", *(k.copy() for k in keys))
        tests.append(exp.NullSafeEQ(this=lag(keyed.copy()), expression=keyed))
    tests.append(exp.NullSafeNEQ(this=lag(row.copy()), expression=row))
    return exp.and_(*tests)


def _guard(window: exp.Window, select: exp.Select, found: list[exp.Expr], unique: bool) -> exp.Expr:
    what = "beside another window ordering them otherwise" if unique else "but differ in the values selected"
    message = (
        f"[IDU_REFUSED] {_name(window)} over rows that tie on its window ({_spec_text(window)}) {what}: Spark's "
        "result depends on the order its partitions deliver the rows; add a unique tie-breaker to the ORDER BY"
    )
    if unique:
        keys = [k.copy() for k in _keys(window)]
        counted = exp.Window(this=exp.Count(this=exp.Star()), partition_by=keys, over="OVER")
        differ: exp.Expr = exp.GT(this=counted, expression=exp.Literal.number(1))
    else:
        star = _star_values(window, select) or [exp.Columns(this=exp.Star(), unpack=True)]  # refused if None
        differ = _differs_from_previous_peer(window, _row(found, _keys(window), star))
    return exp.Case(
        ifs=[exp.If(this=differ, true=call("error", exp.Literal.string(message)))], default=window.copy()
    )


@gated(types=(exp.Window,))
def window_ties(tree: exp.Expr) -> exp.Expr:
    """Guard every window whose result depends on the order of peers the SELECT can expose."""
    for select in list(tree.find_all(exp.Select)):
        windows = guarded_windows(select)
        found = observables(select) if windows else []
        for window, unique in windows:
            window.replace(_guard(window, select, found, unique))
    return tree
