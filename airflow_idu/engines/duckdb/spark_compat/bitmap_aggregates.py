"""Spark's bitmap aggregates: ``bitmap_construct_agg``, ``bitmap_or_agg`` and ``bitmap_and_agg``.

Spark's ``BitmapExpressionUtils``: a bitmap is a BINARY of 4096 bytes (32768 bits), bit position
``p`` being bit ``p % 8`` (least significant first) of byte ``p / 8``. Each aggregate starts from
4096 zero bytes (``bitmap_and_agg``: 0xFF bytes), so an empty group answers those.

* ``bitmap_construct_agg(p)`` sets bit ``p`` of each non-NULL position; one outside 0 .. 32767 fails
  with ``INVALID_BITMAP_POSITION``. DuckDB's ``bitstring_agg`` numbers its bits most significant
  first, so the position is mirrored within its byte.
* ``bitmap_or_agg(b)`` ORs each non-NULL BINARY's first 4096 bytes into the result (a shorter one
  leaves the rest), ``bitmap_and_agg(b)`` ANDs them and clears the bytes past a shorter one: both
  are the input padded with zero bytes (or cut) to 4096 bytes, ORed/ANDed as DuckDB BIT strings.

OR and AND are commutative and associative, so the result is the same whatever Spark's partitions:
the bytes are exactly Spark's. As window functions they are refused (translate time).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import replace_each

__all__ = ["ANONYMOUS", "BITMAP_MACROS", "CHECKS", "FUNCTIONS", "anonymous_check", "bitmap_aggregates"]

_NAMES: dict[type[exp.Expr], str] = {
    exp.BitmapConstructAgg: "bitmap_construct_agg",
    exp.BitmapOrAgg: "bitmap_or_agg",
}
_AND = "bitmap_and_agg"


def _window_check(name: str) -> Callable[[exp.Expr], str | None]:
    def check(node: exp.Expr) -> str | None:
        if isinstance(node.parent, exp.Window):
            return f"{name} as a window function"
        if any(isinstance(a, exp.Distinct) for a in node.iter_expressions()):
            return f"{name} of DISTINCT values"
        if len(list(node.iter_expressions())) != 1:
            return f"{name} with other than one argument"
        return None

    return check


ANONYMOUS: frozenset[str] = frozenset({_AND})


def anonymous_check(node: exp.Anonymous) -> str | None:
    return _window_check(_AND)(node) if node.name.lower() == _AND else None


CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {
    kind: _window_check(name) for kind, name in _NAMES.items()
}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset(CHECKS)
_MACRO_OF: dict[type[exp.Expr], str] = {
    exp.BitmapConstructAgg: "idu_bitmap_construct_agg",
    exp.BitmapOrAgg: "idu_bitmap_or_agg",
}


def _build(node: exp.Expr) -> exp.Expr:
    argument = next(node.iter_expressions()).copy()
    if isinstance(node, exp.Anonymous):
        return _call("idu_bitmap_and_agg", argument)
    return _call(_MACRO_OF[type(node)], argument)


def bitmap_aggregates(tree: exp.Expr) -> exp.Expr:
    """Rewrite the three bitmap aggregates into the macros below."""
    nodes = [
        n for n in tree.find_all(exp.Anonymous, *_MACRO_OF)
        if type(n) in _MACRO_OF or (isinstance(n, exp.Anonymous) and n.name.lower() == _AND)
    ]  # fmt: skip
    return replace_each(tree, reversed(nodes), _build)


_BYTES = 4096
# a BINARY as 4096 bytes: cut, or padded with zero bytes (hex digits '0')
_PADDED = f"CAST(from_hex(rpad(hex(b), {2 * _BYTES}, '0')) AS BIT)"

BITMAP_MACROS: tuple[str, ...] = (
    _macro(
        "idu_bitmap_construct_agg(p)",
        "CASE WHEN bool_or(p < 0 OR p > 32767) THEN error('[INVALID_BITMAP_POSITION] The 0-indexed bitmap "
        "position ' || min(CASE WHEN p < 0 OR p > 32767 THEN p END) || ' is out of bounds. The bitmap has 32768 "
        "bits (4096 bytes). SQLSTATE: 22003') ELSE coalesce(CAST(bitstring_agg(CASE WHEN p >= 0 AND p <= 32767 "
        f"THEN p + 7 - 2 * (p % 8) END, 0, 32767) AS BLOB), from_hex(repeat('00', {_BYTES}))) END",
    ),
    _macro(
        "idu_bitmap_or_agg(b)",
        f"coalesce(CAST(bit_or({_PADDED}) AS BLOB), from_hex(repeat('00', {_BYTES})))",
    ),
    _macro(
        "idu_bitmap_and_agg(b)",
        f"coalesce(CAST(bit_and({_PADDED}) AS BLOB), from_hex(repeat('FF', {_BYTES})))",
    ),
)
