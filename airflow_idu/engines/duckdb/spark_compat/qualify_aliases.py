"""``QUALIFY rn = 1`` naming a window function's alias, as Spark reads it.

Spark filters on ``QUALIFY`` above the window it computes: a name there reads the window's output
first, which holds the window functions' aliases and only the source columns the select list reads.
So the alias wins over a source column of its name that the select list does not read, and a name
that is both (read by the select list, or possibly under ``*``) fails with
``AMBIGUOUS_REFERENCE``. DuckDB reads the source column first, and refuses the alias of an
expression with side effects (our window guards raise Spark's errors): the window expression is
written in the place of the name, or the form is refused where Spark's reading depends on columns
the translator cannot see. Other aliases are left to DuckDB, which reads them as Spark does (the
source column first).
"""

from __future__ import annotations

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.select_aliases import (
    Reads,
    alias_reads,
    aliases,
    nondeterministic_refusal,
    write_in_place,
)

__all__ = ["name_qualify_aliases", "qualify_refusal"]


def _window_reads(select: exp.Select) -> Reads:
    qualify = select.args.get("qualify")
    if not isinstance(qualify, exp.Qualify):
        return []
    windows = {name: value for name, value in aliases(select).items() if value.find(exp.Window)}
    return alias_reads(qualify, windows) if windows else []


def _select_list_reads(select: exp.Select) -> tuple[set[str], bool]:
    """The column names the select list reads (its windows included, its subqueries not), and
    whether it has a ``*`` (``count(*)`` is no such item)."""
    names: set[str] = set()
    star = False
    for item in select.expressions:
        if isinstance(item, exp.Star) or (isinstance(item, exp.Column) and item.is_star):
            star = True
            continue
        for node in item.walk(prune=lambda n: isinstance(n, exp.Select | exp.Subquery)):
            if isinstance(node, exp.Column):
                names.add(node.name.lower())
    return names, star


def qualify_refusal(qualify: exp.Expr) -> str | None:
    """Why a window alias in ``QUALIFY`` cannot be written as its expression (refused), or None."""
    select = qualify.parent
    if not isinstance(select, exp.Select):
        return None
    reads = _window_reads(select)
    if not reads:
        return None
    names, star = _select_list_reads(select)
    if star:
        return (
            "QUALIFY naming a window function's alias beside * (Spark fails with AMBIGUOUS_REFERENCE "
            "when the source has a column of that name, which the translator cannot see): write the "
            "window function in QUALIFY itself, or list the columns"
        )
    both = sorted({c.name for c, _ in reads if c.name.lower() in names})
    if both:
        return (
            f"QUALIFY naming {both[0]!r}, both a window function's alias and a column the select list "
            "reads (Spark fails with AMBIGUOUS_REFERENCE): rename the alias"
        )
    return nondeterministic_refusal(reads, "QUALIFY")


@gated(types=(exp.Qualify,))
def name_qualify_aliases(tree: exp.Expr) -> exp.Expr:
    for select in list(tree.find_all(exp.Select)):
        write_in_place(_window_reads(select))
    return tree
