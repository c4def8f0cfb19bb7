"""Spark's TIME type and its functions on DuckDB's TIME (both: microseconds of the day, 00:00:00 to
23:59:59.999999; printed alike, trailing fractional zeros dropped).

Spark 4.3 gates the type behind ``spark.sql.timeType.enabled`` (off by default: Spark then raises
``UNSUPPORTED_TIME_TYPE`` at analysis for every TIME function). The engine mirrors that gate: the TIME
functions are refused unless ``IDU_SPARK_TIME_TYPE=true`` says the Spark being mirrored has it on
(a directory that runs here then runs there too); the values are Spark's with it on, as
``tests/fidelity`` compares them. Every function's result is Spark's ``TIME(6)``:

* ``make_time(h, m, s)``: h and m cast to INT, s to DECIMAL(16,6) (half-up); h 0-23, m 0-59, s
  below 60 or ``DATETIME_FIELD_OUT_OF_BOUNDS``. Seconds of a DOUBLE, FLOAT or STRING are refused
  when run (Spark's rounding of them is not modelled).
* ``time_from_seconds/millis/micros``: 0 to one day exclusive or an error; seconds of an integer
  or a DECIMAL of at most 9 decimals (Spark counts nanoseconds: -0.0000001 raises), truncated to
  microseconds; of a DOUBLE or FLOAT refused when run.
* ``time_to_seconds`` (DECIMAL(14,6)), ``time_to_millis`` (floor), ``time_to_micros`` (BIGINT).
* ``time_trunc(unit, t)``, ``time_diff(unit, a, b)``: a literal unit HOUR MINUTE SECOND
  MILLISECOND MICROSECOND (any case; another unit, where Spark raises, or a non-literal is refused);
  ``time_diff`` truncates toward zero. A STRING t is cast to TIME.
* ``to_time``/``try_to_time``, ``CAST``/``TRY_CAST``/``time()`` to TIME: :mod:`.time_parsing`;
  a TIMESTAMP's time of day (UTC); a ``TIME(p)`` other than 6, or a literal of more than six
  fractional digits (Spark's ``TIME(7..9)``), is refused.

sqlglot reads ``time_trunc``/``time_diff`` with their arguments shuffled: the Databricks parser is
told to read them as plain calls (:func:`_unmodel_time_calls`); :func:`repair` reads ``time(x)`` as a CAST.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import replace_each, rewrite_calls
from airflow_idu.engines.duckdb.spark_compat.python_functions import register_udf
from airflow_idu.engines.duckdb.spark_compat.time_parsing import (
    format_refusal,
    spark_string_to_time,
    spark_string_to_time_format,
)

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "ANONYMOUS",
    "CHECKS",
    "FUNCTIONS",
    "TIME_MACROS",
    "anonymous_check",
    "register_time",
    "repair",
    "times",
]

_UNITS = {"HOUR": 3600000000, "MINUTE": 60000000, "SECOND": 1000000, "MILLISECOND": 1000, "MICROSECOND": 1}
_ONE_ARGUMENT = ("time_from_seconds", "time_from_millis", "time_from_micros", "time_to_seconds",
                 "time_to_millis", "time_to_micros")  # fmt: skip
_ARITY: dict[str, tuple[int, ...]] = {
    **dict.fromkeys(_ONE_ARGUMENT, (1,)), "make_time": (3,), "to_time": (1, 2), "try_to_time": (1, 2),
    "time_trunc": (2,), "time_diff": (3,),
}  # fmt: skip
_FRACTION = re.compile(r"\.([0-9]*)\s*$")
_NULL_TIME = "CAST(NULL AS TIME)"


def _literal_text(node: exp.Expr | None) -> str | None:
    return node.this if isinstance(node, exp.Literal) and node.is_string else None


# -- the parse ------------------------------------------------------------------------------


def _unmodel_time_calls() -> None:
    """sqlglot models ``time_trunc``/``time_diff`` as other dialects' functions and reads Spark's calls
    with their arguments shuffled (a string or a bare column becomes an upper-cased ``Var``, the two
    indistinguishable); the Databricks parser reads them as plain calls instead (a copy of its table:
    the other dialects keep theirs)."""
    from sqlglot.dialects.databricks import Databricks

    functions = dict(Databricks.Parser.FUNCTIONS)
    for name in ("TIME_TRUNC", "TIME_DIFF"):
        functions.pop(name, None)
    Databricks.Parser.FUNCTIONS = functions


_unmodel_time_calls()


def repair(tree: exp.Expr) -> exp.Expr:
    """``time(x)``, which sqlglot reads as its own ``Time``, as Spark's ``CAST(x AS TIME)``."""
    nodes = list(tree.find_all(exp.Time))
    return replace_each(
        tree, reversed(nodes), lambda n: exp.Cast(this=n.this.copy(), to=exp.DataType.build("TIME"))
    )


# -- the checks ------------------------------------------------------------------------------


def _time_type_check(node: exp.Expr) -> str | None:
    """CAST to TIME(p) other than 6, or a TIME literal Spark types TIME(7..9)."""
    if not isinstance(node, exp.Cast) or node.to.this != exp.DataType.Type.TIME:
        return None
    params = node.to.expressions
    if params and not (len(params) == 1 and params[0].name == "6"):
        return "a TIME(p) type other than TIME(6) (Spark truncates to p digits)"
    text = _literal_text(node.this)
    if text is not None and not isinstance(node, exp.TryCast):
        fraction = _FRACTION.search(text)
        if fraction and len(fraction.group(1)) > 6:
            return "a TIME literal of more than six fractional digits (Spark's TIME(7..9))"
    return None


ENABLED_ENV = "IDU_SPARK_TIME_TYPE"  # "true": mirror a Spark with spark.sql.timeType.enabled on


def enabled() -> bool:
    """Whether the Spark being mirrored has its TIME type on (``translate_statement`` caches per value)."""
    return os.environ.get(ENABLED_ENV, "").strip().lower() == "true"


def anonymous_check(node: exp.Anonymous) -> str | None:
    name = node.name.lower()
    if not enabled():
        return (
            f"{name}: Spark's TIME type is off by default (spark.sql.timeType.enabled=false: Spark fails "
            f"at analysis with UNSUPPORTED_TIME_TYPE); set {ENABLED_ENV}=true where the Spark you run on has it on"
        )
    args = list(node.expressions)
    if len(args) not in _ARITY[name]:
        return f"{name} with {len(args)} arguments"
    if name in ("time_trunc", "time_diff"):
        unit = args[0]
        if not isinstance(unit, exp.Null) and _literal_text(unit) is None:
            return f"{name} with a unit that is not a string literal"
        if not isinstance(unit, exp.Null) and (_literal_text(unit) or "").upper() not in _UNITS:
            # Spark raises INVALID_PARAMETER_VALUE.TIME_UNIT on every row
            return f"{name} unit {_literal_text(unit)!r}: Spark's units are {', '.join(_UNITS)}"
    if name in ("to_time", "try_to_time") and len(args) == 2 and not isinstance(args[1], exp.Null):
        fmt = _literal_text(args[1])
        if fmt is None:
            return f"{name} with a format that is not a string literal"
        return format_refusal(fmt)
    return None


CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset()
# Cast is a structure node whose checks live in allowed._CHECKS; this one is merged there
CAST_CHECK = _time_type_check


# -- the rewrites ----------------------------------------------------------------------------


def _unit(unit: exp.Expr) -> exp.Expr:
    """The unit in microseconds (the check let only Spark's units and NULL through)."""
    if isinstance(unit, exp.Null):
        return exp.Null()
    return exp.Literal.number(_UNITS[(_literal_text(unit) or "").upper()])


def _to_time(try_: bool) -> Callable[[list[exp.Expr]], exp.Expr]:
    def build(args: list[exp.Expr]) -> exp.Expr:
        flag = exp.Boolean(this=try_)
        if len(args) == 1:
            return _call("idu_to_time", args[0], flag)
        if isinstance(args[1], exp.Null):
            return exp.Cast(this=exp.Null(), to=exp.DataType.build("TIME"))
        return _call("idu_to_time_format", args[0], args[1], flag)

    return build


ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {
    "make_time": lambda a: _call("idu_make_time", _call("idu_to_integer", a[0]), _call("idu_to_integer", a[1]), a[2]),
    "time_from_seconds": lambda a: _call("idu_time_from_seconds", a[0]),
    "time_from_millis": lambda a: _call("idu_time_from_units", a[0], exp.Literal.number(1000)),
    "time_from_micros": lambda a: _call("idu_time_from_units", a[0], exp.Literal.number(1)),
    "time_to_seconds": lambda a: _call("idu_time_to_seconds", a[0]),
    "time_to_millis": lambda a: exp.IntDiv(this=_call("idu_time_us", a[0]), expression=exp.Literal.number(1000)),
    "time_to_micros": lambda a: _call("idu_time_us", a[0]),
    "time_trunc": lambda a: _call("idu_time_trunc", _call("idu_time_arg", a[1]), _unit(a[0])),
    "time_diff": lambda a: _call(
        "idu_time_diff", _call("idu_time_arg", a[1]), _call("idu_time_arg", a[2]), _unit(a[0])
    ),
    "to_time": _to_time(False),
    "try_to_time": _to_time(True),
}  # fmt: skip


def _cast(node: exp.Expr) -> exp.Expr:
    if not isinstance(node, exp.Cast) or node.to.this != exp.DataType.Type.TIME:
        return node
    return _call("idu_cast_time", node.this.copy(), exp.Boolean(this=isinstance(node, exp.TryCast)))


@gated(types=(exp.Cast,), names=ANONYMOUS)
def times(tree: exp.Expr) -> exp.Expr:
    """Rewrite the TIME functions and casts to TIME (innermost first), before the other rewrites."""
    tree = rewrite_calls(
        tree, by_type={}, by_name=ANONYMOUS, arguments=lambda n: [a.copy() for a in n.expressions]
    )
    casts = [n for n in tree.find_all(exp.Cast) if n.to.this == exp.DataType.Type.TIME]
    return replace_each(tree, reversed(casts), _cast)


# -- the macros ------------------------------------------------------------------------------

_INTEGERS = "('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER')"
_DAY_US = 86400000000


def _out_of_bounds(what: str) -> str:
    return f"error('[DATETIME_FIELD_OUT_OF_BOUNDS] {what}')"


TIME_MACROS: tuple[str, ...] = (
    _macro("idu_time_of_us(us)", "TIME '00:00:00' + to_microseconds(us)"),
    # a TIME argument's microseconds of the day (Spark: the argument must be a TIME)
    _macro(
        "idu_time_us(t)",
        "CASE WHEN typeof(t) IN ('TIME', '\"NULL\"') THEN epoch_us(CAST(t AS TIME)) "
        "ELSE error('[IDU_REFUSED] a TIME function of a value that is not a TIME') END",
    ),
    _macro(
        "idu_cast_time(x, lenient)",
        "CASE WHEN typeof(x) = 'VARCHAR' THEN list_transform([idu_spark_time(CAST(x AS VARCHAR))], lambda idu_t: "
        "CASE WHEN idu_t IS NULL AND x IS NOT NULL AND NOT lenient THEN error('[CAST_INVALID_INPUT] the value ''' "
        "|| CAST(x AS VARCHAR) || ''' cannot be cast to TIME') ELSE idu_t END)[1] "
        "WHEN typeof(x) IN ('TIME', 'TIMESTAMP', '\"NULL\"') THEN CAST(x AS TIME) "
        "ELSE error('[IDU_REFUSED] CAST to TIME of a value that is not a STRING, TIMESTAMP or TIME') END",
    ),
    # time_trunc/time_diff's argument: a TIME, or a STRING cast to TIME
    _macro(
        "idu_time_arg(t)",
        "CASE WHEN typeof(t) = 'VARCHAR' THEN idu_cast_time(t, FALSE) WHEN typeof(t) IN ('TIME', '\"NULL\"') "
        "THEN CAST(t AS TIME) ELSE error('[IDU_REFUSED] a TIME function of a value that is not a TIME or a STRING') END",
    ),
    _macro(
        "idu_to_time(x, lenient)",
        "CASE WHEN typeof(x) IN ('VARCHAR', '\"NULL\"') THEN list_transform([idu_spark_time(CAST(x AS VARCHAR))], "
        "lambda idu_t: CASE WHEN idu_t IS NULL AND x IS NOT NULL AND NOT lenient THEN error('[CANNOT_PARSE_TIME] the "
        "input string ''' || CAST(x AS VARCHAR) || ''' cannot be parsed to a TIME value') ELSE idu_t END)[1] "
        "ELSE error('[IDU_REFUSED] to_time of a value that is not a STRING') END",
    ),
    _macro(
        "idu_to_time_format(x, fmt, lenient)",
        "CASE WHEN typeof(x) IN ('VARCHAR', '\"NULL\"') THEN list_transform([idu_spark_time_format("
        "CAST(x AS VARCHAR), fmt)], lambda idu_t: CASE WHEN idu_t IS NULL AND x IS NOT NULL AND NOT lenient THEN "
        "error('[CANNOT_PARSE_TIME] the input string ''' || CAST(x AS VARCHAR) || ''' does not match the format ''' "
        "|| fmt || '''') ELSE idu_t END)[1] ELSE error('[IDU_REFUSED] to_time of a value that is not a STRING') END",
    ),
    # Spark casts the seconds to DECIMAL(16,6), rounding half up (DuckDB's DECIMAL cast rounds alike)
    _macro(
        "idu_time_seconds_us(s)",
        f"CASE WHEN typeof(s) IN {_INTEGERS} THEN CAST(s AS BIGINT) * 1000000 "
        "WHEN typeof(s) LIKE 'DECIMAL%' THEN CAST(CAST(s AS DECIMAL(38, 6)) * 1000000 AS BIGINT) "
        "WHEN s IS NULL THEN NULL ELSE error('[IDU_REFUSED] make_time with seconds of a DOUBLE, FLOAT or STRING "
        "(Spark rounds them to DECIMAL(16,6))') END",
    ),
    _macro(
        "idu_make_time(h, mi, s)",
        "list_transform([idu_time_seconds_us(s)], lambda us: CASE WHEN h IS NULL OR mi IS NULL OR us IS NULL "
        f"THEN {_NULL_TIME} WHEN h NOT BETWEEN 0 AND 23 THEN {_out_of_bounds('make_time: the hour')} "
        f"WHEN mi NOT BETWEEN 0 AND 59 THEN {_out_of_bounds('make_time: the minute')} "
        f"WHEN us NOT BETWEEN 0 AND 59999999 THEN {_out_of_bounds('make_time: the second')} "
        "ELSE idu_time_of_us(CAST(h AS BIGINT) * 3600000000 + CAST(mi AS BIGINT) * 60000000 + us) END)[1]",
    ),
    # integral units since midnight (Spark: an integral argument), in [0, one day)
    _macro(
        "idu_time_from_units(n, unit_us)",
        f"CASE WHEN typeof(n) NOT IN {_INTEGERS} AND typeof(n) <> '\"NULL\"' THEN error('[IDU_REFUSED] "
        f"time_from_millis/micros of a value that is not an integer') WHEN n IS NULL THEN {_NULL_TIME} "
        f"WHEN n < 0 OR n >= {_DAY_US} // unit_us THEN {_out_of_bounds('Invalid TIME value')} "
        "ELSE idu_time_of_us(CAST(n AS BIGINT) * unit_us) END",
    ),
    # Spark reads the seconds as nanoseconds: a DECIMAL of more than 9 decimals is refused
    _macro(
        "idu_time_from_seconds(x)",
        f"CASE WHEN x IS NULL THEN {_NULL_TIME} WHEN typeof(x) IN {_INTEGERS} THEN idu_time_from_units(x, 1000000) "
        "WHEN typeof(x) NOT LIKE 'DECIMAL%' THEN error('[IDU_REFUSED] time_from_seconds of a DOUBLE or FLOAT "
        "(Spark''s conversion to nanoseconds is not modelled)') "
        "WHEN CAST(regexp_extract(typeof(x), ',([0-9]+)\\)', 1) AS INTEGER) > 9 THEN error('[IDU_REFUSED] "
        "time_from_seconds of a DECIMAL of more than 9 decimals') "
        f"WHEN x < 0 OR x >= 86400 THEN {_out_of_bounds('Invalid TIME value')} "
        "ELSE idu_time_of_us(CAST(trunc(x * 1000000) AS BIGINT)) END",
    ),
    _macro(
        "idu_time_to_seconds(t)",
        "CAST(CAST(idu_time_us(t) AS DECIMAL(18, 0)) * CAST(0.000001 AS DECIMAL(7, 6)) AS DECIMAL(14, 6))",
    ),
    _macro("idu_time_trunc(t, unit_us)", "idu_time_of_us(epoch_us(t) - epoch_us(t) % unit_us)"),
    _macro("idu_time_diff(a, b, unit_us)", "(epoch_us(b) - epoch_us(a)) // unit_us"),
)


def register_time(con: duckdb.DuckDBPyConnection) -> None:
    """Register Spark's string-to-TIME reading on ``con``; again is harmless."""
    from duckdb import sqltypes as t

    register_udf(con, "idu_spark_time", spark_string_to_time, [t.VARCHAR], t.TIME)
    register_udf(con, "idu_spark_time_format", spark_string_to_time_format, [t.VARCHAR, t.VARCHAR], t.TIME)
