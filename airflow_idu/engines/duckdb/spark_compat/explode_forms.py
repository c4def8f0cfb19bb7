"""``posexplode``'s position as Spark's ``INT``, and the ``OUTER`` forms of explode.

sqlglot writes the position as DuckDB's ``GENERATE_SUBSCRIPTS(a, 1) - 1`` or ``WITH ORDINALITY``
column, both ``BIGINT``: the values are the same, but arithmetic on them then overflowed where Spark's
``INT`` does not (``p * 2000000000`` gave values where Spark raises ``ARITHMETIC_OVERFLOW``). The three
forms Spark has are written here as those DuckDB constructs, with the position cast to ``INT``: in the
select list (``posexplode(a) AS (p, v)``), as a table (``FROM posexplode(a) AS x(p, v)``) and as
``LATERAL VIEW posexplode(a) t AS p, v`` (every ``LATERAL VIEW`` of that select is then written as
the join sqlglot would print, in order, since a later one may read an earlier one's columns).

``explode_outer(a)`` and ``LATERAL VIEW OUTER explode/posexplode(a)`` keep a row of NULLs for a NULL
or empty array, where ``UNNEST`` keeps none: the array unnested is ``coalesce(nullif(a, []), [NULL])``
(one NULL element for those rows), and the position of that element is NULL, as Spark's.
"""

from __future__ import annotations

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated

__all__ = ["explode_forms", "lateral_refusal"]

_DEFAULT_NAMES = ("pos", "col")  # Spark's names when the query gives none


def _names(given: list[exp.Expr]) -> tuple[exp.Identifier, exp.Identifier] | None:
    names = [exp.to_identifier(n.name) for n in given] or [exp.to_identifier(n) for n in _DEFAULT_NAMES]
    return (names[0], names[1]) if len(names) == 2 else None  # a map's three columns: left to sqlglot


def _outer_array(array: exp.Expr) -> exp.Expr:
    """The array an OUTER explode unnests: one NULL element where ``array`` is NULL or empty."""
    kept = exp.Nullif(this=array.copy(), expression=exp.Array(expressions=[]))
    return exp.Coalesce(this=kept, expressions=[exp.Array(expressions=[exp.null()])])


def _outer_select_items(select: exp.Select) -> None:
    for node in select.expressions:
        explode = node.this if isinstance(node, exp.Alias) else node
        if isinstance(explode, exp.ExplodeOuter) and not isinstance(explode, exp.Posexplode):
            unnested = exp.Explode(this=_outer_array(explode.this))
            # Spark names an unaliased generator's column col
            explode.replace(unnested if explode is not node else exp.alias_(unnested, "col"))


def _items(array: exp.Expr, position: exp.Identifier, value: exp.Identifier) -> list[exp.Expr]:
    subscripts = exp.Anonymous(this="GENERATE_SUBSCRIPTS", expressions=[array.copy(), exp.Literal.number(1)])
    index = exp.cast(exp.Sub(this=subscripts, expression=exp.Literal.number(1)), exp.DataType.build("INT"))
    return [exp.alias_(index, position), exp.alias_(exp.Unnest(expressions=[array.copy()]), value)]


def _select_items(select: exp.Select) -> None:
    items: list[exp.Expr] = []
    changed = False
    for item in select.expressions:
        explode = item.this if isinstance(item, exp.Aliases) else item
        names = _names(item.expressions if isinstance(item, exp.Aliases) else [])
        if isinstance(explode, exp.Posexplode) and not isinstance(explode, exp.PosexplodeOuter) and names:
            items.extend(_items(explode.this, *names))
            changed = True
        else:
            items.append(item)
    if changed:
        select.set("expressions", items)


def _table(table: exp.Table) -> None:
    explode = table.this
    alias = table.args.get("alias")
    names = _names(list(alias.columns) if alias else [])
    if not isinstance(explode, exp.Posexplode) or isinstance(explode, exp.PosexplodeOuter) or not names:
        return
    name = alias.this.copy() if alias and alias.this else None
    subquery = exp.Subquery(
        this=exp.Select(expressions=_items(explode.this, *names)),
        alias=exp.TableAlias(this=name) if name else None,
    )
    table.replace(subquery)


def _lateral_join(lateral: exp.Lateral) -> exp.Join:
    """The join sqlglot prints for a ``LATERAL VIEW`` of explode or posexplode, the position an INT,
    an OUTER view's NULL or empty array a row of NULLs."""
    explode, alias, outer = lateral.this, lateral.args["alias"], _is_outer(lateral)
    array = _outer_array(explode.this) if outer else explode.this.copy()
    if not isinstance(explode, exp.Posexplode):  # exp.Posexplode is an exp.Explode
        return exp.Join(this=exp.Unnest(expressions=[array], alias=alias.copy()), kind="CROSS")
    position, value = alias.columns[0], alias.columns[1]
    ordinality = exp.Column(this=position.copy())
    index: exp.Expr = exp.cast(
        exp.Sub(this=ordinality, expression=exp.Literal.number(1)), exp.DataType.build("INT")
    )
    if outer:  # the NULL element standing for a NULL or empty array has no position
        empty = exp.Nullif(this=explode.this.copy(), expression=exp.Array(expressions=[])).is_(exp.null())
        index = exp.Case(ifs=[exp.If(this=empty, true=exp.null())], default=index)
    subquery = exp.select(exp.alias_(index, position.copy()), exp.Column(this=value.copy())).from_(
        exp.Unnest(
            expressions=[array],
            offset=True,
            alias=exp.TableAlias(this=alias.this.copy(), columns=[value.copy(), position.copy()]),
        )
    )
    return exp.Join(this=exp.Lateral(this=subquery.subquery()), kind="CROSS")


def _is_outer(lateral: exp.Expr) -> bool:
    """``LATERAL VIEW OUTER f(a)`` or ``LATERAL VIEW explode_outer(a)``: a NULL or empty array keeps
    a row."""
    return bool(lateral.args.get("outer")) or isinstance(lateral.this, exp.ExplodeOuter)


def _convertible(lateral: exp.Expr) -> bool:
    """An explode of an array (one column) or a posexplode of one (two), OUTER or not: the forms
    ``_lateral_join`` writes."""
    explode, alias = lateral.this, lateral.args.get("alias")
    if not isinstance(lateral, exp.Lateral) or not isinstance(alias, exp.TableAlias):
        return False
    if type(explode) is exp.Posexplode:
        return len(alias.columns) == 2
    return type(explode) in (exp.Explode, exp._ExplodeOuter) and len(alias.columns) == 1


def _needs_join(laterals: list[exp.Expr]) -> bool:
    """sqlglot's own join would drop the NULL rows of an OUTER view or type a position BIGINT."""
    return any(isinstance(v.this, exp.Posexplode) or _is_outer(v) for v in laterals)


def lateral_refusal(lateral: exp.Expr) -> str | None:
    """Why an OUTER ``LATERAL VIEW`` cannot run as Spark runs it (sqlglot's join would drop its NULL
    rows), or None; allowed.py's check."""
    select = lateral.parent
    laterals = (select.args.get("laterals") or []) if isinstance(select, exp.Select) else [lateral]
    if not _is_outer(lateral) or all(_convertible(v) for v in laterals):
        return None
    return (
        "LATERAL VIEW OUTER (or explode_outer) of a map, or beside a LATERAL VIEW that the engine "
        "cannot write as a join"
    )


def _laterals(select: exp.Select) -> None:
    laterals = select.args.get("laterals") or []
    if not _needs_join(laterals) or not all(_convertible(v) for v in laterals):
        return  # another LATERAL VIEW beside it: left to sqlglot (lateral_refusal refuses an OUTER one)
    joins = [*(select.args.get("joins") or []), *(_lateral_join(v) for v in laterals)]
    select.set("laterals", None)
    select.set("joins", joins)


@gated(types=(exp.ExplodeOuter, exp.Posexplode, exp.Lateral))
def explode_forms(tree: exp.Expr) -> exp.Expr:
    for select in list(tree.find_all(exp.Select)):
        _outer_select_items(select)
        _select_items(select)
        _laterals(select)
    for table in list(tree.find_all(exp.Table)):
        _table(table)
    return tree
