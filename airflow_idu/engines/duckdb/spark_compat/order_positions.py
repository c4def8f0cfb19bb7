"""``ORDER BY 2``, ``ORDER BY ALL`` and an alias inside an ``ORDER BY`` expression, as Spark reads them.

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

__all__ = ["having_refusal", "name_having_aliases", "name_order_positions", "unnamed_position"]

_NONDETERMINISTIC = (exp.Rand, exp.Randn, exp.Uuid, exp.Shuffle)


def _position(ordered: exp.Ordered) -> int | None:
    key = ordered.this
    if isinstance(key, exp.Literal) and not key.is_string and key.name.isdigit():
        return int(key.name)
    return None


def _is_all(ordered: exp.Ordered) -> bool:
    return isinstance(ordered.this, exp.Var) and ordered.this.name.upper() == "ALL"


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
    stars = [i for i in items if isinstance(i, exp.Star) or (isinstance(i, exp.Column) and i.is_star)]
    if stars:
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
    if value.find(*_NONDETERMINISTIC):
        return "ORDER BY the position of a non-deterministic expression (order by its alias instead)"
    return value.copy()


def _outputs(holder: exp.Expr) -> int | None:
    select = _first_select(holder)
    if not isinstance(select, exp.Select) or any(isinstance(i, exp.Star) for i in select.expressions):
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


def _aliases(select: exp.Select) -> dict[str, exp.Expr]:
    """The select list's aliases that name something else than the source column of that name."""
    named: dict[str, exp.Expr] = {}
    for item in select.expressions:
        if isinstance(item, exp.Alias) and not (
            isinstance(item.this, exp.Column)
            and not item.this.table
            and item.this.name.lower() == item.alias.lower()
        ):
            named.setdefault(item.alias.lower(), item.this)
    return named


def _own_scope(column: exp.Column, top: exp.Expr | None) -> bool:
    """The column is read in the ORDER BY's own scope, not inside a subquery or a window of it."""
    node = column.parent
    while node is not None and node is not top:
        if isinstance(node, exp.Select | exp.Subquery | exp.Window):
            return False
        node = node.parent
    return True


def _write_aliases(root: exp.Expr, aliases: dict[str, exp.Expr], what: str) -> str | None:
    """Write the aliases named under ``root`` as their expressions; a reason if one cannot be."""
    for column in list(root.find_all(exp.Column)):
        value = aliases.get(column.name.lower()) if not column.table else None
        if value is None or not _own_scope(column, root.parent):
            continue
        if value.find(*_NONDETERMINISTIC):
            return f"{what} naming the alias of a non-deterministic expression"
        column.replace(exp.paren(value.copy()))  # written in its place: parenthesised
    return None


def _alias_values(order: exp.Order, select: exp.Select) -> str | None:
    """Write aliases inside ORDER BY expressions as their expressions; a reason if one cannot be."""
    aliases = _aliases(select)
    for ordered in order.expressions if aliases else []:
        if isinstance(ordered.this, exp.Column):
            continue  # a bare name: DuckDB reads the alias first, as Spark does
        reason = _write_aliases(ordered.this, aliases, "ORDER BY an expression")
        if reason is not None:
            return reason
    return None


def _having_values(select: exp.Select) -> str | None:
    having = select.args.get("having")
    if not isinstance(having, exp.Having):
        return None
    # Spark reads a grouping column before an alias of its name (DuckDB too): those stay names
    group = select.args.get("group")
    grouped = {c.name.lower() for c in group.expressions if isinstance(c, exp.Column)} if group else set()
    aliases = {name: value for name, value in _aliases(select).items() if name not in grouped}
    return _write_aliases(having, aliases, "HAVING") if aliases else None


def unnamed_position(order: exp.Expr) -> str | None:
    """Why an ``ORDER BY`` position, ``ALL`` or alias cannot be written as a key (refused), or None."""
    if not isinstance(order, exp.Order):
        return None
    keys = _keys(order)
    if isinstance(keys, str):
        return keys
    select = order.parent
    return _alias_values(order.copy(), select) if isinstance(select, exp.Select) else None


def name_order_positions(tree: exp.Expr) -> exp.Expr:
    for order in list(tree.find_all(exp.Order)):
        keys = _keys(order)
        if isinstance(keys, list):
            order.set("expressions", keys)
        if isinstance(order.parent, exp.Select):
            _alias_values(order, order.parent)
    return tree


def having_refusal(having: exp.Expr) -> str | None:
    """Why a ``HAVING`` alias cannot be written as its expression (refused), or None."""
    select = having.parent
    return _having_values(select.copy()) if isinstance(select, exp.Select) else None


def name_having_aliases(tree: exp.Expr) -> exp.Expr:
    for select in list(tree.find_all(exp.Select)):
        _having_values(select)
    return tree
