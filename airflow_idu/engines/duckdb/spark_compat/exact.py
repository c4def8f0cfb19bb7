"""Spark's values at the edges DuckDB treats differently: zero divisors, overflow, casts, arrays.

Each rewrite replaces one Spark construct by a macro of :data:`EXACT_MACROS` that gives
Spark's value (ANSI mode: Spark's error where Spark raises) or refuses the row with
``[IDU_REFUSED]`` where an exact answer would cost more than the construct is worth:

* ``a % b``: by zero raises (DuckDB: NaN for doubles);
* ``dec * dec``: DuckDB multiplies DECIMALs of at most 18 digits in 64 bits and overflows
  where Spark's wider DECIMAL holds the product: such a row is refused;
* ``sum`` of integers: BIGINT overflow raises as in Spark; where a partial sum could overflow
  in some row order (Spark raises or not depending on that order) the group is refused;
* ``pow``: Java's ``Math.pow`` and C's ``pow`` may differ in the last bit; only integral
  results below 2^53 (exact in both) are given, other rows refused;
* ``unhex``: NULL for text that is not hexadecimal, a leading 0 for an odd length (Spark);
* ``array_join``: NULL elements skipped (or replaced), an all-NULL array gives '';
* ``slice``: start 0 and a negative length raise; a start before the array gives [];
* ``try_element_at``: NULL out of bounds;
* ``from_unixtime`` / ``add_months``: results past year 9999 (Spark prints ``+10000``) refused;
* CAST of a TIMESTAMP to DOUBLE (seconds) and to integers (floored seconds), of an integer to
  TIMESTAMP (seconds since the epoch), of a DOUBLE beyond FLOAT's range to FLOAT (infinity).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.datetime_casts import cast_to_date, try_cast_datetime
from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.hex_text import is_even_hex
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import replace_each
from airflow_idu.engines.duckdb.spark_compat.plain_args import plain_call

__all__ = ["EXACT_MACROS", "MUL", "exact_values"]

MUL = "idu_mul"  # Spark's a * b (decimal_scales.py checks its result's scale)

_REFUSED = "error('[IDU_REFUSED] {what}')"
_INTS = "('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT')"
_MAX_SECONDS = "253402300799"  # 9999-12-31 23:59:59
_MIN_SECONDS = "-30610224000"  # 1000-01-01 00:00:00


def _args(node: exp.Expr) -> list[exp.Expr]:
    return [a.copy() for a in (node.this, node.args.get("expression")) if isinstance(a, exp.Expr)]


def _array_join(node: exp.Expr) -> exp.Expr:
    null = node.args.get("null")
    if null is None:
        return _call("idu_array_join", node.this.copy(), node.expression.copy())
    return _call("idu_array_join_null", node.this.copy(), node.expression.copy(), null.copy())


def _slice(node: exp.Expr) -> exp.Expr:
    start, end = node.args.get("start"), node.args.get("end")
    if start is None or end is None or not node.args.get("is_length"):
        return node
    start, end = (
        a if isinstance(a, exp.Literal | exp.Neg) else _call("idu_to_integer", a) for a in (start, end)
    )
    return _call("idu_slice", node.this.copy(), start.copy(), end.copy())


def _cast(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.TryCast) or not isinstance(node, exp.Cast):
        return node
    to = node.to.this
    if to is exp.DataType.Type.DATE:
        return cast_to_date(node.this.copy())
    name = {
        exp.DataType.Type.DOUBLE: "idu_to_double",
        exp.DataType.Type.FLOAT: "idu_to_float",
        exp.DataType.Type.TIMESTAMP: "idu_to_timestamp",
        exp.DataType.Type.TIMESTAMPTZ: "idu_to_timestamp",  # Spark's TIMESTAMP (session time zone UTC)
        exp.DataType.Type.TIMESTAMPLTZ: "idu_to_timestamp",
    }.get(to)
    return _call(name, node.this.copy()) if name else node


def _unhex(arg: exp.Expr) -> exp.Expr:
    # DuckDB's unhex of an even number of hex digits is Spark's; other text needs idu_unhex's check
    return _call("unhex", arg) if is_even_hex(arg) else plain_call("idu_unhex", arg)


def _unix_to_str(node: exp.Expr) -> exp.Expr:
    node.set("this", _call("idu_unix_seconds", node.this.copy()))
    return node


_BY_TYPE: dict[type[exp.Expr], Callable[[exp.Expr], exp.Expr]] = {
    exp.Mod: lambda n: _call("idu_mod", *_args(n)),
    exp.Mul: lambda n: _call(MUL, *_args(n)),
    exp.Pow: lambda n: _call("idu_pow", *_args(n)),
    exp.Unhex: lambda n: _unhex(n.this.copy()),
    exp.AddMonths: lambda n: _call("idu_date_in_range", n.copy()),
    exp.ArrayToString: _array_join,
    exp.ArraySlice: _slice,
    exp.Cast: _cast,
    exp.TryCast: try_cast_datetime,
    exp.TsOrDsToDate: lambda n: cast_to_date(n.this.copy()) if n.args.get("format") is None else n,
    exp.UnixToStr: _unix_to_str,
}


def _sum(node: exp.Expr) -> exp.Expr:
    if isinstance(node.parent, exp.Window | exp.Filter) or isinstance(node.this, exp.Distinct):
        return node
    return _call("idu_sum", node.this.copy())


def _value_node(aggregate: exp.Expr) -> exp.Expr:
    """The node that carries an aggregate's value: itself, or its FILTER and OVER around it."""
    outer = aggregate
    while isinstance(outer.parent, exp.Filter | exp.Window) and outer.parent.this is outer:
        outer = outer.parent
    return outer


def _as_bigint(aggregate: exp.Expr) -> None:
    """Spark's sum of integers and count_if are BIGINT, DuckDB's HUGEINT: a HUGEINT flowing on would
    not overflow where Spark's BIGINT does (``sum(k) * 10^14``), so the value is narrowed back."""
    outer = _value_node(aggregate)
    narrowed = _call("idu_bigint")
    outer.replace(narrowed)
    narrowed.set("expressions", [outer])


@gated(types=(*_BY_TYPE, exp.Sum, exp.CountIf))
def exact_values(tree: exp.Expr) -> exp.Expr:
    """Rewrite the constructs above (run before the other rewrites: it sees Spark's own nodes)."""
    nodes = [n for n in tree.find_all(*_BY_TYPE, exp.Sum) if type(n) in (*_BY_TYPE, exp.Sum)]
    tree = replace_each(
        tree, reversed(nodes), lambda n: _sum(n) if isinstance(n, exp.Sum) else _BY_TYPE[type(n)](n)
    )
    # idu_sum narrows its own result; these are the sums under FILTER, OVER or DISTINCT, and count_if
    for aggregate in list(tree.find_all(exp.Sum, exp.CountIf)):
        _as_bigint(aggregate)
    return tree


def _try_element_at() -> str:
    return _macro(
        "idu_try_element_at(a, i)",
        "CASE WHEN a IS NULL OR i IS NULL THEN NULL "
        "WHEN i = 0 THEN error('[INVALID_INDEX_OF_ZERO] element_at: SQL array indices start at 1') "
        "WHEN abs(i) > len(a) THEN NULL ELSE a[i] END",
    )


EXACT_MACROS: tuple[str, ...] = (
    _macro(
        "idu_mod(a, b)",
        "CASE WHEN b = 0 THEN error('[DIVIDE_BY_ZERO] Division by zero') ELSE a % b END",
    ),
    _macro(
        f"{MUL}(a, b)",
        "CASE WHEN typeof(a) LIKE 'DECIMAL%' AND typeof(b) LIKE 'DECIMAL%' AND a IS NOT NULL AND b IS NOT NULL "
        "AND try(list_transform([a], lambda v: v * b)[1]) IS NULL THEN "
        + _REFUSED.format(what="DECIMAL * DECIMAL beyond 18 digits (DuckDB multiplies in 64 bits)")
        + " ELSE a * b END",
    ),
    # replace_type casts a HUGEINT (DuckDB's sum of integers, count_if) to Spark's BIGINT and leaves
    # every other type as it is (DOUBLE, DECIMAL, INTERVAL sums)
    _macro("idu_bigint(v)", "replace_type(v, CAST(NULL AS HUGEINT), CAST(NULL AS BIGINT))"),
    _macro(
        "idu_sum(x)",
        "idu_bigint("
        f"CASE WHEN typeof(any_value(x)) IN {_INTS} "
        "AND sum(abs(CAST(x AS HUGEINT))) > CAST(9223372036854775807 AS HUGEINT) THEN "
        "CASE WHEN sum(x) NOT BETWEEN -9223372036854775808 AND 9223372036854775807 THEN "
        "error('[ARITHMETIC_OVERFLOW] sum: BIGINT overflow') ELSE "
        + _REFUSED.format(
            what="sum of integers whose partial sums may overflow BIGINT (Spark raises or not by row order)"
        )
        + " END ELSE sum(x) END)",
    ),
    _macro(
        "idu_pow(a, b)",
        "CASE WHEN a IS NULL OR b IS NULL THEN NULL "
        "WHEN isfinite(pow(a, b)) AND pow(a, b) = trunc(pow(a, b)) AND abs(pow(a, b)) < 9007199254740992 "
        "AND a = trunc(a) AND b = trunc(b) AND b >= 0 THEN pow(a, b) ELSE "
        + _REFUSED.format(
            what="pow with a result that is not an integer below 2^53 (Java and C round differently)"
        )
        + " END",
    ),
    *(
        _macro(
            f"idu_unhex{plain}(s)",  # _plain: copying a plain argument (plain_args.py)
            "CASE WHEN s IS NULL OR NOT regexp_full_match(s, '[0-9A-Fa-f]*') THEN NULL "
            "ELSE unhex(CASE WHEN length(s) % 2 = 1 THEN '0' || s ELSE s END) END",
        )
        for plain in ("", "_plain")
    ),
    _macro(
        "idu_array_join(a, sep)",
        "CASE WHEN a IS NULL OR sep IS NULL THEN NULL "
        "ELSE coalesce(array_to_string(list_filter(a, lambda x: x IS NOT NULL), sep), '') END",
    ),
    _macro(
        "idu_array_join_null(a, sep, r)",
        "CASE WHEN a IS NULL OR sep IS NULL THEN NULL WHEN r IS NULL THEN idu_array_join(a, sep) "
        "ELSE coalesce(array_to_string(list_transform(a, lambda x: coalesce(x, r)), sep), '') END",
    ),
    # slice(a, start, length): Spark's Slice (1-based, negative from the end, [] beyond the array)
    _macro(
        "idu_slice(a, start, n)",
        "CASE WHEN a IS NULL OR start IS NULL OR n IS NULL THEN NULL "
        "WHEN start = 0 THEN error('[INVALID_PARAMETER_VALUE.START] slice: start must not be 0') "
        "WHEN n < 0 THEN error('[INVALID_PARAMETER_VALUE.LENGTH] slice: length must not be negative') ELSE "
        "list_transform([CASE WHEN start > 0 THEN CAST(start AS BIGINT) - 1 ELSE len(a) + start END], "
        "lambda s: CASE WHEN s < 0 OR s >= len(a) THEN a[1:0] "
        "ELSE list_slice(a, s + 1, least(s + CAST(n AS BIGINT), len(a))) END)[1] END",
    ),
    _try_element_at(),
    _macro(
        "idu_unix_seconds(n)",
        f"CASE WHEN n NOT BETWEEN {_MIN_SECONDS} AND {_MAX_SECONDS} THEN "
        + _REFUSED.format(what="from_unixtime outside the years 1000-9999 (Spark prints them differently)")
        + " ELSE n END",
    ),
    _macro(
        "idu_date_in_range(d)",
        "CASE WHEN year(d) NOT BETWEEN 1 AND 9999 THEN "
        + _REFUSED.format(what="a date outside the years 1-9999")
        + " ELSE d END",
    ),
    _macro(
        "idu_to_double(x)",
        "CASE WHEN typeof(x) = 'TIMESTAMP' THEN epoch_us(CAST(x AS TIMESTAMP)) / 1000000.0 "
        "ELSE CAST(x AS DOUBLE) END",
    ),
    _macro(
        "idu_to_float(x)",
        "CASE WHEN typeof(x) = 'DOUBLE' AND isfinite(TRY_CAST(x AS DOUBLE)) "
        "AND abs(TRY_CAST(x AS DOUBLE)) >= 3.4028235677973366e38 THEN "
        "CAST(sign(TRY_CAST(x AS DOUBLE)) * 'inf'::DOUBLE AS FLOAT) "
        "WHEN typeof(x) = 'TIMESTAMP' THEN CAST(epoch_us(CAST(x AS TIMESTAMP)) / 1000000.0 AS FLOAT) "
        "ELSE CAST(x AS FLOAT) END",
    ),
    _macro(
        "idu_to_timestamp(x)",
        f"CASE WHEN typeof(x) IN {_INTS} THEN CASE WHEN TRY_CAST(x AS BIGINT) NOT BETWEEN {_MIN_SECONDS} "
        f"AND {_MAX_SECONDS} THEN "
        + _REFUSED.format(what="CAST of seconds outside the years 1000-9999 to TIMESTAMP")
        + " ELSE CAST(to_timestamp(TRY_CAST(x AS BIGINT)) AS TIMESTAMP) END "
        "WHEN typeof(x) IN ('DOUBLE', 'FLOAT') OR typeof(x) LIKE 'DECIMAL%' THEN "
        + _REFUSED.format(what="CAST of a fractional number to TIMESTAMP")
        + " WHEN typeof(x) = 'VARCHAR' THEN idu_text_to_timestamp(CAST(x AS VARCHAR)) "
        "ELSE CAST(x AS TIMESTAMP) END",
    ),
)
