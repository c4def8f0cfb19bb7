"""Spark date-time built-ins spelled as the engine's exact date parts, or one macro each.

* ``extract(field FROM x)`` / ``date_part('field', x)`` with a literal field: YEAR, QUARTER, MONTH,
  WEEK, DAY, DAYOFWEEK (Sunday 1), DAYOFWEEK_ISO, DOY, HOUR, MINUTE and their Spark synonyms, as
  ``year(x)``... (SECOND is refused: Spark gives a DECIMAL(8,6) with the fraction);
* ``make_date(y, m, d)``: ANSI, an invalid date raises; years outside 1-9999 are refused;
* ``timestamp_seconds``/``timestamp_millis``/``timestamp_micros`` of an integer: a multiplication that
  overflows BIGINT raises as in Spark; timestamps outside the years 1000-9999 are refused;
* ``trunc(date, fmt)`` with a literal format: YEAR/YYYY/YY, QUARTER, MONTH/MM/MON, WEEK (Monday);
  any other format gives NULL, as in Spark.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import replace_each

__all__ = ["ANONYMOUS", "CHECKS", "DATETIME_MACROS", "FUNCTIONS", "anonymous_check", "datetime_functions"]

_FIELDS: dict[str, str] = {
    **dict.fromkeys(("YEAR", "Y", "YEARS", "YR", "YRS"), "YEAR"),
    **dict.fromkeys(("QUARTER", "QTR"), "QUARTER"),
    **dict.fromkeys(("MONTH", "MON", "MONS", "MONTHS"), "MONTH"),
    **dict.fromkeys(("WEEK", "W", "WEEKS"), "WEEK"),
    **dict.fromkeys(("DAY", "D", "DAYS"), "DAY"),
    **dict.fromkeys(("DAYOFWEEK", "DOW"), "DOW"),
    **dict.fromkeys(("DAYOFWEEK_ISO", "DOW_ISO"), "DOW_ISO"),
    "DOY": "DOY",
    **dict.fromkeys(("HOUR", "H", "HOURS", "HR", "HRS"), "HOUR"),
    **dict.fromkeys(("MINUTE", "M", "MIN", "MINS", "MINUTES"), "MINUTE"),
}
_TRUNC: dict[str, str] = {
    **dict.fromkeys(("YEAR", "YYYY", "YY"), "year"),
    "QUARTER": "quarter",
    **dict.fromkeys(("MONTH", "MM", "MON"), "month"),
    "WEEK": "week",
}


def _date(node: exp.Expr) -> exp.Expr:
    return exp.Cast(this=node, to=exp.DataType.build("DATE"))


def _part(field: str, value: exp.Expr) -> exp.Expr:
    simple: dict[str, type[exp.Func]] = {
        "YEAR": exp.Year, "MONTH": exp.Month, "DAY": exp.DayOfMonth, "HOUR": exp.Hour, "MINUTE": exp.Minute,
        "WEEK": exp.WeekOfYear, "DOW": exp.DayOfWeek,
    }  # fmt: skip
    if field in simple:
        return simple[field](this=value)
    name = {"QUARTER": "idu_quarter", "DOY": "idu_day_of_year", "DOW_ISO": "idu_iso_day_of_week"}[field]
    return _call(name, _date(value))


def _field(node: exp.Expr | None) -> str | None:
    if isinstance(node, exp.Var) or (isinstance(node, exp.Literal) and node.is_string):
        return _FIELDS.get(node.name.upper())
    return None


def _source_check(value: exp.Expr | None) -> str | None:
    if isinstance(value, exp.Interval) or (
        isinstance(value, exp.Cast) and value.to.this in (exp.DataType.Type.TIME, exp.DataType.Type.INTERVAL)
    ):
        return "extract/date_part of an interval or a TIME value"
    return None


def _extract_check(node: exp.Expr) -> str | None:
    if _field(node.this) is None:
        return (
            "extract with a field other than YEAR, QUARTER, MONTH, WEEK, DAY, DOW, DOW_ISO, DOY, HOUR, MINUTE"
        )
    return _source_check(node.args.get("expression"))


def _trunc_check(node: exp.Expr) -> str | None:
    unit = node.args.get("unit")
    if not isinstance(unit, exp.Var) and not (isinstance(unit, exp.Literal) and unit.is_string):
        return "trunc with a format that is not a string literal"
    return None


CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {
    exp.Extract: _extract_check,
    exp.DateTrunc: _trunc_check,
    exp.MonthsBetween: lambda n: None,
}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset(CHECKS)


def anonymous_check(node: exp.Anonymous) -> str | None:
    if node.name.lower() in ("date_part", "datepart"):
        if len(node.expressions) != 2 or _field(node.expressions[0]) is None:
            return "date_part with a field that is not a literal YEAR, QUARTER, MONTH, WEEK, DAY, DOW, DOY, HOUR, MINUTE"
        return _source_check(node.expressions[1])
    return None if len(node.expressions) == 3 or node.name.lower() != "make_date" else "make_date arity"


def _trunc(node: exp.Expr) -> exp.Expr:
    unit = _TRUNC.get(node.args["unit"].name.upper())
    if unit is None:
        return exp.Cast(this=exp.Null(), to=exp.DataType.build("DATE"))
    truncated = _call("date_trunc", exp.Literal.string(unit), _date(node.this.copy()))
    return exp.Cast(this=truncated, to=exp.DataType.build("DATE"))


def _months_between(node: exp.Expr) -> exp.Expr:
    roundoff = node.args.get("roundoff")
    times = [_call("idu_ts_arg", node.args[k].copy()) for k in ("this", "expression")]
    return _call("idu_months_between", *times, roundoff.copy() if roundoff is not None else exp.true())


def _date_part(args: list[exp.Expr]) -> exp.Expr:
    field = _field(args[0])
    assert field is not None
    return _part(field, args[1])


def _scaled(scale: int) -> Callable[[list[exp.Expr]], exp.Expr]:
    return lambda a: _call("idu_timestamp_micros", a[0], exp.Literal.number(scale))


ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {
    "date_part": _date_part,
    "datepart": _date_part,
    "make_date": lambda a: _call("idu_make_date", *(_call("idu_to_integer", x) for x in a)),
    "timestamp_seconds": _scaled(1000000),
    "timestamp_millis": _scaled(1000),
    "timestamp_micros": _scaled(1),
}


@gated(types=(exp.Extract, exp.DateTrunc, exp.MonthsBetween), names=ANONYMOUS)
def datetime_functions(tree: exp.Expr) -> exp.Expr:
    """Rewrite the functions above (innermost first), before the other rewrites see them."""
    nodes = [
        n for n in tree.find_all(exp.Anonymous, exp.Extract, exp.DateTrunc, exp.MonthsBetween)
        if not isinstance(n, exp.Anonymous) or n.name.lower() in ANONYMOUS
    ]  # fmt: skip

    def build(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Anonymous):
            return ANONYMOUS[node.name.lower()]([a.copy() for a in node.expressions])
        if isinstance(node, exp.Extract):
            field = _field(node.this)
            assert field is not None
            return _part(field, node.expression.copy())
        if isinstance(node, exp.MonthsBetween):
            return _months_between(node)
        return _trunc(node)

    return replace_each(tree, reversed(nodes), build)


_INTS = "('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT')"

DATETIME_MACROS: tuple[str, ...] = (
    # Java's Math.round: the closest long, ties up
    _macro(
        "idu_java_round(v)",
        "CAST(CASE WHEN v - floor(v) >= 0.5 THEN floor(v) + 1 ELSE floor(v) END AS BIGINT)",
    ),
    _macro("idu_second_of_day(t)", "(epoch_us(t) - epoch_us(CAST(CAST(t AS DATE) AS TIMESTAMP))) // 1000000"),
    # Spark's DateTimeUtils.monthsBetween (UTC): whole months when the days of month agree or both are
    # the last; else the seconds between them over 31 days, rounded to 8 digits unless roundOff is false
    _macro(
        "idu_months_between(t1, t2, r)",
        "CASE WHEN t1 IS NULL OR t2 IS NULL OR r IS NULL THEN NULL ELSE list_transform([{'d1': CAST(t1 AS DATE), "
        "'d2': CAST(t2 AS DATE)}], lambda idu_mb: CASE WHEN day(idu_mb.d1) = day(idu_mb.d2) OR (idu_mb.d1 = last_day(idu_mb.d1) "
        "AND idu_mb.d2 = last_day(idu_mb.d2)) THEN CAST((year(idu_mb.d1) * 12 + month(idu_mb.d1)) - (year(idu_mb.d2) * 12 + month(idu_mb.d2)) "
        "AS DOUBLE) ELSE list_transform([CAST((year(idu_mb.d1) * 12 + month(idu_mb.d1)) - (year(idu_mb.d2) * 12 + month(idu_mb.d2)) "
        "AS DOUBLE) + CAST((day(idu_mb.d1) - day(idu_mb.d2)) * 86400 + idu_second_of_day(t1) - idu_second_of_day(t2) "
        "AS DOUBLE) / CAST(2678400 AS DOUBLE)], lambda idu_x: CASE WHEN r THEN CAST(idu_java_round(idu_x * "
        "CAST(100000000 AS DOUBLE)) AS DOUBLE) / CAST(100000000 AS DOUBLE) ELSE idu_x END)[1] END)[1] END",
    ),
    _macro("idu_iso_day_of_week(d)", "CAST(isodow(d) AS INTEGER)"),
    _macro(
        "idu_make_date(y, m, d)",
        "CASE WHEN y IS NULL OR m IS NULL OR d IS NULL THEN NULL WHEN y NOT BETWEEN 1 AND 9999 THEN "
        "error('[IDU_REFUSED] make_date outside the years 1-9999') ELSE make_date(y, m, d) END",
    ),
    _macro(
        "idu_timestamp_micros(x, scale)",
        f"CASE WHEN typeof(x) NOT IN {_INTS} THEN error('[IDU_REFUSED] timestamp_seconds/millis/micros of a "
        "value that is not an integer') WHEN x IS NULL THEN NULL "
        "WHEN CAST(x AS HUGEINT) * scale NOT BETWEEN -9223372036854775808 AND 9223372036854775807 THEN "
        "error('[ARITHMETIC_OVERFLOW] long overflow') "
        "WHEN CAST(x AS HUGEINT) * scale NOT BETWEEN -30610224000000000 AND 253402300799999999 THEN "
        "error('[IDU_REFUSED] a timestamp outside the years 1000-9999') "
        "ELSE make_timestamp(CAST(CAST(x AS HUGEINT) * scale AS BIGINT)) END",
    ),
)
