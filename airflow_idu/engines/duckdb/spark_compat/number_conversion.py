"""``conv(num, from_base, to_base)`` for every literal base Spark accepts (2-36, a negative ``to_base``).

Spark's ``NumberConverter.convert``, as a Python function on the connection: the text (a number
argument printed as Spark prints it) trimmed of spaces, an optional leading ``-``, then the ASCII
digits and letters valid in ``from_base`` up to the first byte that is not one, read as an unsigned
64-bit value (past 64 bits: ANSI's ``ARITHMETIC_OVERFLOW``); a negative input is its two's
complement for a positive ``to_base`` (-1 when the value is 2^63 or more); for a negative
``to_base`` the value is read as a signed long, printed with a ``-`` when negative or when the input
was. Digits are upper case; an empty text or a base outside 2-36 is NULL. Bases 10 and 16 to 10, -10
and 16 stay the SQL macro ``conv`` (the same rules, no Python call per row).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.conv_macros import CONV_BASES
from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.more_functions import text
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import is_string_cast, replace_each, rewrite_calls
from airflow_idu.engines.duckdb.spark_compat.plain_args import plain_call
from airflow_idu.engines.duckdb.spark_compat.python_functions import register_udf

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "ANONYMOUS",
    "CHECKS",
    "FUNCTIONS",
    "anonymous_check",
    "conv",
    "number_conversion",
    "register_conv",
]

_U64 = 1 << 64
_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _read(digits: str, base: int) -> int:
    value = 0
    for ch in digits:
        digit = int(ch, 36) if ch.isascii() and ch.isalnum() else -1
        if not 0 <= digit < base:
            break
        value = value * base + digit
        if value >= _U64:
            raise ValueError("[ARITHMETIC_OVERFLOW] Overflow in function conv()")
    return value


def _signed(value: int) -> int:
    value %= _U64
    return value - _U64 if value >= 1 << 63 else value


def conv(number: str | None, from_base: int | None, to_base: int | None) -> str | None:
    if number is None or from_base is None or to_base is None:
        return None
    if not (2 <= from_base <= 36 and 2 <= abs(to_base) <= 36):
        return None
    trimmed = number.strip(" ")
    if not trimmed:
        return None
    negative = trimmed.startswith("-")
    value = _signed(_read(trimmed[1:] if negative else trimmed, from_base))
    if negative and to_base > 0:
        value = -1 if value < 0 else -value
    if to_base < 0 and value < 0:
        value, negative = _signed(-value), True
    unsigned, out = value % _U64, []
    while unsigned:
        unsigned, digit = divmod(unsigned, abs(to_base))
        out.append(_DIGITS[digit])
    return ("-" if negative and to_base < 0 else "") + ("".join(reversed(out)) or "0")


def _base(node: exp.Expr) -> int | None:
    negative = isinstance(node, exp.Neg)
    literal = node.this if negative else node
    if isinstance(literal, exp.Literal) and not literal.is_string and literal.this.isdigit():
        return -int(literal.this) if negative else int(literal.this)
    return None


def anonymous_check(node: exp.Anonymous) -> str | None:
    args = node.expressions
    if len(args) != 3 or _base(args[1]) is None or _base(args[2]) is None:
        return "conv with bases that are not integer literals"
    return None


# Spark's integer operators: DuckDB's result is an integer type, so conv(x, 10, 16) is hex of the two's
# complement (conv_macros.py, idu_conv_int_16)
_INTEGRAL = (exp.BitwiseXor, exp.BitwiseAnd, exp.BitwiseOr, exp.BitwiseNot)


def _integral(node: exp.Expr) -> exp.Expr | None:
    """The integer operator conv reads: ``x`` itself, or the ``x`` of ``CAST(x AS STRING)``, which is
    the same text (Spark prints the integer for conv either way)."""
    if is_string_cast(node):
        node = node.this
    return node if isinstance(node, _INTEGRAL) else None


def _conv(args: list[exp.Expr]) -> exp.Expr:
    # the bases the SQL macros (spark_compat/conv_macros.py) cover: kept there, in SQL (the canonical ids use
    # them), one macro per base pair
    name = CONV_BASES.get((_base(args[1]), _base(args[2])))  # type: ignore[arg-type]
    integral = _integral(args[0]) if name == "10_16" else None
    if integral is not None:
        return _call("idu_conv_int_16", integral)
    if name is not None:
        return plain_call(f"idu_conv_{name}", args[0])
    return _call("idu_conv", text(args[0]), args[1], args[2])


ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {"conv": _conv}
CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset()


_TEXT_CONVS = frozenset(
    {
        "idu_conv",
        "idu_conv_int_16",
        *(f"idu_conv_{name}{plain}" for name in CONV_BASES.values() for plain in ("", "_plain")),
    }
)
# conv to base 10 or -10 under CAST(... AS BIGINT): the macro that skips the text in between
_TO_BIGINT = {
    f"idu_conv_{n}{plain}": f"idu_conv_bigint_{n}{plain}"
    for (_, t), n in CONV_BASES.items()
    for plain in ("", "_plain")
    if t != 16
}


def _name(node: exp.Expr) -> str:
    return node.name.lower() if isinstance(node, exp.Anonymous) else ""


def _around_conv(node: exp.Expr) -> exp.Expr:
    """``upper(conv(...))`` is conv(...): its digits are upper case already. ``CAST(conv(x, b, 10 or
    -10) AS BIGINT)`` is one macro that skips the text in between (the same value, and DuckDB's own
    CAST error past BIGINT, as the CAST of conv's digits)."""
    if isinstance(node, exp.Upper) and _name(node.this) in _TEXT_CONVS:
        return node.this
    if (
        type(node) is exp.Cast
        and node.to.is_type(exp.DataType.Type.BIGINT)
        and _name(node.this) in _TO_BIGINT
    ):
        return _call(_TO_BIGINT[_name(node.this)], node.this.expressions[0].copy())
    return node


@gated(names=(*ANONYMOUS, *_TEXT_CONVS, *_TO_BIGINT))
def number_conversion(tree: exp.Expr) -> exp.Expr:
    """Rewrite conv (innermost first), before the other rewrites see it; then the calls around it."""
    tree = rewrite_calls(
        tree, by_type={}, by_name=ANONYMOUS, arguments=lambda n: [a.copy() for a in n.expressions]
    )
    return replace_each(
        tree, reversed(list(tree.find_all(exp.Upper, exp.Cast))), _around_conv
    )  # innermost first


def register_conv(con: duckdb.DuckDBPyConnection) -> None:
    """Register ``idu_conv`` on ``con``; again is harmless."""
    from duckdb import sqltypes as t

    register_udf(con, "idu_conv", conv, [t.VARCHAR, t.INTEGER, t.INTEGER], t.VARCHAR)
