"""Spark's vector functions over ARRAY<FLOAT>, run as Python functions with Spark's own arithmetic.

``vector_inner_product``, ``vector_l2_distance``, ``vector_cosine_similarity``, ``vector_norm`` and
``vector_normalize`` are ``VectorFunctionImplUtils`` (spark-catalyst 4.3, read with ``javap -c``):
each element widened to DOUBLE, the sums accumulated in DOUBLE in a fixed order (blocks of eight
elements summed left to right, each block then added to the running sum; the remaining elements
one by one), ``Math.sqrt`` (correctly rounded), and the result rounded once to FLOAT. Python's
float arithmetic is the same IEEE binary64 arithmetic (no fused multiply-add: Java never contracts
either), so the port below gives Spark's value to the last bit. Edges, as Spark: a NULL argument
gives NULL; arrays of different lengths raise; a NULL element gives NULL; an empty array gives 0.0
(inner product, distance, norm), NULL (cosine similarity) or itself (normalize); a zero norm gives
NULL (cosine similarity, normalize); the degree must be 1.0, 2.0 or infinity, else it raises.
Spark accepts only ARRAY<FLOAT> (and a FLOAT degree) here, with no implicit cast: any other type
is refused when run.

``vector_sum`` and ``vector_avg`` stay refused: they accumulate FLOATs across rows in the order the
rows reach each partition and then merge partitions, so Spark's own last bits depend on the order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from sqlglot import exp

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
    "REASONS",
    "VECTOR_MACROS",
    "anonymous_check",
    "register_vectors",
    "vectors",
]

Vector = Sequence[float | None]
_BLOCK = 8


class VectorError(ValueError):
    """Spark's run-time error of a vector function (its message names Spark's error class)."""


def _blocked(terms: Callable[[int], float], length: int) -> float:
    """Spark's sum of ``terms(0..length-1)``: blocks of eight summed left to right and added to the
    running sum, then the rest one by one."""
    total, i = 0.0, 0
    limit = length // _BLOCK * _BLOCK
    while i < limit:
        block = terms(i)
        for j in range(i + 1, i + _BLOCK):
            block += terms(j)
        total += block
        i += _BLOCK
    while i < length:
        total += terms(i)
        i += 1
    return total


def _pair(left: Vector, right: Vector, name: str) -> tuple[list[float], list[float]] | None:
    if len(left) != len(right):
        raise VectorError(
            f"VECTOR_DIMENSION_MISMATCH: {name} of vectors of dimensions {len(left)} and {len(right)}"
        )
    if None in left or None in right:
        return None
    return [float(a) for a in left if a is not None], [float(b) for b in right if b is not None]


def inner_product(left: Vector, right: Vector) -> float | None:
    pair = _pair(left, right, "vector_inner_product")
    if pair is None:
        return None
    a, b = pair
    return _blocked(lambda i: a[i] * b[i], len(a))


def l2_distance(left: Vector, right: Vector) -> float | None:
    pair = _pair(left, right, "vector_l2_distance")
    if pair is None:
        return None
    a, b = pair
    return _sqrt(_blocked(lambda i: (a[i] - b[i]) * (a[i] - b[i]), len(a)))


def cosine_similarity(left: Vector, right: Vector) -> float | None:
    pair = _pair(left, right, "vector_cosine_similarity")
    if pair is None or not pair[0]:
        return None
    a, b = pair
    dot = _blocked(lambda i: a[i] * b[i], len(a))
    norms = _sqrt(_blocked(lambda i: a[i] * a[i], len(a)) * _blocked(lambda i: b[i] * b[i], len(b)))
    return None if norms == 0.0 else dot / norms


def _sqrt(x: float) -> float:
    import math

    return math.nan if x != x or x < 0 else math.sqrt(x)


def norm(vector: Vector, degree: float, name: str = "vector_norm") -> float | None:
    """Spark's norm in DOUBLE (before its rounding to FLOAT)."""
    if degree not in (1.0, 2.0, float("inf")):
        raise VectorError(f"INVALID_VECTOR_NORM_DEGREE: {name} with degree {degree}")
    if None in vector:
        return None
    a = [float(x) for x in vector if x is not None]
    if degree == 1.0:
        return _blocked(lambda i: abs(a[i]), len(a))
    if degree == 2.0:
        return _sqrt(_blocked(lambda i: a[i] * a[i], len(a)))
    largest = 0.0
    for x in a:  # Math.max: NaN wins
        largest = x if x != x else largest if largest != largest else max(largest, abs(x))
    return largest


def normalize(vector: Vector, degree: float) -> list[float] | None:
    """Each element over the DOUBLE norm, rounded to FLOAT by the caller."""
    total = norm(vector, degree, "vector_normalize")
    if total is None:
        return None
    if not vector:
        return []
    if total == 0.0:
        return None
    return [float(x) / total for x in vector if x is not None]


def _to_float(value: float | None) -> Any:
    import numpy as np

    if value is None:
        return None
    with np.errstate(over="ignore"):  # beyond FLOAT's range: infinity, as Java's (float) cast
        return np.float32(value)


def _scalar(function: Callable[..., float | None]) -> Callable[..., Any]:
    """``function`` over a chunk of rows (pyarrow arrays): NULL where an argument is NULL; the DOUBLE
    result rounded to FLOAT once, as Java's ``(float)`` cast (round to nearest even)."""
    import pyarrow as pa

    def run(left: Any, right: Any) -> Any:  # DuckDB counts the parameters
        rows = zip(left.to_pylist(), right.to_pylist(), strict=True)
        values = [None if a is None or b is None else _to_float(function(a, b)) for a, b in rows]
        return pa.array(values, type=pa.float32())

    return run


def _normalize_rows(vectors: Any, degrees: Any) -> Any:
    import pyarrow as pa

    out = []
    for vector, degree in zip(vectors.to_pylist(), degrees.to_pylist(), strict=True):
        result = None if vector is None or degree is None else normalize(vector, degree)
        out.append(None if result is None else [_to_float(x) for x in result])
    return pa.array(out, type=pa.list_(pa.float32()))


def _udf(name: str) -> str:
    return f"idu_{name}"


_PAIRS: dict[str, Callable[[Vector, Vector], float | None]] = {
    "vector_inner_product": inner_product,
    "vector_l2_distance": l2_distance,
    "vector_cosine_similarity": cosine_similarity,
}


def _build(name: str) -> Callable[[list[exp.Expr]], exp.Expr]:
    what = exp.Literal.string(name)

    def build(args: list[exp.Expr]) -> exp.Expr:
        if name in ("vector_norm", "vector_normalize") and len(args) == 1:
            args = [*args, exp.Cast(this=exp.Literal.number(2), to=exp.DataType.build("FLOAT"))]
        checked = [_call("idu_vector_arg", args[0], what.copy())]
        checked += [_call("idu_vector_arg" if name in _PAIRS else "idu_vector_degree", args[1], what.copy())]
        return _call(_udf(name), *checked)

    return build


_NAMES = (*_PAIRS, "vector_norm", "vector_normalize")
ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {name: _build(name) for name in _NAMES}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset()
CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {}

_ORDER = (
    "Spark accumulates FLOATs across rows in the order the rows reach each partition, then merges the "
    "partitions, so its own last bits depend on the row order; sum the elements with a DOUBLE aggregate"
)
# functions of this family that stay refused, and why
REASONS: dict[str, str] = {"vector_sum": _ORDER, "vector_avg": _ORDER}


def anonymous_check(node: exp.Anonymous) -> str | None:
    name = node.name.lower()
    count = len(node.expressions)
    if count == 2 or (count == 1 and name in ("vector_norm", "vector_normalize")):
        return None
    return f"{name} with {count} arguments"


@gated(names=ANONYMOUS)
def vectors(tree: exp.Expr) -> exp.Expr:
    """Rewrite the vector functions (innermost first) into their Python functions."""
    return rewrite_calls(
        tree, by_type={}, by_name=ANONYMOUS, arguments=lambda n: [a.copy() for a in n.expressions]
    )


def _refused(what: str) -> str:
    return f"error('[IDU_REFUSED] ' || f || ' of a ' || typeof(x) || ' value: Spark takes only {what} there')"


VECTOR_MACROS: tuple[str, ...] = (
    # Spark casts nothing into these functions: any other type fails its analysis
    _macro(
        "idu_vector_arg(x, f)",
        f"CASE WHEN typeof(x) = 'FLOAT[]' THEN CAST(x AS FLOAT[]) ELSE {_refused('ARRAY<FLOAT>')} END",
    ),
    _macro(
        "idu_vector_degree(x, f)",
        f"CASE WHEN typeof(x) = 'FLOAT' THEN CAST(x AS FLOAT) ELSE {_refused('a FLOAT degree')} END",
    ),
)


def register_vectors(con: duckdb.DuckDBPyConnection) -> None:
    """Register the vector functions on ``con``; again is harmless."""
    from duckdb import sqltypes as t

    vector = con.list_type(t.FLOAT)
    for name, function in _PAIRS.items():
        register_udf(con, _udf(name), _scalar(function), [vector, vector], t.FLOAT, arrow=True)
    register_udf(con, _udf("vector_norm"), _scalar(norm), [vector, t.FLOAT], t.FLOAT, arrow=True)
    register_udf(con, _udf("vector_normalize"), _normalize_rows, [vector, t.FLOAT], vector, arrow=True)
