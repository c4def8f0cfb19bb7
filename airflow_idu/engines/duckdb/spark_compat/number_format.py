"""``format_number(x, d)`` of an integer or a DECIMAL, as Spark's ``java.text.DecimalFormat`` prints it.

Spark formats with the pattern ``#,###,###,###,###,###,##0`` plus ``.`` and ``d`` zeros (Locale.US,
rounding half to even), NULL for a negative ``d``. An integer or a DECIMAL has an exact decimal
value (DuckDB's text of it), which Python's ``Decimal`` rounds half to even and groups by three the
same way; a negative value that rounds to zero keeps its ``-`` as Java's does. Refused: a DOUBLE
(Java rounds the digits of ``Double.toString``, not the exact value), a format pattern string.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import TYPE_CHECKING

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import rewrite_calls
from airflow_idu.engines.duckdb.spark_compat.number_to_char import number_to_char
from airflow_idu.engines.duckdb.spark_compat.python_functions import register_udf

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "ANONYMOUS",
    "CHECKS",
    "FUNCTIONS",
    "NUMBER_FORMAT_MACROS",
    "anonymous_check",
    "format_number",
    "number_format",
    "register_format_number",
]


def format_number(value: str | None, places: int | None) -> str | None:
    """``value`` (the exact text of an integer or a DECIMAL) with ``places`` decimals, grouped by three."""
    if value is None or places is None or places < 0:
        return None
    number = Decimal(value)
    with localcontext() as context:
        context.prec = len(number.as_tuple().digits) + places + 2
        rounded = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    text = f"{abs(rounded):,.{places}f}"
    return ("-" if number < 0 else "") + text


ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {
    "format_number": lambda a: _call("idu_format_number", a[0], a[1]),
}
CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset()


def anonymous_check(node: exp.Anonymous) -> str | None:
    args = node.expressions
    if len(args) != 2:
        return f"format_number with {len(args)} arguments"
    if isinstance(args[1], exp.Literal) and args[1].is_string:
        return "format_number with a format pattern (only a number of decimals)"
    return None


@gated(names=ANONYMOUS, like=(number_to_char,))
def number_format(tree: exp.Expr) -> exp.Expr:
    """Rewrite format_number and to_char/to_varchar (:mod:`.number_to_char`), innermost first, before the
    other rewrites see them."""
    tree = number_to_char(tree)
    return rewrite_calls(
        tree, by_type={}, by_name=ANONYMOUS, arguments=lambda n: [a.copy() for a in n.expressions]
    )


_INTEGERS = "('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT')"

NUMBER_FORMAT_MACROS: tuple[str, ...] = (
    _macro(
        "idu_format_number(x, d)",
        f"CASE WHEN x IS NULL OR d IS NULL THEN NULL WHEN typeof(d) NOT IN {_INTEGERS} THEN error('[IDU_REFUSED] format_number with a format that "
        f"is not a number of decimals') WHEN typeof(x) IN {_INTEGERS} OR typeof(x) LIKE 'DECIMAL%' THEN "
        "idu_format_exact(CAST(x AS VARCHAR), CAST(d AS INTEGER)) "
        "ELSE error('[IDU_REFUSED] format_number of a value that is not an integer or a DECIMAL (Java rounds "
        "a DOUBLE''s printed digits): CAST it to DECIMAL') END",
    ),
)


def register_format_number(con: duckdb.DuckDBPyConnection) -> None:
    """Register ``idu_format_exact`` on ``con``; again is harmless."""
    from duckdb import sqltypes as t

    register_udf(con, "idu_format_exact", format_number, [t.VARCHAR, t.INTEGER], t.VARCHAR)
