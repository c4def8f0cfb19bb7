"""Spark 4.3's theta sketch functions on the engine: ``theta_sketch_agg``, ``theta_sketch_estimate``,
``theta_union``, ``theta_intersection``, ``theta_difference``, ``theta_union_agg`` and
``theta_intersection_agg``, byte for byte (:mod:`.theta_sketch` holds the sketches and why Spark's
results do not depend on row order or partitions).

Each value is hashed as Spark feeds it to its UpdateSketch: INT and BIGINT as an 8-byte long,
FLOAT and DOUBLE as the bits of the DOUBLE (-0.0 as 0.0, one NaN), a STRING's UTF-8 bytes, BINARY
as is, ARRAY<INT> and ARRAY<BIGINT> as their 4- or 8-byte elements (a NULL element as 0); NULL, ''
and empty binaries and arrays are skipped. Any other DuckDB type is refused when run (Spark rejects
the statement). ``lgNomEntries`` must be an integer literal from 4 to 26; the functions as window
functions, with DISTINCT or FILTER are refused. An aggregate gathers its distinct hashes (or its
sketches) into a list and one Python function builds the result: n log n at most.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable, Container
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat import theta_sketch as ts
from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.hashing import blob_bytes
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import rewrite_calls
from airflow_idu.engines.duckdb.spark_compat.python_functions import register_udf

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "ANONYMOUS",
    "CHECKS",
    "FUNCTIONS",
    "THETA_MACROS",
    "anonymous_check",
    "lg_entries",
    "register_theta",
    "sketch_call_check",
    "theta_functions",
    "value_hash",
]

DEFAULT_LG = 12  # ThetaSketchUtils.DEFAULT_LG_NOM_LONGS
_NAN_BITS = 0x7FF8000000000000  # Double.doubleToLongBits(NaN)
# name: (argument counts, index of the optional lgNomEntries)
_ARITY: dict[str, tuple[tuple[int, ...], int | None]] = {
    "theta_sketch_agg": ((1, 2), 1),
    "theta_union_agg": ((1, 2), 1),
    "theta_intersection_agg": ((1,), None),
    "theta_sketch_estimate": ((1,), None),
    "theta_union": ((2, 3), 2),
    "theta_intersection": ((2,), None),
    "theta_difference": ((2,), None),
}
_AGGREGATES = frozenset({"theta_sketch_agg", "theta_union_agg", "theta_intersection_agg"})


def _refuse(why: str) -> ValueError:
    return ValueError(f"[IDU_REFUSED] {why}")


# -- a value's hash ---------------------------------------------------------------------


def float32_value(text: str) -> float:
    """The FLOAT DuckDB printed as ``text``, as a DOUBLE; refused if the print is ambiguous."""
    value = struct.unpack("<f", struct.pack("<f", float(text)))[0]
    if value != value or value in (float("inf"), float("-inf")):
        return value
    bits = struct.unpack("<I", struct.pack("<f", value))[0]
    near = [struct.unpack("<f", struct.pack("<I", b))[0] for b in (bits - 1, bits + 1) if 0 <= b < 0xFFFFFFFF]
    exact = Decimal(text)
    if any(abs(exact - Decimal(n)) <= abs(exact - Decimal(value)) for n in near if n == n):
        raise _refuse(f"theta_sketch_agg of the FLOAT {text}: its digits do not name one FLOAT")
    return value


def _double_bytes(value: float) -> bytes:
    bits = _NAN_BITS if value != value else struct.unpack("<q", struct.pack("<d", value or 0.0))[0]
    return struct.pack("<q", bits)


def _value_bytes(kind: str, text: str, json_text: str | None) -> bytes:
    if kind in ("INTEGER", "BIGINT"):
        return struct.pack("<q", int(text))
    if kind == "DOUBLE":
        return _double_bytes(float(text))
    if kind == "FLOAT":
        return _double_bytes(float32_value(text))
    if kind == "VARCHAR":
        return text.encode("utf-8")
    if kind == "BLOB":
        return blob_bytes(text)
    if kind in ("INTEGER[]", "BIGINT[]"):
        layout = "<i" if kind == "INTEGER[]" else "<q"
        return b"".join(struct.pack(layout, v or 0) for v in json.loads(json_text or "[]"))
    raise _refuse(
        f"theta_sketch_agg of a {kind}: Spark takes INT, BIGINT, FLOAT, DOUBLE, STRING, BINARY, "
        "ARRAY<INT> and ARRAY<BIGINT> (and rejects the statement otherwise)"
    )


def value_hash(kind: str | None, text: str | None, json_text: str | None) -> int | None:
    """The 63-bit hash Spark's theta_sketch_agg keeps for a value; None where it skips it."""
    if kind is None or text is None:
        return None
    data = _value_bytes(kind, text, json_text)
    return ts.murmur_hash(data) if data else None


# -- the functions on sketches ------------------------------------------------------------


def _sketch(data: bytes | None, what: str) -> ts.Theta:
    assert data is not None
    return ts.parse(bytes(data), what)


def sketch_agg(items: list[list[str | None]] | None, lg: int) -> bytes:
    """theta_sketch_agg of a group's distinct values, each as [DuckDB type, text, JSON]."""
    hashes = (value_hash(*item) for item in items or [])
    return ts.serialize(ts.build([h for h in hashes if h is not None], lg))


def union_agg(sketches: list[bytes | None] | None, lg: int) -> bytes:
    given = [_sketch(s, "theta_union_agg") for s in sketches or [] if s is not None]
    return ts.serialize(ts.union(given, lg))


def intersection_agg(sketches: list[bytes | None] | None) -> bytes:
    given = [_sketch(s, "theta_intersection_agg") for s in sketches or [] if s is not None]
    return ts.serialize(ts.intersect(given))


def estimate(data: bytes) -> int:
    return ts.estimate(_sketch(data, "theta_sketch_estimate"))


def union2(a: bytes, b: bytes, lg: int) -> bytes:
    return ts.serialize(ts.union([_sketch(a, "theta_union"), _sketch(b, "theta_union")], lg))


def intersection2(a: bytes, b: bytes) -> bytes:
    return ts.serialize(ts.intersect([_sketch(a, "theta_intersection"), _sketch(b, "theta_intersection")]))


def difference2(a: bytes, b: bytes) -> bytes:
    return ts.serialize(ts.anotb(_sketch(a, "theta_difference"), _sketch(b, "theta_difference")))


# -- translation ----------------------------------------------------------------------------


def lg_entries(node: exp.Expr | None) -> int | None:
    """lgNomEntries as written (the default when absent); None when it is not an integer literal
    from 4 to 26."""
    if node is None:
        return DEFAULT_LG
    if isinstance(node, exp.Literal) and not node.is_string and node.this.isdigit():
        value = int(node.this)
        return value if 4 <= value <= 26 else None
    return None


def sketch_call_check(
    node: exp.Anonymous, *, aggregate: bool, counts: Container[int], lg_at: int | None
) -> str | None:
    """What theta and tuple sketch calls share: the argument count, no window or FILTER for an
    aggregate, no DISTINCT, a literal lgNomEntries."""
    name = node.name.lower()
    args = node.expressions
    if len(args) not in counts:
        return f"{name} with {len(args)} arguments"
    if aggregate and isinstance(node.parent, (exp.Window, exp.Filter)):
        return f"{name} as a window function or with FILTER"
    if any(isinstance(a, exp.Distinct) for a in args):
        return f"{name} of DISTINCT values"
    if lg_at is not None and lg_entries(args[lg_at] if len(args) > lg_at else None) is None:
        return f"{name} with an lgNomEntries other than an integer literal from 4 to 26"
    return None


def anonymous_check(node: exp.Anonymous) -> str | None:
    name = node.name.lower()
    counts, lg_at = _ARITY[name]
    return sketch_call_check(node, aggregate=name in _AGGREGATES, counts=counts, lg_at=lg_at)


def _gathered(name: str, args: list[exp.Expr]) -> list[exp.Expr]:
    """An aggregate's argument as the list the Python function takes: (the UDF-free macros below;
    DuckDB binds a macro's top-level function calls when it is created, before the UDFs exist)."""
    if name == "idu_theta_sketch_agg":
        return [_call("idu_theta_items", args[0])]
    if name.endswith("_list"):
        return [_call("idu_theta_list", args[0])]
    return args


def _with_lg(name: str, lg_at: int) -> Callable[[list[exp.Expr]], exp.Expr]:
    def build(args: list[exp.Expr]) -> exp.Expr:
        lg = lg_entries(args[lg_at] if len(args) > lg_at else None)
        udf = "idu_theta_build" if name == "idu_theta_sketch_agg" else name
        return _call(udf, *_gathered(name, args[:lg_at]), exp.Literal.number(lg))

    return build


def _plain(name: str) -> Callable[[list[exp.Expr]], exp.Expr]:
    return lambda args: _call(name, *_gathered(name, args))


ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {
    "theta_sketch_agg": _with_lg("idu_theta_sketch_agg", 1),
    "theta_union_agg": _with_lg("idu_theta_union_list", 1),
    "theta_intersection_agg": _plain("idu_theta_intersection_list"),
    "theta_sketch_estimate": _plain("idu_theta_estimate"),
    "theta_union": _with_lg("idu_theta_union", 2),
    "theta_intersection": _plain("idu_theta_intersection"),
    "theta_difference": _plain("idu_theta_difference"),
}
CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset()


@gated(names=ANONYMOUS)
def theta_functions(tree: exp.Expr) -> exp.Expr:
    """Rewrite the theta sketch functions into the macros and Python functions below."""
    return rewrite_calls(
        tree, by_type={}, by_name=ANONYMOUS, arguments=lambda n: [a.copy() for a in n.expressions]
    )


THETA_MACROS: tuple[str, ...] = (
    # a group's distinct values as [type, text, JSON]: Python hashes them as Spark does
    _macro(
        "idu_theta_items(x)",
        "list(DISTINCT [typeof(x), CAST(x AS VARCHAR), CAST(to_json(x) AS VARCHAR)]) FILTER (WHERE x IS NOT NULL)",
    ),
    _macro("idu_theta_list(x)", "list(x) FILTER (WHERE x IS NOT NULL)"),
)


def register_theta(con: duckdb.DuckDBPyConnection) -> None:
    """Register the theta sketch Python functions on ``con``; again is harmless."""
    import duckdb
    from duckdb import sqltypes as t

    blobs = duckdb.list_type(t.BLOB)
    items = duckdb.list_type(duckdb.list_type(t.VARCHAR))
    register_udf(con, "idu_theta_build", sketch_agg, [items, t.INTEGER], t.BLOB)
    register_udf(con, "idu_theta_union_list", union_agg, [blobs, t.INTEGER], t.BLOB)
    register_udf(con, "idu_theta_intersection_list", intersection_agg, [blobs], t.BLOB)
    register_udf(con, "idu_theta_estimate", estimate, [t.BLOB], t.BIGINT, sees_nulls=False)
    register_udf(con, "idu_theta_union", union2, [t.BLOB, t.BLOB, t.INTEGER], t.BLOB, sees_nulls=False)
    register_udf(con, "idu_theta_intersection", intersection2, [t.BLOB, t.BLOB], t.BLOB, sees_nulls=False)
    register_udf(con, "idu_theta_difference", difference2, [t.BLOB, t.BLOB], t.BLOB, sees_nulls=False)
