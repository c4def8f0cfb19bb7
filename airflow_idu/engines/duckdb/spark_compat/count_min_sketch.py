"""Spark's ``count_min_sketch(x, eps, confidence, seed)``: its serialized ``CountMinSketchImpl``, byte
for byte.

``CountMinSketch.create(eps, confidence, seed)``: ``width = ceil(2 / eps)``, ``depth =
ceil(-log1p(-confidence) / log(2))``, ``hashA[i]`` the ``i``-th ``java.util.Random(seed).nextInt(
Integer.MAX_VALUE)``. Each non-NULL value adds 1 to one cell per row: an integer (``addLong``) to
``((hashA[i] * v) + (that >> 32)) & Integer.MAX_VALUE) % width`` (64-bit wrapping), a STRING's UTF-8
bytes or a BINARY (``addBinary``) to ``abs((h1 + i * h2) % width)`` (32-bit wrapping), ``h1`` the
bytes' Murmur3 x86_32 with seed 0 and ``h2`` with seed ``h1`` (Spark's ``hashUnsafeBytes``, as
:mod:`.hashing`). Partitions' sketches merge by adding cells, so the sketch is a function of the
values' counts alone. ``toByteArray`` writes big-endian: version 1 (int), the total count (long),
depth and width (ints), ``hashA`` (longs), the cells row by row (longs).

The engine counts each distinct value (DuckDB ``histogram``) and builds the bytes in Python. The
arguments other than ``x`` must be literals; a width or depth that Java's ``Math.log1p``/``log``
might round to the other side of ``ceil`` than Python's (within 1e-9 of an integer), one over
2^20 cells, or an argument Spark rejects, are refused at translate time.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.fdlibm_hyperbolic import log1p
from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.hashing import blob_bytes, murmur3_bytes
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import replace_each
from airflow_idu.engines.duckdb.spark_compat.python_functions import register_udf

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "ANONYMOUS",
    "CHECKS",
    "CMS_MACROS",
    "FUNCTIONS",
    "anonymous_check",
    "count_min_sketch",
    "java_random_ints",
    "register_count_min_sketch",
    "shape",
    "sketch_bytes",
]

_NAME = "count_min_sketch"
ANONYMOUS: frozenset[str] = frozenset({_NAME})
CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset()
_M32, _M64, _MAX_CELLS = 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF, 1 << 20
_INTEGERS = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT"})


def _signed(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def java_random_ints(seed: int, count: int, bound: int = 0x7FFFFFFF) -> list[int]:
    """The first ``count`` ``new java.util.Random(seed).nextInt(bound)`` (bound not a power of 2)."""
    state = (seed ^ 0x5DEECE66D) & ((1 << 48) - 1)
    out: list[int] = []
    while len(out) < count:
        state = (state * 0x5DEECE66D + 0xB) & ((1 << 48) - 1)
        bits = state >> 17  # next(31)
        value = bits % bound
        if _signed(bits - value + bound - 1, 32) >= 0:  # Java rejects a draw whose int sum overflows
            out.append(value)
    return out


def _number(node: exp.Expr) -> float | None:
    negative = isinstance(node, exp.Neg)
    inner = node.this if isinstance(node, exp.Neg) else node
    if isinstance(inner, exp.Cast):  # 0.5d parses as CAST(0.5 AS DOUBLE)
        inner = inner.this
    if not isinstance(inner, exp.Literal) or inner.is_string:
        return None
    digits = inner.this.replace(".", "").lstrip("0")
    if (
        "e" not in inner.this.lower() and len(digits) > 15
    ):  # Spark's DECIMAL to DOUBLE: certain up to 15 digits
        return None
    value = float(inner.this)
    return -value if negative else value


def shape(eps: float, confidence: float) -> tuple[int, int] | str:
    """(depth, width) of ``CountMinSketch.create(eps, confidence, seed)``, or why it is refused."""
    if not eps > 0 or not 0 < confidence < 1:
        return "count_min_sketch with eps <= 0 or a confidence outside (0, 1) (Spark fails)"
    # Java's Math.log1p is StrictMath's (fdlibm, ported); Math.log(2.0) is correctly rounded in both
    width, depth = 2.0 / eps, -log1p(-confidence) / math.log(2.0)
    if math.ceil(width) * math.ceil(depth) > _MAX_CELLS:
        return f"count_min_sketch of over {_MAX_CELLS} cells"
    return math.ceil(depth), math.ceil(width)


def _arguments(node: exp.Anonymous) -> tuple[int, int, int] | str:
    args = node.expressions
    if len(args) != 4:
        return "count_min_sketch with other than 4 arguments"
    eps, confidence, seed = (_number(a) for a in args[1:])
    if eps is None or confidence is None or seed is None or seed != int(seed) or abs(seed) > 2**31 - 1:
        return "count_min_sketch with eps, confidence or seed other than a numeric literal (an INT seed)"
    found = shape(eps, confidence)
    return found if isinstance(found, str) else (*found, int(seed))


def anonymous_check(node: exp.Anonymous) -> str | None:
    if isinstance(node.parent, exp.Window):
        return "count_min_sketch as a window function"
    found = _arguments(node)
    return found if isinstance(found, str) else None


@gated(names=(_NAME,))
def count_min_sketch(tree: exp.Expr) -> exp.Expr:
    """Rewrite count_min_sketch into the Python function over the values' counts."""
    nodes = [n for n in tree.find_all(exp.Anonymous) if n.name.lower() == _NAME]

    def build(node: exp.Expr) -> exp.Expr:
        assert isinstance(node, exp.Anonymous)
        found = _arguments(node)
        assert not isinstance(found, str)  # checked in allowed.py
        counts = _call("idu_cms_counts", node.expressions[0].copy())
        return _call("idu_count_min_sketch", counts, *(exp.Literal.number(v) for v in found))

    return replace_each(tree, reversed(nodes), build)


def _cells(kind: str, text: str, depth: int, width: int, hash_a: list[int]) -> list[int]:
    if kind in _INTEGERS:
        value = int(text)
        cells = []
        for a in hash_a:
            h = _signed(a * value, 64)
            h = (h + (h >> 32)) & 0x7FFFFFFF
            cells.append(h % width)
        return cells
    if kind not in ("VARCHAR", "BLOB"):
        raise ValueError(
            f"[IDU_REFUSED] count_min_sketch of a {kind} value: Spark takes integers, STRING, BINARY"
        )
    data = text.encode("utf-8") if kind == "VARCHAR" else blob_bytes(text)
    h1 = murmur3_bytes(data, 0)
    h2 = murmur3_bytes(data, h1)
    return [abs(_java_rem(_signed(h1 + i * h2, 32), width)) for i in range(depth)]


def _java_rem(a: int, b: int) -> int:
    """Java's ``%``: the sign of the dividend."""
    r = abs(a) % b
    return -r if a < 0 else r


def sketch_bytes(
    kind: str | None, texts: list[str], counts: list[int], depth: int, width: int, seed: int
) -> bytes:
    hash_a = java_random_ints(seed, depth)
    table = [0] * (depth * width)
    for text, count in zip(texts, counts, strict=True):
        for row, cell in enumerate(_cells(kind or "", text, depth, width, hash_a)):
            table[row * width + cell] += count
    head = struct.pack(">iqii", 1, sum(counts), depth, width) + struct.pack(f">{depth}q", *hash_a)
    return head + struct.pack(f">{depth * width}q", *table)


def _udf(counts: dict[str, Any], depth: int, width: int, seed: int) -> bytes:
    """The DuckDB function: the struct of ``idu_cms_counts`` and the sketch's shape."""
    texts: list[str] = counts["texts"] or []
    numbers: list[int] = counts["counts"] or []
    return sketch_bytes(counts["kind"], texts, numbers, depth, width, seed)


def register_count_min_sketch(con: duckdb.DuckDBPyConnection) -> None:
    import duckdb as _duckdb
    from duckdb import sqltypes as t

    counts = _duckdb.struct_type({"kind": t.VARCHAR, "texts": _duckdb.list_type(t.VARCHAR),
                                  "counts": _duckdb.list_type(t.BIGINT)})  # fmt: skip
    register_udf(con, "idu_count_min_sketch", _udf, [counts, t.INTEGER, t.INTEGER, t.INTEGER], t.BLOB)


CMS_MACROS: tuple[str, ...] = (
    # each distinct non-NULL value's text and count, and its DuckDB type
    _macro(
        "idu_cms_counts(x)",
        "{'kind': any_value(typeof(x)), 'texts': map_keys(histogram(CAST(x AS VARCHAR))), "
        "'counts': CAST(map_values(histogram(CAST(x AS VARCHAR))) AS BIGINT[])}",
    ),
)
