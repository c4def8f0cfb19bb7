"""Spark's ``time_bucket(size, ts[, origin])`` with a day-time interval literal, in UTC.

Spark 4.3's ``DateTimeUtils.timeBucketFromTimestampDTInterval`` (``javap -c``): ``k = floorDiv(ts -
origin, size)`` in microseconds (``subtractExact``), the bucket ``origin + k * size``
(``multiplyExact``/``addExact``); a size of a day or more adds ``k * size`` in the session time zone
and steps ``k`` until the bucket holds ``ts``, which in UTC (the engine's session time zone) is the
same plain addition. The origin defaults to 1970-01-01 00:00:00. DuckDB's BIGINT arithmetic raises
on the same overflows. Refused: a size that is not a positive literal INTERVAL of one day-time unit
(DAY, HOUR, MINUTE, SECOND), a year-month size (calendar months: not ported), an origin that is not
a constant (Spark rejects it); when run, a ``ts`` or origin that is not a TIMESTAMP (Spark rejects a
DATE or a string there).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import rewrite_calls

__all__ = ["ANONYMOUS", "CHECKS", "FUNCTIONS", "TIME_BUCKET_MACROS", "anonymous_check", "time_buckets"]

_MICROS = {"DAY": 86_400_000_000, "HOUR": 3_600_000_000, "MINUTE": 60_000_000, "SECOND": 1_000_000}
_NUMBER = re.compile(r"\d+(\.\d{1,6})?")


def bucket_micros(node: exp.Expr) -> int | None:
    """The size in microseconds of a literal ``INTERVAL 'n' UNIT`` of one day-time unit, if positive."""
    if not isinstance(node, exp.Interval) or not isinstance(node.this, exp.Literal):
        return None
    unit = node.args.get("unit")
    name = unit.name.upper().removesuffix("S") if isinstance(unit, exp.Var) else ""
    text = str(node.this.this).strip()
    if name not in _MICROS or not _NUMBER.fullmatch(text) or ("." in text and name != "SECOND"):
        return None
    try:
        micros = int(Decimal(text) * _MICROS[name])
    except InvalidOperation:
        return None
    return micros if micros > 0 else None


def anonymous_check(node: exp.Anonymous) -> str | None:
    if len(node.expressions) not in (2, 3):
        return f"time_bucket with {len(node.expressions)} arguments"
    if bucket_micros(node.expressions[0]) is None:
        return (
            "time_bucket with a size that is not a positive INTERVAL literal of one unit of DAY, HOUR, MINUTE "
            "or SECOND (year-month buckets follow the calendar: not supported)"
        )
    if len(node.expressions) == 3 and any(node.expressions[2].find_all(exp.Column)):
        return "time_bucket with an origin that is not a constant (Spark requires a foldable origin)"
    return None


def _build(args: list[exp.Expr]) -> exp.Expr:
    size = bucket_micros(args[0])
    assert size is not None  # anonymous_check
    origin = args[2] if len(args) == 3 else exp.Literal.number(0)
    start = _call("idu_bucket_ts", origin) if len(args) == 3 else origin
    return _call("idu_time_bucket", _call("idu_bucket_ts", args[1]), start, exp.Literal.number(size))


ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {"time_bucket": _build}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset()
CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {}


@gated(names=ANONYMOUS)
def time_buckets(tree: exp.Expr) -> exp.Expr:
    """time_bucket(size, ts[, origin]) -> the macro over microseconds since the epoch."""
    return rewrite_calls(
        tree, by_type={}, by_name=ANONYMOUS, arguments=lambda n: [a.copy() for a in n.expressions]
    )


TIME_BUCKET_MACROS: tuple[str, ...] = (
    # ts (and origin) as microseconds since the epoch; Spark takes only a TIMESTAMP (or TIMESTAMP_NTZ)
    _macro(
        "idu_bucket_ts(t)",
        "CASE WHEN typeof(t) IN ('TIMESTAMP', 'TIMESTAMP WITH TIME ZONE') THEN epoch_us(CAST(t AS TIMESTAMP)) "
        "ELSE error('[IDU_REFUSED] time_bucket of a ' || typeof(t) || ' value: Spark takes only a TIMESTAMP') END",
    ),
    # floorDiv(ts - origin, size) as Java's (size > 0), then origin + k * size: BIGINT, overflow raises
    _macro(
        "idu_time_bucket(t, o, n)",
        "make_timestamp(o + ((t - o) // n - CASE WHEN (t - o) % n < 0 THEN 1 ELSE 0 END) * n)",
    ),
)
