"""Spark's approximate aggregates in the range where their result is exact: ``percentile_approx``
(alias ``approx_percentile``) and ``approx_count_distinct``. Outside it they are refused when run,
naming the function and why, never answered with another value.

``percentile_approx(x, p [, accuracy])`` is Spark's ``ApproximatePercentile``: a Greenwald-Khanna
``QuantileSummaries`` with ``relativeError = 1.0 / accuracy`` (default 10000) over the values as
DOUBLEs. A sample's rank uncertainty (delta) is ``floor(2 * relativeError * count)``, merging two
partitions' summaries adds ``floor(2 * relativeError * count)`` of the other side, and compress
merges samples only above ``2 * relativeError * count``. So while ``2 * n < accuracy`` (``n``: the
group's non-NULL values) every delta is 0, nothing is merged, and the query answers the sorted
values' element at rank ``ceil(p * n)``; the minimum for ``p <= relativeError``, the maximum for
``p >= 1 - relativeError``; NULL without values; whatever Spark's partitioning. From ``accuracy / 2``
values on, Spark's answer depends on how its partitions' summaries merge (local Spark, accuracy 100:
one partition leaves the exact rank at 51 values, four partitions at other sizes): refused when run.
The value goes through DOUBLE and back to its type, which is exact for integers and TIMESTAMPs
(microseconds) up to 2^53 in magnitude, DATEs, FLOATs and DOUBLEs, and DECIMALs of up to 15 digits;
anything else is refused when run, and so is a DOUBLE group holding NaN or both 0.0 and -0.0 (Spark's
merge compares with ``<``, so their order depends on the partitions).

``approx_count_distinct(x [, relativeSD])`` is Spark's ``HyperLogLogPlusPlus``: ``p = ceil(2 *
log(1.106 / relativeSD) / log(2))`` address bits (default 0.05: p = 9, m = 512 registers), each
non-NULL value's ``xxhash64`` (seed 42, Spark's byte layout: :mod:`.hashing`) picks register
``hash >>> (64 - p)``. With V registers still empty, Spark answers the linear-counting estimate
``round(m * ln(m / V))`` while that is at most ``THRESHOLDS(p - 4)``; the registers' contents and the
order of the rows do not matter there. Beyond (or with no empty register) it answers its
bias-corrected raw estimate: refused when run. Java's ``Math.log`` and DuckDB's ``ln`` may differ in
the last bit (2^-34 after the scaling by m at p = 18): every accepted estimate is at least 1.4e-6 from
a rounding boundary and 0.06 from its threshold (tests/engines/test_approximate.py enumerates them
all), and an estimate within 1e-6 of either is refused all the same.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import replace_each

__all__ = [
    "ANONYMOUS",
    "APPROXIMATE_MACROS",
    "CHECKS",
    "FUNCTIONS",
    "SPARK_NAMES",
    "THRESHOLDS",
    "anonymous_check",
    "approximate",
    "hll_precision",
    "percentages",
]

DEFAULT_ACCURACY = 10000  # ApproximatePercentile.DEFAULT_PERCENTILE_ACCURACY
DEFAULT_RELATIVE_SD = 0.05  # HyperLogLogPlusPlus's default
# HyperLogLogPlusPlusHelper.THRESHOLDS: the largest linear-counting estimate, for p = 4 .. 18
THRESHOLDS = (10, 20, 40, 80, 220, 400, 900, 1800, 3100, 6500, 15500, 20000, 50000, 120000, 350000)
# Spark's name of a node whose source position sqlglot does not keep (refusals name the construct by it)
SPARK_NAMES: dict[type[exp.Expr], str] = {exp.ApproxQuantile: "percentile_approx"}
_INT_MAX = 2147483647
_EXACT_DIGITS = 15  # a DECIMAL literal of up to 15 digits is the nearest DOUBLE in Java and Python alike

ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {}


def anonymous_check(node: exp.Anonymous) -> str | None:
    return None


def _number(node: exp.Expr | None) -> float | None:
    """A numeric literal's DOUBLE as Spark reads it, if Python's parse is certain to be the same."""
    negative = isinstance(node, exp.Neg)
    literal = node.this if isinstance(node, exp.Neg) else node
    if not isinstance(literal, exp.Literal) or literal.is_string:
        return None
    text = literal.this
    # a DOUBLE literal (1e-1) is Java's correctly rounded parse; a DECIMAL's toDouble only up to 15 digits
    digits = text.replace(".", "").lstrip("0")
    if "e" not in text.lower() and len(digits) > _EXACT_DIGITS:
        return None
    value = float(text)
    return -value if negative else value


def percentages(node: exp.Expr) -> tuple[list[float], bool] | str:
    """The percentages of a percentile_approx call and whether Spark returns an array; or a refusal."""
    given = node.args.get("quantile")
    items = given.expressions if isinstance(given, exp.Array) else [given]
    values = [_number(item) for item in items]
    if not items or any(v is None or not 0.0 <= v <= 1.0 for v in values):
        return "percentages other than numeric literals between 0 and 1 (of at most 15 digits)"
    return [v for v in values if v is not None], isinstance(given, exp.Array)


def _accuracy(node: exp.Expr) -> int | None:
    given = node.args.get("accuracy")
    if given is None:
        return DEFAULT_ACCURACY
    if isinstance(given, exp.Literal) and not given.is_string and given.this.isdigit():
        value = int(given.this)
        return value if 0 < value <= _INT_MAX else None
    return None


def _percentile_approx_check(node: exp.Expr) -> str | None:
    if isinstance(node.parent, exp.Window):
        return "percentile_approx as a window function"
    if isinstance(node.this, exp.Distinct):
        return "percentile_approx of DISTINCT values"
    if _accuracy(node) is None:
        return "an accuracy other than an integer literal between 1 and 2147483647"
    found = percentages(node)
    return found if isinstance(found, str) else None


def hll_precision(relative_sd: float) -> int | str:
    """HyperLogLogPlusPlusHelper's p for ``relative_sd``, or why it is refused."""
    if not relative_sd > 0:
        return "a relativeSD that is not positive (Spark fails)"
    bits = 2.0 * math.log(1.106 / relative_sd) / math.log(2.0)
    if abs(bits - round(bits)) < 1e-9:  # Java's Math.log might round to the other side of the ceiling
        return f"relativeSD {relative_sd!r}: too close to a precision boundary to know Spark's register count"
    p = math.ceil(bits)
    if p < 4:
        return f"relativeSD {relative_sd!r} above 0.39 (Spark fails: HLL++ needs at least 4 address bits)"
    if p > 18:
        return f"relativeSD {relative_sd!r} below 0.0022 (p = {p}: Spark's choice of estimate needs its raw estimate)"
    return p


def _hll_arguments(node: exp.Expr) -> tuple[exp.Expr, exp.Expr | None]:
    """The value and the relativeSD; DISTINCT (the same registers) holds both in sqlglot's parse."""
    value = node.this
    if isinstance(value, exp.Distinct) and 1 <= len(value.expressions) <= 2:
        return value.expressions[0], (value.expressions[1] if len(value.expressions) == 2 else None)
    return value, node.args.get("accuracy")


def _relative_sd(node: exp.Expr) -> float | str:
    given = _hll_arguments(node)[1]
    if given is None:
        return DEFAULT_RELATIVE_SD
    value = _number(given)
    return "a relativeSD other than a numeric literal" if value is None else value


def _approx_count_distinct_check(node: exp.Expr) -> str | None:
    if isinstance(node.parent, exp.Window):
        return "approx_count_distinct as a window function"
    if isinstance(node.this, exp.Distinct) and not 1 <= len(node.this.expressions) <= 2:
        return "approx_count_distinct of DISTINCT values of several columns"
    relative_sd = _relative_sd(node)
    if isinstance(relative_sd, str):
        return relative_sd
    p = hll_precision(relative_sd)
    return p if isinstance(p, str) else None


CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {
    exp.ApproxQuantile: _percentile_approx_check,
    exp.ApproxDistinct: _approx_count_distinct_check,
}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset(CHECKS)


def _percentile_approx(node: exp.Expr) -> exp.Expr:
    found = percentages(node)
    accuracy = _accuracy(node)
    assert not isinstance(found, str) and accuracy is not None  # checked in allowed.py
    values, as_array = found
    error = 1.0 / accuracy  # Spark's relativeError; its boundary cases are decided here, once
    effective = [0.0 if p <= error else 1.0 if p >= 1 - error else p for p in values]
    # as text: a DuckDB DOUBLE literal would be read as a DECIMAL first, and no later rewrite touches a string
    text = exp.Literal.string(",".join(f"{p:.17e}" for p in effective))
    name = exp.Literal.string("percentile_approx (approx_percentile)")
    result = _call("idu_percentile_approx", node.this.copy(), text, exp.Literal.number(accuracy), name)
    return result if as_array else _call("list_extract", result, exp.Literal.number(1))


def _approx_count_distinct(node: exp.Expr) -> exp.Expr:
    relative_sd = _relative_sd(node)
    assert not isinstance(relative_sd, str)  # checked in allowed.py
    p = hll_precision(relative_sd)
    assert isinstance(p, int)
    return _call(
        "idu_approx_count_distinct",
        _hll_arguments(node)[0].copy(),
        exp.Literal.number(p),
        exp.Literal.number(THRESHOLDS[p - 4]),
    )


_BUILD: dict[type[exp.Expr], Callable[[exp.Expr], exp.Expr]] = {
    exp.ApproxQuantile: _percentile_approx,
    exp.ApproxDistinct: _approx_count_distinct,
}


@gated(types=_BUILD)
def approximate(tree: exp.Expr) -> exp.Expr:
    """Rewrite percentile_approx and approx_count_distinct into the macros below."""
    nodes = [n for n in tree.find_all(*_BUILD) if type(n) in _BUILD]
    return replace_each(tree, reversed(nodes), lambda n: _BUILD[type(n)](n))


_REFUSED = "error('[IDU_REFUSED] ' || what || "
_TYPES = "('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'FLOAT', 'DOUBLE', 'DATE', 'TIMESTAMP')"
_PRECISION = "CAST(regexp_extract(typeof(any_value(x)), 'DECIMAL\\((\\d+),', 1) AS INTEGER)"

APPROXIMATE_MACROS: tuple[str, ...] = (
    # per value: why Spark's DOUBLE of it could be another value or order ('big', 'nan', '-0', '+0')
    _macro(
        "idu_pa_mark(x)",
        "CASE WHEN typeof(x) = 'BIGINT' THEN CASE WHEN abs(CAST(CAST(x AS VARCHAR) AS HUGEINT)) > "
        "9007199254740992 THEN 'big' END WHEN typeof(x) = 'TIMESTAMP' THEN CASE WHEN abs(epoch_us("
        "CAST(CAST(x AS VARCHAR) AS TIMESTAMP))) > 9007199254740992 THEN 'big' END WHEN typeof(x) IN ('DOUBLE', "
        "'FLOAT') THEN CASE CAST(x AS VARCHAR) WHEN 'nan' THEN 'nan' WHEN '-nan' THEN 'nan' WHEN '-0.0' THEN '-0' "
        "WHEN '0.0' THEN '+0' END END",
    ),
    _macro(
        "idu_percentile_approx(x, qs, acc, what)",
        f"CASE WHEN 2 * count(x) >= acc THEN {_REFUSED}' over ' || count(x) || ' non-NULL values with accuracy ' "
        "|| acc || ': Spark''s result is exact only below accuracy / 2 values; from there on it depends on how "
        "its partitions'' summaries merge. Use percentile(...) for the exact percentile, or a larger accuracy') "
        f"WHEN typeof(any_value(x)) NOT IN {_TYPES} AND NOT (typeof(any_value(x)) LIKE 'DECIMAL(%' AND "
        f"{_PRECISION} <= 15) THEN {_REFUSED}' of a ' || typeof(any_value(x)) || ' value: only integers, "
        "FLOAT, DOUBLE, DATE, TIMESTAMP and DECIMALs of up to 15 digits go through Spark''s DOUBLE exactly') "
        f"WHEN bool_or(idu_pa_mark(x) = 'big') THEN {_REFUSED}' of a BIGINT or TIMESTAMP beyond 2^53 in "
        "magnitude (Spark rounds it to a DOUBLE)') "
        f"WHEN bool_or(idu_pa_mark(x) = 'nan') OR (bool_or(idu_pa_mark(x) = '-0') AND bool_or(idu_pa_mark(x) = "
        f"'+0')) THEN {_REFUSED}' of DOUBLEs holding NaN, or both 0.0 and -0.0 (Spark''s order of them depends "
        "on its partitions)') "
        "ELSE list_transform([list_sort(list(x) FILTER (WHERE x IS NOT NULL))], lambda idu_s: CASE WHEN idu_s IS NULL "
        "OR len(idu_s) = 0 THEN NULL ELSE list_transform(list_transform(string_split(qs, ','), lambda idu_t: CAST(idu_t AS "
        "DOUBLE)), lambda idu_q: idu_s[greatest(CAST(ceil(idu_q * len(idu_s)) AS BIGINT), 1)]) END)[1] END",
    ),
    # the linear-counting estimate from the number of registers in use, or refused
    _macro(
        "idu_hll_linear(used, p, threshold)",
        "list_transform([CAST((1 << p) - used AS DOUBLE)], lambda idu_v: CASE WHEN idu_v = 0 THEN error("
        "'[IDU_REFUSED] approx_count_distinct: every register is in use, so Spark answers its bias-corrected "
        "estimate, which the engine does not compute. Use count(DISTINCT ...) for the exact count') ELSE "
        "list_transform([(1 << p) * ln((1 << p) / idu_v)], lambda idu_h: CASE WHEN idu_h > threshold - 1e-6 "
        "THEN error('[IDU_REFUSED] approx_count_distinct: the estimate ' || round(idu_h, 1) || ' is beyond "
        "linear counting (' || threshold || ' at ' || (1 << p) || ' registers), where Spark answers its "
        "bias-corrected estimate, which the engine does not compute. Use count(DISTINCT ...) for the exact count') "
        "WHEN abs(idu_h - floor(idu_h) - 0.5) < 1e-6 THEN error('[IDU_REFUSED] approx_count_distinct: the "
        "estimate ' || idu_h || ' is too close to a rounding boundary to know Spark''s rounding of it') "
        "ELSE CAST(round(idu_h) AS BIGINT) END)[1] END)[1]",
    ),
    _macro(
        "idu_approx_count_distinct(x, p, threshold)",
        "idu_hll_linear(count(DISTINCT CASE WHEN x IS NOT NULL THEN (idu_xxhash64(typeof(x), CAST(x AS VARCHAR), "
        "to_json(x), 42) >> (64 - p)) & ((1 << p) - 1) END), p, threshold)",
    ),
)
