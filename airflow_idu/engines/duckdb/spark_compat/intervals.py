"""``make_dt_interval(days, hours, mins, secs)``: Spark's day-time interval, as a DuckDB INTERVAL.

Spark's ``IntervalUtils.makeDayTimeInterval`` counts microseconds in a long: the seconds (a
DECIMAL(18,6)), plus days, hours and minutes each multiplied out, every product and sum checked
(``INTERVAL_ARITHMETIC_OVERFLOW`` beyond a long); missing arguments are 0, a NULL one gives NULL.
The same count of microseconds is DuckDB's ``to_microseconds``: one INTERVAL of no months, the same
span. Refused when run: seconds with more than six decimals or of a DOUBLE (Spark rounds them in its
cast to DECIMAL(18,6)). ``make_interval`` and ``make_ym_interval`` (calendar and year-month
intervals) stay refused.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import rewrite_calls

__all__ = ["ANONYMOUS", "CHECKS", "FUNCTIONS", "INTERVAL_MACROS", "anonymous_check", "intervals"]


def _int(node: exp.Expr) -> exp.Expr:
    return node if isinstance(node, exp.Literal) else _call("idu_to_integer", node)


def _make_dt_interval(args: list[exp.Expr]) -> exp.Expr:
    fields = [_int(a) for a in args[:3]] + [exp.Literal.number(0)] * (3 - min(len(args), 3))
    seconds = args[3] if len(args) > 3 else exp.Literal.number(0)
    return _call("idu_make_dt_interval", *fields, seconds)


ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {"make_dt_interval": _make_dt_interval}
CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset()


def anonymous_check(node: exp.Anonymous) -> str | None:
    return None if len(node.expressions) <= 4 else f"make_dt_interval with {len(node.expressions)} arguments"


@gated(names=ANONYMOUS)
def intervals(tree: exp.Expr) -> exp.Expr:
    """Rewrite make_dt_interval (innermost first), before the other rewrites see it."""
    return rewrite_calls(
        tree, by_type={}, by_name=ANONYMOUS, arguments=lambda n: [a.copy() for a in n.expressions]
    )


_LONG = "BETWEEN -9223372036854775808 AND 9223372036854775807"
_OVERFLOW = "error('[INTERVAL_ARITHMETIC_OVERFLOW] Integer overflow while operating with intervals')"

INTERVAL_MACROS: tuple[str, ...] = (
    # the seconds as DECIMAL(18,6) microseconds
    _macro(
        "idu_interval_micros(s)",
        "CASE WHEN typeof(s) IN ('DOUBLE', 'FLOAT') THEN error('[IDU_REFUSED] make_dt_interval with DOUBLE seconds "
        "(Spark rounds them to DECIMAL(18,6))') WHEN s IS NULL THEN NULL "
        "WHEN abs(CAST(s AS DECIMAL(38, 10))) >= 1000000000000 THEN error('[NUMERIC_VALUE_OUT_OF_RANGE] "
        "make_dt_interval: the seconds do not fit DECIMAL(18,6)') "
        "WHEN CAST(s AS DECIMAL(38, 10)) * 1000000 <> trunc(CAST(s AS DECIMAL(38, 10)) * 1000000) THEN "
        "error('[IDU_REFUSED] make_dt_interval with seconds of more than six decimals (Spark rounds them)') "
        "ELSE CAST(CAST(s AS DECIMAL(38, 10)) * 1000000 AS HUGEINT) END",
    ),
    _macro(
        "idu_make_dt_interval(d, h, mi, s)",
        "list_transform([idu_interval_micros(s)], lambda us: CASE WHEN d IS NULL OR h IS NULL OR mi IS NULL OR us IS NULL "
        "THEN CAST(NULL AS INTERVAL) ELSE list_transform([[CAST(d AS HUGEINT) * 86400000000, us + CAST(d AS HUGEINT) * "
        "86400000000, CAST(h AS HUGEINT) * 3600000000, us + CAST(d AS HUGEINT) * 86400000000 + CAST(h AS HUGEINT) * "
        "3600000000, CAST(mi AS HUGEINT) * 60000000, us + CAST(d AS HUGEINT) * 86400000000 + CAST(h AS HUGEINT) * "
        "3600000000 + CAST(mi AS HUGEINT) * 60000000]], lambda p: CASE WHEN list_bool_and(list_transform(p, "
        f"lambda v: v {_LONG})) THEN to_microseconds(CAST(p[6] AS BIGINT)) ELSE {_OVERFLOW} END)[1] END)[1]",
    ),
)
