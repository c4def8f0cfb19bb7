"""The select list's aliases read in a later clause (``ORDER BY``, ``HAVING``, ``QUALIFY``).

Where Spark reads an alias and DuckDB would read a source column, or refuses the alias of an
expression with side effects (our macros raise Spark's errors), the alias's expression is written in
the place of the name. These helpers find such reads and write them; the clause modules decide which
aliases a clause reads (order_positions.py, qualify_aliases.py).
"""

from __future__ import annotations

from sqlglot import exp

__all__ = [
    "NONDETERMINISTIC",
    "Reads",
    "alias_reads",
    "aliases",
    "nondeterministic_refusal",
    "write_in_place",
]

# written twice, such an expression would give two values where Spark computes one
NONDETERMINISTIC = (exp.Rand, exp.Randn, exp.Uuid, exp.Shuffle)

Reads = list[tuple[exp.Column, exp.Expr]]


def aliases(select: exp.Select) -> dict[str, exp.Expr]:
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


def own_columns(root: exp.Expr) -> list[exp.Column]:
    """The columns read in ``root``'s own scope, not inside a subquery or a window under it (one walk
    down; a walk up from each column would cost the depth of an AND chain per column)."""
    scoped = (exp.Select, exp.Subquery, exp.Window)
    walk = root.walk(prune=lambda n: n is not root and isinstance(n, scoped))
    return [n for n in walk if isinstance(n, exp.Column)]


def alias_reads(root: exp.Expr, named: dict[str, exp.Expr]) -> Reads:
    """Each column under ``root``, in its own scope, that names an alias, with the alias's expression."""
    return [(c, named[c.name.lower()]) for c in own_columns(root) if not c.table and c.name.lower() in named]


def nondeterministic_refusal(reads: Reads, what: str) -> str | None:
    if any(value.find(*NONDETERMINISTIC) for _, value in reads):
        return f"{what} naming the alias of a non-deterministic expression"
    return None


def write_in_place(reads: Reads) -> None:
    for column, value in reads:
        column.replace(exp.paren(value.copy()))  # written in its place: parenthesised
