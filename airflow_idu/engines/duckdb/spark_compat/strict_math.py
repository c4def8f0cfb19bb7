"""Spark's math functions whose Java implementation is fdlibm, run by the Python port of fdlibm.

Spark's ``asin``, ``acos``, ``atan``, ``atan2``, ``cbrt``, ``sinh``, ``cosh``, ``tanh`` and ``hypot``
call ``java.lang.Math``, whose methods of those names delegate to ``StrictMath``; ``expm1``,
``log1p``, ``exp``, ``ln``/``log``, ``log10`` and ``log2`` call ``StrictMath`` directly, and
``asinh``/``acosh``/``atanh`` are Spark's formulas on ``StrictMath.log``/``log1p`` and the correctly
rounded ``Math.sqrt`` (spark-catalyst 4.3's bytecode, read with ``javap -c``). ``StrictMath`` is
specified to give fdlibm 5.3's results bit for bit, and HotSpot compiles none of these to an
intrinsic of its own on JDK 17 to 23 (JDK 24 added one for ``Math.tanh`` and JDK 25 one for
``Math.cbrt`` on x86_64, which are not fdlibm's; ``Math.exp``/``Math.log`` are intrinsics, but Spark
calls ``StrictMath``'s). So on those JDKs Spark's value is fdlibm's, and :mod:`.fdlibm`,
:mod:`.fdlibm_trig`, :mod:`.fdlibm_hyperbolic` and :mod:`.fdlibm_log` compute it to the last bit:
they run as Python functions on the connection. (Spark's ``sin``, ``cos``, ``tan``... are HotSpot
intrinsics and stay refused: see :mod:`.refusals`.)

Spark's edges, from its expressions (``mathExpressions.scala``): NULL in, NULL out; ``log1p`` of a
value <= -1 is NULL (``UnaryLogExpression``'s asymptote), not NaN or -Infinity, and so are ``ln``,
``log``, ``log10`` and ``log2`` of a value <= 0 (-0.0 included) and ``log(base, x)`` of a base <= 0;
``atan2(y, x)`` is ``Math.atan2(y + 0.0, x + 0.0)`` (a -0.0 argument counts as 0.0); NaN and
out-of-domain arguments give fdlibm's NaN (``asin(2)``, ``acosh(0)`` and ``atanh(2)`` are NaN). Spark
casts the argument to DOUBLE: integers, FLOAT, DOUBLE and DECIMALs of up to 15 digits (the nearest
DOUBLE in Java and DuckDB alike) are cast here too; any other type is refused when run (a STRING,
whose parsing Java and DuckDB do differently, a wide DECIMAL, a HUGEINT).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat import fdlibm, fdlibm_hyperbolic, fdlibm_log, fdlibm_trig
from airflow_idu.engines.duckdb.spark_compat.gates import gated
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
    "STRICT_MATH_MACROS",
    "anonymous_check",
    "register_strict_math",
    "strict_math",
]

Build = Callable[[list[exp.Expr]], exp.Expr]


def spark_log1p(x: float) -> float | None:
    """Spark's ``log1p``: NULL at and below -1 (NaN is not <= -1: it stays NaN)."""
    return None if x <= -1.0 else fdlibm_hyperbolic.log1p(x)


def spark_ln(x: float) -> float | None:
    """Spark's ``ln`` (``Log``) and one-argument ``log``: NULL at and below 0 (-0.0 included)."""
    return None if x <= 0.0 else fdlibm_log.log(x)


def spark_log10(x: float) -> float | None:
    """Spark's ``log10``: NULL at and below 0."""
    return None if x <= 0.0 else fdlibm_log.log10(x)


def spark_log2(x: float) -> float | None:
    """Spark's ``log2``: NULL at and below 0."""
    return None if x <= 0.0 else fdlibm_log.log2(x)


def spark_log(base: float, x: float) -> float | None:
    """Spark's ``log(base, x)`` (``Logarithm``): NULL when either is at or below 0."""
    return None if base <= 0.0 or x <= 0.0 else fdlibm_log.logarithm(base, x)


def spark_atan2(y: float, x: float) -> float:
    """Spark's ``atan2``: ``Math.atan2(y + 0.0, x + 0.0)``, so -0.0 reads as 0.0."""
    return fdlibm_trig.atan2(y + 0.0, x + 0.0)


# Spark name -> (the Python function, its arity); its UDF is ``_udf(name)``
_UDFS: dict[str, tuple[Callable[..., float | None], int]] = {
    "asin": (fdlibm_trig.asin, 1),
    "acos": (fdlibm_trig.acos, 1),
    "atan": (fdlibm_trig.atan, 1),
    "atan2": (spark_atan2, 2),
    "cbrt": (fdlibm.cbrt, 1),
    "sinh": (fdlibm_hyperbolic.sinh, 1),
    "cosh": (fdlibm_hyperbolic.cosh, 1),
    "tanh": (fdlibm_hyperbolic.tanh, 1),
    "expm1": (fdlibm_hyperbolic.expm1, 1),
    "log1p": (spark_log1p, 1),
    "hypot": (fdlibm.hypot, 2),
    "exp": (fdlibm.exp, 1),
    "ln": (spark_ln, 1),
    "log": (spark_log, 2),
    "log10": (spark_log10, 1),
    "log2": (spark_log2, 1),
    "asinh": (fdlibm_log.asinh, 1),
    "acosh": (fdlibm_log.acosh, 1),
    "atanh": (fdlibm_log.atanh, 1),
}


def _udf(name: str) -> str:
    return f"idu_fdlibm_{name}"


def _build(name: str) -> Build:
    udf = _udf(name)
    what = exp.Literal.string(name)
    return lambda a: _call(udf, *(_call("idu_fdlibm_arg", x, what.copy()) for x in a))


_BY_TYPE: dict[type[exp.Expr], Build] = {
    exp.Asin: _build("asin"),
    exp.Acos: _build("acos"),
    exp.Atan: _build("atan"),
    exp.Atan2: _build("atan2"),
    exp.Cbrt: _build("cbrt"),
    exp.Sinh: _build("sinh"),
    exp.Cosh: _build("cosh"),
    exp.Tanh: _build("tanh"),
    exp.Exp: _build("exp"),
    exp.Ln: _build("ln"),
    exp.Log: _build("log"),  # log(base, x), and log2(x): Spark's Log2 is log(2, x)'s formula
    exp.Asinh: _build("asinh"),
    exp.Acosh: _build("acosh"),
    exp.Atanh: _build("atanh"),
}
# log10 reaches here as a call by name: sqlglot reads it as log(10, x), repaired by source_calls.py
ANONYMOUS: dict[str, Build] = {name: _build(name) for name in ("expm1", "log1p", "hypot", "log10")}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset(_BY_TYPE)


def _log_check(node: exp.Expr) -> str | None:
    if node.args.get("expression") is None:
        return "log with 1 argument read as a base"
    if "start" not in node.meta:  # its name unknown: log(10, x) and log10(x) differ (source_calls.py)
        return "log or log10 whose name as written is unknown"
    return None


CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {exp.Log: _log_check}


def anonymous_check(node: exp.Anonymous) -> str | None:
    name = node.name.lower()
    arity = _UDFS[name][1]
    if len(node.expressions) != arity:
        return f"{name} with {len(node.expressions)} arguments"
    return None


def _arguments(node: exp.Expr) -> list[exp.Expr]:
    if isinstance(node, exp.Anonymous):
        return [a.copy() for a in node.expressions]
    return [a.copy() for a in (node.this, node.args.get("expression")) if isinstance(a, exp.Expr)]


@gated(types=_BY_TYPE, names=ANONYMOUS)
def strict_math(tree: exp.Expr) -> exp.Expr:
    """Rewrite the functions above (innermost first) into their fdlibm Python functions."""
    return rewrite_calls(tree, by_type=_BY_TYPE, by_name=ANONYMOUS, arguments=_arguments)


_PRECISION = "CAST(regexp_extract(typeof(x), 'DECIMAL\\((\\d+),', 1) AS INTEGER)"
STRICT_MATH_MACROS: tuple[str, ...] = (
    # Spark's implicit cast of the argument to DOUBLE, where DuckDB's CAST gives the same DOUBLE
    _macro(
        "idu_fdlibm_arg(x, f)",
        "CASE WHEN typeof(x) IN ('DOUBLE', 'FLOAT', 'TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', '\"NULL\"') "
        f"OR (typeof(x) LIKE 'DECIMAL(%' AND {_PRECISION} <= 15) THEN CAST(x AS DOUBLE) "
        "ELSE error('[IDU_REFUSED] ' || f || ' of a ' || typeof(x) || ' value: only integers, FLOAT, DOUBLE "
        "and DECIMALs of up to 15 digits go through Spark''s cast to DOUBLE exactly; CAST it to DOUBLE') END",
    ),
)


def _on_arrays(function: Callable[..., float | None], arity: int) -> Callable[..., Any]:
    """``function`` over a chunk of rows as pyarrow arrays: NULL where an argument is NULL, NaN kept
    (DuckDB reads a native Python function's NaN result as NULL). DuckDB counts the parameters."""
    import pyarrow as pa

    def run(columns: tuple[Any, ...]) -> Any:
        rows = zip(*(c.to_pylist() for c in columns), strict=True)
        return pa.array([None if None in row else function(*row) for row in rows], type=pa.float64())

    if arity == 1:
        return lambda x: run((x,))
    return lambda y, x: run((y, x))


def register_strict_math(con: duckdb.DuckDBPyConnection) -> None:
    """Register the fdlibm functions on ``con``; again is harmless."""
    from duckdb import sqltypes as t

    for name, (function, arity) in _UDFS.items():
        register_udf(con, _udf(name), _on_arrays(function, arity), [t.DOUBLE] * arity, t.DOUBLE, arrow=True)
