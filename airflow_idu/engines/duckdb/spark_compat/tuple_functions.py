"""Spark 4.3's tuple sketch functions on the engine, each in a ``_double`` and an ``_integer`` form:
``tuple_sketch_agg``, ``tuple_sketch_estimate``, ``tuple_sketch_summary``, ``tuple_sketch_theta``,
``tuple_union``, ``tuple_union_theta``, ``tuple_union_agg``, ``tuple_intersection``,
``tuple_intersection_theta``, ``tuple_intersection_agg``, ``tuple_difference`` and
``tuple_difference_theta`` (:mod:`.tuple_sketch` holds the sketches).

Spark serializes a tuple sketch in its hash table's order, which follows the order its rows arrive
in; so a function that returns a tuple sketch is accepted only as the sketch argument of another
tuple function, where its bytes never reach a result; anywhere else it is refused at translation.
Sketches read from data (Spark's bytes) are read in any entry order. ``tuple_sketch_agg`` over more
distinct keys than its nominal entries is refused when run: Spark then returns its update sketch
as it stands, whose hashes depend on the partitions and the row order. Keys are hashed as
``theta_sketch_agg`` hashes its values (:func:`.theta_functions.value_hash`); a DOUBLE summary may be
any number (Spark casts it to DOUBLE), an INT summary must be an INT. ``lgNomEntries`` must be an
integer literal from 4 to 26, the mode a string literal (sum, min, max, alwaysone).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat import theta_sketch as ts
from airflow_idu.engines.duckdb.spark_compat import tuple_sketch as tp
from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import rewrite_calls
from airflow_idu.engines.duckdb.spark_compat.python_functions import register_udf
from airflow_idu.engines.duckdb.spark_compat.theta_functions import (
    float32_value,
    lg_entries,
    sketch_call_check,
    theta_functions,
    value_hash,
)

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "ANONYMOUS",
    "CHECKS",
    "FUNCTIONS",
    "TUPLE_MACROS",
    "anonymous_check",
    "register_tuple",
    "sketch_functions",
    "tuple_functions",
]

# base name: (argument counts, lgNomEntries index, mode index, sketch argument indexes, returns a sketch)
_SHAPES: dict[str, tuple[tuple[int, ...], int | None, int | None, tuple[int, ...], bool]] = {
    "tuple_sketch_agg": ((2, 3, 4), 2, 3, (), True),
    "tuple_sketch_estimate": ((1,), None, None, (0,), False),
    "tuple_sketch_summary": ((1, 2), None, 1, (0,), False),
    "tuple_sketch_theta": ((1,), None, None, (0,), False),
    "tuple_union": ((2, 3, 4), 2, 3, (0, 1), True),
    "tuple_union_theta": ((2, 3, 4), 2, 3, (0,), True),
    "tuple_union_agg": ((1, 2, 3), 1, 2, (0,), True),
    "tuple_intersection": ((2, 3), None, 2, (0, 1), True),
    "tuple_intersection_theta": ((2, 3), None, 2, (0,), True),
    "tuple_intersection_agg": ((1, 2), None, 1, (0,), True),
    "tuple_difference": ((2,), None, None, (0, 1), True),
    "tuple_difference_theta": ((2,), None, None, (0,), True),
}
_UDF = {"tuple_sketch_estimate": "idu_tuple_estimate", "tuple_sketch_theta": "idu_tuple_theta"}
_AGGREGATES = frozenset({"tuple_sketch_agg", "tuple_union_agg", "tuple_intersection_agg"})
_NAMES = {f"{base}_{kind}": (base, kind == "integer") for base in _SHAPES for kind in ("double", "integer")}


def _refuse(why: str) -> ValueError:
    return ValueError(f"[IDU_REFUSED] {why}")


# -- the Python functions -------------------------------------------------------------------


def _name(base: str, integer: bool) -> str:
    return f"{base}_{'integer' if integer else 'double'}"


def _read(data: bytes, integer: bool, what: str) -> tp.Tuple:
    return tp.deserialize(bytes(data), integer, what)


def _theta_as_tuple(data: bytes, mode: str, integer: bool, what: str) -> tp.Tuple:
    """A theta sketch's hashes, each with the mode's default summary (as Spark's union and
    intersection with a theta sketch give them)."""
    sketch = ts.parse(bytes(data), what)
    default = tp._initial(mode, integer)
    return tp.Tuple(sketch.theta, dict.fromkeys(sketch.hashes, default), sketch.empty)


def _summary_value(kind: str, text: str, integer: bool, what: str) -> tp.Value:
    if integer:
        if kind != "INTEGER":
            raise _refuse(f"{what} of a {kind} summary: Spark casts it to INT (use CAST(... AS INT))")
        return int(text)
    if kind not in ("DOUBLE", "FLOAT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT"):
        raise _refuse(f"{what} of a {kind} summary: only numbers the engine converts to DOUBLE as Spark does")
    return float32_value(text) if kind == "FLOAT" else float(text)


def build(items: list[list[str]] | None, lg: int, mode: str, integer: bool) -> bytes:
    """tuple_sketch_agg of a group's rows, each [key type, key text, key JSON, summary type, summary text]."""
    what = _name("tuple_sketch_agg", integer)
    values: dict[int, list[tp.Value]] = {}
    for key_kind, key_text, key_json, kind, text in items or []:
        h = value_hash(key_kind, key_text, key_json)
        if h is not None:
            values.setdefault(h, []).append(_summary_value(kind, text, integer, what))
    if len(values) > 1 << lg:
        raise _refuse(
            f"{what} over {len(values)} distinct keys, beyond its {1 << lg} nominal entries: Spark's sketch "
            "then depends on its partitions and the order of the rows. Use a larger lgNomEntries"
        )
    entries = {h: tp.combine(v, mode, integer, what) for h, v in values.items()}
    return tp.serialize(tp.Tuple(ts.MAX_THETA, entries, not entries), mode, integer)


def estimate(data: bytes, integer: bool) -> float:
    return tp.estimate(_read(data, integer, _name("tuple_sketch_estimate", integer)))


def theta(data: bytes, integer: bool) -> float:
    return _read(data, integer, _name("tuple_sketch_theta", integer)).theta / float(ts.MAX_THETA)


def summary(data: bytes, mode: str, integer: bool) -> float | int:
    what = _name("tuple_sketch_summary", integer)
    return tp.summarize(_read(data, integer, what), mode, integer, what)


def _summary_arrays(sketches: Any, modes: Any) -> Any:
    import pyarrow as pa

    rows = zip(sketches.to_pylist(), modes.to_pylist(), strict=True)
    return pa.array([None if s is None else summary(s, m, False) for s, m in rows], type=pa.float64())


def _union(a: bytes, b: bytes, lg: int, mode: str, integer: bool, with_theta: bool) -> bytes:
    what = _name("tuple_union_theta" if with_theta else "tuple_union", integer)
    second = _theta_as_tuple(b, mode, integer, what) if with_theta else _read(b, integer, what)
    return tp.serialize(tp.union([_read(a, integer, what), second], lg, mode, integer, what), mode, integer)


def _intersection(a: bytes, b: bytes, mode: str, integer: bool, with_theta: bool) -> bytes:
    what = _name("tuple_intersection_theta" if with_theta else "tuple_intersection", integer)
    second = _theta_as_tuple(b, mode, integer, what) if with_theta else _read(b, integer, what)
    return tp.serialize(tp.intersect([_read(a, integer, what), second], mode, integer, what), mode, integer)


def _difference(a: bytes, b: bytes, integer: bool, with_theta: bool) -> bytes:
    what = _name("tuple_difference_theta" if with_theta else "tuple_difference", integer)
    second = _theta_as_tuple(b, "sum", integer, what) if with_theta else _read(b, integer, what)
    result = tp.anotb(_read(a, integer, what), second.entries, second.theta, second.empty, what)
    return tp.serialize(result, "sum", integer)


def union_list(sketches: list[bytes | None] | None, lg: int, mode: str, integer: bool) -> bytes:
    what = _name("tuple_union_agg", integer)
    given = [_read(s, integer, what) for s in sketches or [] if s is not None]
    return tp.serialize(tp.union(given, lg, mode, integer, what), mode, integer)


def intersection_list(sketches: list[bytes | None] | None, mode: str, integer: bool) -> bytes:
    what = _name("tuple_intersection_agg", integer)
    given = [_read(s, integer, what) for s in sketches or [] if s is not None]
    return tp.serialize(tp.intersect(given, mode, integer, what), mode, integer)


# -- translation ----------------------------------------------------------------------------


def _mode(node: exp.Expr | None) -> str | None:
    if node is None:
        return "sum"
    if isinstance(node, exp.Literal) and node.is_string and node.this.lower() in tp.MODES:
        return node.this.lower()
    return None


def _consumed(node: exp.Expr) -> bool:
    """Whether ``node`` is the tuple sketch argument of another tuple function."""
    parent = node.parent
    if not isinstance(parent, exp.Anonymous) or parent.name.lower() not in _NAMES:
        return False
    base, _ = _NAMES[parent.name.lower()]
    return any(parent.expressions[i] is node for i in _SHAPES[base][3] if i < len(parent.expressions))


def anonymous_check(node: exp.Anonymous) -> str | None:
    name = node.name.lower()
    base, _ = _NAMES[name]
    counts, lg_at, mode_at, _, sketch_out = _SHAPES[base]
    args = node.expressions
    shared = sketch_call_check(node, aggregate=base in _AGGREGATES, counts=counts, lg_at=lg_at)
    if shared:
        return shared
    if mode_at is not None and _mode(args[mode_at] if len(args) > mode_at else None) is None:
        return f"{name} with a mode other than a string literal sum, min, max or alwaysone"
    if sketch_out and not _consumed(node):
        return (
            f"{name}'s sketch as a value: Spark writes a tuple sketch's entries in an order that follows "
            "its rows' order; the engine takes it only as the sketch argument of another tuple function"
        )
    return None


def _build(name: str) -> Callable[[list[exp.Expr]], exp.Expr]:
    base, integer = _NAMES[name]
    _, lg_at, mode_at, _, _ = _SHAPES[base]

    def build(args: list[exp.Expr]) -> exp.Expr:
        extra: list[exp.Expr] = []
        if lg_at is not None:
            extra.append(exp.Literal.number(lg_entries(args[lg_at] if len(args) > lg_at else None)))
        if mode_at is not None:
            extra.append(exp.Literal.string(_mode(args[mode_at] if len(args) > mode_at else None) or "sum"))
        flag = exp.Boolean(this=integer)
        if base == "tuple_sketch_agg":
            return _call("idu_tuple_build", _call("idu_tuple_items", args[0], args[1]), *extra, flag)
        if base in _AGGREGATES:
            return _call(
                f"idu_{base.removesuffix('_agg')}_list", _call("idu_theta_list", args[0]), *extra, flag
            )
        sketches = args[: 1 if base.startswith("tuple_sketch_") else 2]
        if base == "tuple_sketch_summary":
            return _call(f"idu_tuple_summary_{'integer' if integer else 'double'}", *sketches, *extra)
        return _call(_UDF.get(base, f"idu_{base}"), *sketches, *extra, flag)

    return build


ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {name: _build(name) for name in _NAMES}
CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset()


@gated(names=ANONYMOUS)
def tuple_functions(tree: exp.Expr) -> exp.Expr:
    """Rewrite the tuple sketch functions into the Python functions above (innermost first)."""
    return rewrite_calls(
        tree, by_type={}, by_name=ANONYMOUS, arguments=lambda n: [a.copy() for a in n.expressions]
    )


@gated(like=(theta_functions, tuple_functions))
def sketch_functions(tree: exp.Expr) -> exp.Expr:
    """The theta, then the tuple sketch functions (one entry of rewrites.REWRITES)."""
    return tuple_functions(theta_functions(tree))


TUPLE_MACROS: tuple[str, ...] = (
    # a group's rows as [key type, key text, key JSON, summary type, summary text]
    _macro(
        "idu_tuple_items(k, v)",
        "list([typeof(k), CAST(k AS VARCHAR), CAST(to_json(k) AS VARCHAR), typeof(v), CAST(v AS VARCHAR)]) "
        "FILTER (WHERE k IS NOT NULL AND v IS NOT NULL)",
    ),
)


def register_tuple(con: duckdb.DuckDBPyConnection) -> None:
    """Register the tuple sketch Python functions on ``con``; again is harmless."""
    import duckdb
    from duckdb import sqltypes as t

    b, i, v, flag = t.BLOB, t.INTEGER, t.VARCHAR, t.BOOLEAN
    blobs, items = duckdb.list_type(t.BLOB), duckdb.list_type(duckdb.list_type(t.VARCHAR))
    udfs: list[tuple[str, Callable[..., object], list[object], object]] = [
        ("idu_tuple_estimate", estimate, [b, flag], t.DOUBLE),
        ("idu_tuple_theta", theta, [b, flag], t.DOUBLE),
        ("idu_tuple_summary_integer", lambda s, m: summary(s, m, True), [b, v], t.BIGINT),
        ("idu_tuple_union", lambda a, c, n, m, f: _union(a, c, n, m, f, False), [b, b, i, v, flag], b),
        ("idu_tuple_union_theta", lambda a, c, n, m, f: _union(a, c, n, m, f, True), [b, b, i, v, flag], b),
        ("idu_tuple_intersection", lambda a, c, m, f: _intersection(a, c, m, f, False), [b, b, v, flag], b),
        (
            "idu_tuple_intersection_theta",
            lambda a, c, m, f: _intersection(a, c, m, f, True),
            [b, b, v, flag],
            b,
        ),
        ("idu_tuple_difference", lambda a, c, f: _difference(a, c, f, False), [b, b, flag], b),
        ("idu_tuple_difference_theta", lambda a, c, f: _difference(a, c, f, True), [b, b, flag], b),
    ]
    for name, function, parameters, result in udfs:
        register_udf(con, name, function, parameters, result, sees_nulls=False)
    # over arrow arrays: a NaN summary stays NaN (DuckDB reads a native function's NaN as NULL)
    register_udf(con, "idu_tuple_summary_double", _summary_arrays, [b, v], t.DOUBLE, arrow=True)
    register_udf(con, "idu_tuple_build", build, [items, i, v, flag], b)
    register_udf(con, "idu_tuple_union_list", union_list, [blobs, i, v, flag], b)
    register_udf(con, "idu_tuple_intersection_list", intersection_list, [blobs, v, flag], b)
