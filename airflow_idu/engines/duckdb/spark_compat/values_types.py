"""A ``VALUES`` list's columns get Spark's type, or are refused.

Spark types each column of an inline table (``VALUES (1, 'a'), (2.5, 'b')``, alone, in ``FROM`` or
in ``INSERT``) as the wider common type of its rows without promoting a STRING
(``findWiderTypeWithoutStringPromotion``, ``ResolveInlineTables``), and fails the query where there
is none (``INCOMPATIBLE_TYPES_IN_INLINE_TABLE``): an INT with a STRING, a BOOLEAN with a number, a
DATE with a STRING. DuckDB joins the rows its own way: it casts the text ``'7'`` to the first row's
INTEGER and turns ``true`` into 1, where Spark fails. (Spark widens here by its non-ANSI rule even
under ANSI: a FLOAT beside integers stays FLOAT, beside a DECIMAL it is DOUBLE.) Where every value's
type is known from the text (literals, CASTs), Spark's casts are written into the rows where
DuckDB's join would differ, and a column Spark has no type for is refused naming its line; a row
holding an expression of a type known only when run leaves its column as DuckDB joins it, refused
where a STRING or BOOLEAN literal meets it (Spark would not promote the text).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.unify import duck_agrees
from airflow_idu.engines.duckdb.spark_compat.unify_types import spark_type, wider_all

__all__ = ["ANONYMOUS", "CHECKS", "FUNCTIONS", "values_types"]


def _columns(node: exp.Values) -> list[list[exp.Expr]] | None:
    """The values of each column, or None where a row is not a tuple of the same width."""
    rows = [r.expressions if isinstance(r, exp.Tuple) else [r] for r in node.expressions]
    if not rows or any(len(r) != len(rows[0]) for r in rows):
        return None
    return [list(column) for column in zip(*rows, strict=True)]


_INTEGRAL = {"TINYINT", "SMALLINT", "INT", "BIGINT"}


def _target(types: list[str | None]) -> str | None:
    """Spark's type of an inline table's column: ``findWiderTypeWithoutStringPromotion`` of the
    rows, by the non-ANSI rule even under ANSI (local Spark 4: a FLOAT beside integers stays FLOAT,
    where ANSI's constructors give DOUBLE; beside a DECIMAL it is DOUBLE)."""
    target = wider_all(types, strings=False)
    kinds = {t for t in types if t != "NULL"}
    if target == "DOUBLE" and "FLOAT" in kinds and kinds <= _INTEGRAL | {"FLOAT"}:
        return "FLOAT"
    return target


def _check(node: exp.Expr) -> str | None:
    columns = _columns(node) if isinstance(node, exp.Values) else None
    if not columns or len(node.expressions) < 2:
        return None
    for number, column in enumerate(columns, 1):
        types = [spark_type(v) for v in column]
        known = [t for t in types if t is not None]
        if len(known) == len(types) and _target(types) is None:
            return (
                f"column {number} holds {', '.join(dict.fromkeys(types))}: Spark has no common type for them "  # type: ignore[arg-type]
                "(INCOMPATIBLE_TYPES_IN_INLINE_TABLE: no STRING is promoted); CAST them to one type"
            )
        if len(known) < len(types) and {"STRING", "BOOLEAN", "BINARY"} & set(known):
            return (
                f"column {number} holds a {'/'.join(sorted({'STRING', 'BOOLEAN', 'BINARY'} & set(known)))} "
                "beside a value whose type is known only when run: Spark does not promote it as DuckDB "
                "does; CAST the values to one type"
            )
    return None


def _cast(value: exp.Expr, kind: str) -> exp.Expr:
    return exp.Cast(this=value, to=exp.DataType.build(kind, dialect="databricks"))


def _typed(node: exp.Expr) -> exp.Expr:
    columns = _columns(node) if isinstance(node, exp.Values) else None
    if not columns or len(node.expressions) < 2:
        return node
    for column in columns:
        types = [spark_type(v) for v in column]
        if None in types:
            continue
        target = _target(types)
        if target is None or duck_agrees([t for t in types if t is not None]):
            continue
        for value, kind in zip(column, types, strict=True):
            if kind not in (target, "NULL"):
                value.replace(_cast(value.copy(), target))
    return node


@gated(types=(exp.Values,))
def values_types(tree: exp.Expr) -> exp.Expr:
    """Spark's casts into the rows of every ``VALUES`` list whose DuckDB join would differ."""
    for node in list(tree.find_all(exp.Values)):
        _typed(node)
    return tree


FUNCTIONS: frozenset[type[exp.Expr]] = frozenset()
ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {}
CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {exp.Values: _check}
