"""``make_timestamp``, ``make_timestamp_ntz``, ``make_timestamp_ltz`` and their ``try_`` forms, from fields.

Spark's ``MakeTimestamp`` casts year, month, day, hour and minute to INT (ANSI: a BIGINT beyond INT
raises, in the ``try_`` forms too) and the seconds to DECIMAL(16,6); seconds of 60 with no fraction
are the next minute (PostgreSQL's leap second), any other field out of range raises
(``DATETIME_FIELD_OUT_OF_BOUNDS``; the ``try_`` forms give NULL). In the session time zone UTC a
TIMESTAMP, a TIMESTAMP_LTZ and a TIMESTAMP_NTZ made of the same fields are the same wall time, so all
are DuckDB's ``TIMESTAMP``: the date of the fields plus the microseconds of the day. Refused: a time
zone argument other than a UTC literal, a TIME argument; and when run: seconds with more than six
decimals or of a DOUBLE (Spark rounds them in its cast), a year outside 1-9999 (1000-9999 but for
TIMESTAMP_NTZ: PySpark cannot read an earlier TIMESTAMP, so the fidelity tests cannot show them).
``make_timestamp(date)`` is the date at midnight.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import rewrite_calls

__all__ = ["ANONYMOUS", "CHECKS", "FUNCTIONS", "MAKE_TIMESTAMP_MACROS", "anonymous_check", "make_timestamps"]

_UTC = frozenset({"UTC", "Z", "GMT", "+00:00", "Etc/UTC"})
_NAMES = ("make_timestamp", "make_timestamp_ntz", "make_timestamp_ltz")


def _int(node: exp.Expr) -> exp.Expr:
    return node if isinstance(node, exp.Literal) else _call("idu_to_integer", node)


def _build(try_: bool, first_year: int) -> Callable[[list[exp.Expr]], exp.Expr]:
    def build(args: list[exp.Expr]) -> exp.Expr:
        if len(args) == 1:
            return _call("idu_date_timestamp", args[0])
        fields = [_int(a) for a in args[:5]]
        return _call("idu_make_ts", *fields, args[5], exp.Boolean(this=try_), exp.Literal.number(first_year))

    return build


def _first_year(name: str) -> int:
    """PySpark (the fidelity harness) cannot read a TIMESTAMP (LTZ) before the year 1000: refused there."""
    return 1 if name.endswith("_ntz") else 1000


ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {
    **{name: _build(False, _first_year(name)) for name in _NAMES},
    **{f"try_{name}": _build(True, _first_year(name)) for name in _NAMES},
}


def _from_parts(node: exp.Expr) -> list[exp.Expr]:
    """sqlglot reads make_timestamp as TimestampFromParts: its arguments in Spark's order."""
    keys = ("year", "month", "day", "hour", "min", "sec", "nano", "zone")  # sqlglot keeps the zone as "nano"
    return [node.args[k] for k in keys if node.args.get(k) is not None]


def _check(name: str, args: list[exp.Expr]) -> str | None:
    if any(isinstance(a, exp.Cast) and a.to.this == exp.DataType.Type.TIME for a in args):
        return f"{name} of a TIME value (DuckDB's TIME is not Spark's)"
    if len(args) == 1 and name in ("make_timestamp", "try_make_timestamp"):
        return None
    if len(args) == 7:
        zone = args[6]
        if isinstance(zone, exp.Literal) and zone.is_string and zone.this in _UTC:
            return None
        return f"{name} with a time zone other than a UTC literal (the engine runs in UTC)"
    return None if len(args) == 6 else f"{name} with {len(args)} arguments"


def anonymous_check(node: exp.Anonymous) -> str | None:
    return _check(node.name.lower(), list(node.expressions))


CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {
    exp.TimestampFromParts: lambda n: _check("make_timestamp", _from_parts(n)),
}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset(CHECKS)


@gated(types=(exp.TimestampFromParts,), names=ANONYMOUS)
def make_timestamps(tree: exp.Expr) -> exp.Expr:
    """Rewrite the functions above (innermost first), before the other rewrites see them."""

    def arguments(node: exp.Expr) -> list[exp.Expr]:
        args = _from_parts(node) if isinstance(node, exp.TimestampFromParts) else list(node.expressions)
        return [a.copy() for a in args]

    return rewrite_calls(
        tree, by_type={exp.TimestampFromParts: _build(False, 1000)}, by_name=ANONYMOUS, arguments=arguments
    )


def _bad(field: str) -> str:
    return (
        f"CASE WHEN t THEN NULL ELSE error('[DATETIME_FIELD_OUT_OF_BOUNDS] make_timestamp: the {field}') END"
    )


MAKE_TIMESTAMP_MACROS: tuple[str, ...] = (
    _macro(
        "idu_date_timestamp(x)",
        "CASE WHEN typeof(x) = 'DATE' THEN CAST(x AS TIMESTAMP) WHEN x IS NULL THEN CAST(NULL AS TIMESTAMP) "
        "ELSE error('[IDU_REFUSED] make_timestamp of one value that is not a DATE') END",
    ),
    # the seconds as Spark's DECIMAL(16,6), in microseconds
    _macro(
        "idu_seconds_micros(s)",
        "CASE WHEN typeof(s) IN ('DOUBLE', 'FLOAT') THEN error('[IDU_REFUSED] make_timestamp with DOUBLE seconds "
        "(Spark rounds them to DECIMAL(16,6))') WHEN s IS NULL THEN NULL "
        "WHEN abs(CAST(s AS DECIMAL(38, 10))) >= 10000000000 THEN error('[CAST_OVERFLOW] make_timestamp: the seconds "
        "do not fit DECIMAL(16,6)') WHEN CAST(s AS DECIMAL(38, 10)) * 1000000 <> trunc(CAST(s AS DECIMAL(38, 10)) * 1000000) "
        "THEN error('[IDU_REFUSED] make_timestamp with seconds of more than six decimals (Spark rounds them)') "
        "ELSE CAST(CAST(s AS DECIMAL(38, 10)) * 1000000 AS BIGINT) END",
    ),
    _macro(
        "idu_make_ts(y, mo, d, h, mi, s, t, lo)",
        "list_transform([idu_seconds_micros(s)], lambda us: CASE WHEN y IS NULL OR mo IS NULL OR d IS NULL OR h IS NULL "
        "OR mi IS NULL OR us IS NULL THEN CAST(NULL AS TIMESTAMP) "
        "WHEN y NOT BETWEEN lo AND 9999 THEN error('[IDU_REFUSED] make_timestamp of a year outside ' || lo || '-9999') "
        f"WHEN mo NOT BETWEEN 1 AND 12 THEN {_bad('month')} "
        f"WHEN d NOT BETWEEN 1 AND day(last_day(make_date(y, mo, 1))) THEN {_bad('day')} "
        f"WHEN h NOT BETWEEN 0 AND 23 THEN {_bad('hour')} "
        f"WHEN mi NOT BETWEEN 0 AND 59 THEN {_bad('minute')} "
        f"WHEN us NOT BETWEEN 0 AND 60000000 THEN {_bad('second')} "
        "ELSE list_transform([CAST(make_date(y, mo, d) AS TIMESTAMP) + to_microseconds(CAST(h AS BIGINT) * 3600000000 "
        "+ CAST(mi AS BIGINT) * 60000000 + us)], lambda r: CASE WHEN year(r) > 9999 THEN "
        "error('[IDU_REFUSED] make_timestamp of a year outside 1-9999') ELSE r END)[1] END)[1]",
    ),
)
