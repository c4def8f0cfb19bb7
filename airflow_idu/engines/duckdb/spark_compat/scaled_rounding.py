"""``ceil``/``ceiling``/``floor`` with a literal scale: Spark's ``RoundCeil``/``RoundFloor``.

Spark rounds the exact decimal value of an integer or a DECIMAL up (down) to ``scale`` decimals
(a negative scale: to tens, hundreds...) and types it ``DECIMAL(p - s + min(scale, s) + 1,
min(scale, s))`` (an integer counts as ``DECIMAL(10|20, 0)``; a negative scale gives scale 0).
The engine computes the same value with Python's ``Decimal`` (``ROUND_CEILING``/``ROUND_FLOOR``) and
types it ``DECIMAL(38, min(scale, s))``: the same scale, so the same values in a wider DECIMAL. The
input's scale ``s`` must be known where the scale argument is positive: a literal number, or an
integer (``s`` = 0) when run; a DECIMAL column with a positive scale argument is refused when run,
so is a DOUBLE (Spark first rounds it into ``DECIMAL(30,15)``). ``floor``/``ceil`` of a DECIMAL literal
without a scale is the same with scale 0 (of a column: functions.py, which refuses a DECIMAL).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from typing import TYPE_CHECKING

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import replace_each
from airflow_idu.engines.duckdb.spark_compat.python_functions import register_udf

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "ANONYMOUS",
    "CHECKS",
    "FUNCTIONS",
    "SCALED_ROUNDING_MACROS",
    "anonymous_check",
    "register_scaled_rounding",
    "round_to_scale",
    "scaled_rounding",
]


def round_to_scale(value: str | None, scale: int | None, up: bool | None) -> str | None:
    """``value`` (exact decimal text) rounded up or down to ``scale`` decimals, as plain text."""
    if value is None or scale is None or up is None:
        return None
    number = Decimal(value)
    with localcontext() as context:
        context.prec = len(number.as_tuple().digits) + abs(scale) + 2
        rounded = number.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_CEILING if up else ROUND_FLOOR)
    return format(rounded, "f")


def _scale(node: exp.Expr | None) -> int | None:
    negative = isinstance(node, exp.Neg)
    literal = node.this if isinstance(node, exp.Neg) else node
    if isinstance(literal, exp.Literal) and not literal.is_string and literal.this.isdigit():
        return -int(literal.this) if negative else int(literal.this)
    return None


def _check(node: exp.Expr) -> str | None:
    if node.args.get("to") is not None:
        return "floor/ceil to a unit"
    decimals = node.args.get("decimals")
    if decimals is not None and _scale(decimals) is None:
        return "floor/ceil with a scale that is not an integer literal"
    return None


CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {exp.Floor: _check, exp.Ceil: _check}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset()
ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {}


def anonymous_check(node: exp.Anonymous) -> str | None:
    return None


def _literal_scale(node: exp.Expr) -> int | None:
    """The scale of a literal number (sqlglot keeps its text), None for anything else."""
    literal = node.this if isinstance(node, exp.Neg) else node
    if isinstance(literal, exp.Literal) and not literal.is_string and "e" not in literal.this.lower():
        return len(literal.this.split(".", 1)[1]) if "." in literal.this else 0
    return None


def _build(node: exp.Expr) -> exp.Expr:
    scale = _scale(node.args.get("decimals"))
    literal = node.this.this if isinstance(node.this, exp.Neg) else node.this
    if (
        scale is None
        and isinstance(literal, exp.Literal)
        and "." in literal.this
        and "e" not in literal.this.lower()
    ):
        scale = 0  # a DECIMAL literal: Spark's floor/ceil(x) is floor/ceil(x, 0)
    if scale is None:
        return node  # no scale: functions.py's floor/ceil
    value, up = node.this.copy(), exp.Boolean(this=isinstance(node, exp.Ceil))
    known = _literal_scale(node.this)
    if scale > 0 and known is not None:
        rounded = _call("idu_round_text", value, exp.Literal.number(scale), up)
        return exp.Cast(this=rounded, to=exp.DataType.build(f"DECIMAL(38, {min(scale, known)})"))
    return _call("idu_scaled_round", value, exp.Literal.number(scale), up)


@gated(types=(exp.Floor, exp.Ceil))
def scaled_rounding(tree: exp.Expr) -> exp.Expr:
    """Rewrite floor/ceil with a scale (innermost first), before functions.py's floor/ceil."""
    nodes = list(tree.find_all(exp.Floor, exp.Ceil))
    return replace_each(tree, reversed(nodes), _build)


_INTEGERS = "('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT')"

SCALED_ROUNDING_MACROS: tuple[str, ...] = (
    _macro(
        "idu_round_text(x, t, up)",
        "CASE WHEN x IS NULL THEN NULL ELSE idu_round_to_scale(CAST(x AS VARCHAR), t, up) END",
    ),
    # to a scale <= 0 (any integer or DECIMAL), or > 0 of an integer: the result's scale is 0
    _macro(
        "idu_scaled_round(x, t, up)",
        "CASE WHEN typeof(x) LIKE 'DECIMAL%' AND t > 0 THEN error('[IDU_REFUSED] floor/ceil of a DECIMAL column "
        "with a positive scale (Spark keeps the smaller of the two scales, unknown to the translation)') "
        f"WHEN x IS NULL THEN NULL WHEN typeof(x) IN {_INTEGERS} OR typeof(x) LIKE 'DECIMAL%' "
        "THEN CAST(idu_round_to_scale(CAST(x AS VARCHAR), least(t, 0), up) AS DECIMAL(38, 0)) "
        "ELSE error('[IDU_REFUSED] floor/ceil with a scale of a DOUBLE (Spark first rounds it to DECIMAL(30,15))') END",
    ),
)


def register_scaled_rounding(con: duckdb.DuckDBPyConnection) -> None:
    """Register ``idu_round_to_scale`` on ``con``; again is harmless."""
    from duckdb import sqltypes as t

    register_udf(con, "idu_round_to_scale", round_to_scale, [t.VARCHAR, t.INTEGER, t.BOOLEAN], t.VARCHAR)
