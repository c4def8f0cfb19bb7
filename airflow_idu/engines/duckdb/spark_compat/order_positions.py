"""``ORDER BY 2``, ``ORDER BY ALL`` and aliases inside ``ORDER BY`` and ``HAVING``, as Spark reads them.

DuckDB orders by a position natively, and an ARRAY or STRUCT holding a NULL orders otherwise there
than in Spark; ``nested_order.py`` guards keys written as expressions only. So each position becomes
a key: the select item's expression (a column, or a deterministic expression over the source
columns: in DuckDB's ``ORDER BY`` a name inside an expression means a source column before an
alias), ``#n`` under a lone ``SELECT *`` (DuckDB's n-th column of the ``FROM``), or for a set
operation the output name of its first branch's item. ``ORDER BY ALL`` is every output in order,
with the direction and NULL order written. What cannot be named so is refused (allowed.py).

A name inside an ``ORDER BY`` expression (``ORDER BY n + 0``) or a ``HAVING`` condition means the
select list's alias in Spark (both resolve against the projection's or aggregate's output first),
the source column in DuckDB, whose ``HAVING`` also refuses an alias of an expression with side
effects (our macros raise Spark's errors): the alias's expression is written in its place.
"""

from __future__ import annotations

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.select_aliases import (
    NONDETERMINISTIC,
    alias_reads,
    aliases,
    nondeterministic_refusal,
    write_in_place,
)

__all__ = ["having_refusal", "name_having_aliases", "name_order_positions", "unnamed_position"]


def _position(ordered: exp.Ordered) -> int | None:
    key = ordered.this
    if isinstance(key, exp.Literal) and not key.is_string and key.name.isdigit():
        return int(key.name)
    return None


def _is_all(ordered: exp.Ordered) -> bool:
    return isinstance(ordered.this, exp.Var) and ordered.this.name.upper() == "ALL"


def _is_star(item: exp.Expr) -> bool:
    return isinstance(item, exp.Star) or (isinstance(item, exp.Column) and item.is_star)


def _first_select(holder: exp.Expr) -> exp.Expr:
    while isinstance(holder, exp.SetOperation | exp.Subquery):
        holder = holder.this
    return holder


def _key(holder: exp.Expr, position: int) -> exp.Expr | str | None:
    """The key that position ``position`` of ``holder``'s output names; a reason if none can; None
    for a position out of range (DuckDB fails on it as Spark does)."""
    select = _first_select(holder)
    if not isinstance(select, exp.Select):
        return "ORDER BY a position of a query that is not a SELECT"
    items = select.expressions
    if any(_is_star(i) for i in items):
        if len(items) == 1 and isinstance(items[0], exp.Star) and holder is select:
            return exp.Var(this=f"#{position}")
        return (
            "ORDER BY a position (or ALL) of a select list with * beside other items or under a set operation"
        )
    if not 1 <= position <= len(items):
        return None
    item = items[position - 1]
    if isinstance(holder, exp.SetOperation):
        name = (
            item.alias if isinstance(item, exp.Alias) else item.name if isinstance(item, exp.Column) else ""
        )
        if not name:
            return "ORDER BY a position of a set operation whose first branch leaves that column unnamed"
        return exp.column(exp.to_identifier(name, quoted=True))
    value = item.this if isinstance(item, exp.Alias) else item
    if value.find(*NONDETERMINISTIC):
        return "ORDER BY the position of a non-deterministic expression (order by its alias instead)"
    return value.copy()


def _outputs(holder: exp.Expr) -> int | None:
    select = _first_select(holder)
    if not isinstance(select, exp.Select) or any(_is_star(i) for i in select.expressions):
        return None
    return len(select.expressions)


def _keys(order: exp.Order) -> list[exp.Ordered] | str | None:
    """The order's keys with positions and ALL named; a reason if one cannot be; None if none is there."""
    holder = order.parent
    if not isinstance(holder, exp.Select | exp.SetOperation):
        return None
    if not any(_position(o) is not None or _is_all(o) for o in order.expressions):
        return None
    keys: list[exp.Ordered] = []
    for ordered in order.expressions:
        position = _position(ordered)
        positions = [position] if position is not None else []
        if _is_all(ordered):
            count = _outputs(holder)
            if count is None:
                return "ORDER BY ALL over *"
            positions = list(range(1, count + 1))
        if not positions:
            keys.append(ordered.copy())
            continue
        for position in positions:
            key = _key(holder, position)
            if isinstance(key, str):
                return key
            named = ordered.copy()
            if key is not None:
                named.set("this", key)
            keys.append(named)
    return keys


def _order_reads(order: exp.Order, select: exp.Select) -> list[tuple[exp.Column, exp.Expr]]:
    named = aliases(select)
    # a bare name is left alone: DuckDB reads the alias first there, as Spark does
    keys = [o.this for o in order.expressions if not isinstance(o.this, exp.Column)] if named else []
    return [read for key in keys for read in alias_reads(key, named)]


def _having_reads(select: exp.Select) -> list[tuple[exp.Column, exp.Expr]]:
    having = select.args.get("having")
    if not isinstance(having, exp.Having):
        return []
    # Spark reads a grouping column before an alias of its name (DuckDB too): those stay names
    group = select.args.get("group")
    grouped = {c.name.lower() for c in group.expressions if isinstance(c, exp.Column)} if group else set()
    named = {name: value for name, value in aliases(select).items() if name not in grouped}
    return alias_reads(having, named) if named else []


def unnamed_position(order: exp.Expr) -> str | None:
    """Why an ``ORDER BY`` position, ``ALL`` or alias cannot be written as a key (refused), or None."""
    if not isinstance(order, exp.Order):
        return None
    keys = _keys(order)
    if isinstance(keys, str):
        return keys
    select = order.parent
    return (
        nondeterministic_refusal(_order_reads(order, select), "ORDER BY an expression")
        if isinstance(select, exp.Select)
        else None
    )


@gated(types=(exp.Order,))
def name_order_positions(tree: exp.Expr) -> exp.Expr:
    for order in list(tree.find_all(exp.Order)):
        keys = _keys(order)
        if isinstance(keys, list):
            order.set("expressions", keys)
        if isinstance(order.parent, exp.Select):
            write_in_place(_order_reads(order, order.parent))
    return tree


def having_refusal(having: exp.Expr) -> str | None:
    """Why a ``HAVING`` alias cannot be written as its expression (refused), or None."""
    select = having.parent
    if not isinstance(select, exp.Select):
        return None
    return nondeterministic_refusal(_having_reads(select), "HAVING")


@gated(types=(exp.Having,))
def name_having_aliases(tree: exp.Expr) -> exp.Expr:
    for select in list(tree.find_all(exp.Select)):
        write_in_place(_having_reads(select))
    return tree
