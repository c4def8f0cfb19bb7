"""Spark's bitmap aggregates: ``bitmap_construct_agg``, ``bitmap_or_agg`` and ``bitmap_and_agg``.

Spark's ``BitmapExpressionUtils``: a bitmap is a BINARY of 4096 bytes (32768 bits), bit position
``p`` being bit ``p % 8`` (least significant first) of byte ``p / 8``. Each aggregate starts from
4096 zero bytes (``bitmap_and_agg``: 0xFF bytes), so an empty group answers those.

* ``bitmap_construct_agg(p)`` sets bit ``p`` of each non-NULL position; one outside 0 .. 32767 fails
  with ``INVALID_BITMAP_POSITION``. DuckDB's ``bitstring_agg`` numbers its bits most significant
  first, so the position is mirrored within its byte.
* ``bitmap_or_agg(b)`` ORs each non-NULL BINARY's first 4096 bytes into the result (a shorter one
  leaves the rest), ``bitmap_and_agg(b)`` ANDs them and clears the bytes past a shorter one: both
  are the input padded with zero bytes (or cut) to 4096 bytes. The distinct bitmaps (``list(DISTINCT
  b)``: OR and AND are idempotent) are merged in Python as little-endian integers; padding each row
  in SQL goes through an 8192-character string (85 us a row).

OR and AND are commutative and associative, so the result is the same whatever Spark's partitions:
the bytes are exactly Spark's. As window functions they are refused (translate time).
"""

from __future__ import annotations

from collections.abc import Callable
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
    "BITMAP_MACROS",
    "CHECKS",
    "FUNCTIONS",
    "anonymous_check",
    "bitmap_aggregates",
    "bitmap_merge",
    "register_bitmap_merge",
]

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


def _build(node: exp.Expr) -> exp.Expr:
    argument = next(node.iter_expressions()).copy()
    if isinstance(node, exp.BitmapConstructAgg):
        return _call("idu_bitmap_construct_agg", argument)
    # the distinct bitmaps (OR and AND are idempotent) merged in Python: DuckDB pads a BINARY to 4096 bytes
    # only through 8192-character strings (85 us a row), Python ORs/ANDs them as integers
    distinct = _call("list", exp.Distinct(expressions=[argument]))
    return _call(
        "idu_bitmap_merge", distinct, exp.Literal.string("or" if isinstance(node, exp.BitmapOrAgg) else "and")
    )


@gated(types=_NAMES, names=(_AND,))
def bitmap_aggregates(tree: exp.Expr) -> exp.Expr:
    """Rewrite the three bitmap aggregates into the macro below and the Python merge."""
    nodes = [
        n for n in tree.find_all(exp.Anonymous, *_NAMES)
        if type(n) in _NAMES or (isinstance(n, exp.Anonymous) and n.name.lower() == _AND)
    ]  # fmt: skip
    return replace_each(tree, reversed(nodes), _build)


_BYTES = 4096

BITMAP_MACROS: tuple[str, ...] = (
    _macro(
        "idu_bitmap_construct_agg(p)",
        "CASE WHEN bool_or(p < 0 OR p > 32767) THEN error('[INVALID_BITMAP_POSITION] The 0-indexed bitmap "
        "position ' || min(CASE WHEN p < 0 OR p > 32767 THEN p END) || ' is out of bounds. The bitmap has 32768 "
        "bits (4096 bytes). SQLSTATE: 22003') ELSE coalesce(CAST(bitstring_agg(CASE WHEN p >= 0 AND p <= 32767 "
        f"THEN p + 7 - 2 * (p % 8) END, 0, 32767) AS BLOB), from_hex(repeat('00', {_BYTES}))) END",
    ),
)


def bitmap_merge(bitmaps: list[bytes | None] | None, op: str) -> bytes:
    """Spark's bitmapMerge (OR) or bitmapAndMerge (AND) of ``bitmaps`` into the initial buffer."""
    if op == "or":
        merged = 0
        for b in bitmaps or ():
            merged |= int.from_bytes(b[:_BYTES], "little") if b is not None else 0
        return merged.to_bytes(_BYTES, "little")
    merged = (1 << (8 * _BYTES)) - 1
    for b in bitmaps or ():
        if b is not None:  # the bytes past a shorter bitmap are cleared
            merged &= int.from_bytes(b[:_BYTES], "little")
    return merged.to_bytes(_BYTES, "little")


def register_bitmap_merge(con: duckdb.DuckDBPyConnection) -> None:
    import duckdb as _duckdb
    from duckdb import sqltypes as t

    register_udf(con, "idu_bitmap_merge", bitmap_merge, [_duckdb.list_type(t.BLOB), t.VARCHAR], t.BLOB)
