"""Small Spark built-ins spelled as constructs the engine already runs exactly, or as one macro each.

This rewrite runs first, on the statement as written, so what it produces (a CAST, an
``IS NULL``, ``avg``, ``octet_length``...) then gets the later rewrites' Spark semantics:

* the cast-named functions ``bigint``/``smallint``/``tinyint``/``decimal``/``binary`` are CASTs
  (``decimal(x)`` is ``CAST(x AS DECIMAL(10,0))``); ``isnull``/``isnotnull`` are ``IS [NOT] NULL``;
  ``negative``/``positive`` are unary minus/plus (``positive`` of text refused); ``mean`` is ``avg``;
  ``nullifzero``/``zeroifnull`` are ``NULLIF(x, 0)``/``coalesce(x, 0)``; ``bit_length`` is eight
  times ``octet_length``; ``btrim`` is ``trim``; ``regexp`` is ``rlike``; ``to_timestamp_ntz``/
  ``to_timestamp_ltz`` of one argument are ``CAST(x AS TIMESTAMP)`` (session time zone UTC);
  ``raise_error(msg)`` raises;
* ``sign``/``signum`` give a DOUBLE (NaN and -0.0 kept); ``degrees``/``radians`` multiply by Java's
  constants (``Math.toDegrees``); ``e()`` is Java's ``Math.E``;
* ``shiftleft``/``shiftright``/``shiftrightunsigned`` (``<<``, ``>>``): Java's shifts (the count
  masked to the width, bits shifted out dropped), in the argument's own type;
  ``bit_count``/``bit_get`` over the 64-bit (``bit_count``) or own-width two's complement;
* dates: ``dayofyear``/``quarter``/``weekday``/``dayname``/``monthname`` of a date (a string read as
  ``CAST(x AS DATE)``); ``unix_date``/``unix_seconds``/``unix_millis``/``unix_micros`` (floored);
  ``date_from_unix_date`` (years 1-9999); ``next_day`` with a literal day name;
* ``isnan`` (false for NULL), ``nanvl``, ``char``/``chr`` (``n & 255``, '' below 0), ``space``,
  ``elt`` (ANSI: an index out of range raises), ``substring_index`` (a literal delimiter that
  cannot overlap itself), ``array_repeat``, ``map_contains_key``;
* ``try_add``/``try_subtract``/``try_multiply``/``try_divide``: NULL where Spark's ANSI arithmetic
  would raise; DECIMAL operands are refused (Spark's DECIMAL result types differ from DuckDB's).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import rewrite_calls
from airflow_idu.engines.duckdb.spark_compat.scalar_macros import DAYS, SCALAR_MACROS
from airflow_idu.engines.duckdb.spark_compat.types import Kind, static_kind

__all__ = ["ANONYMOUS", "CHECKS", "FUNCTIONS", "SCALAR_MACROS", "anonymous_check", "scalar_functions"]

Build = Callable[[list[exp.Expr]], exp.Expr]


def _cast(to: str) -> Build:
    return lambda a: exp.Cast(this=a[0], to=exp.DataType.build(to, dialect="databricks"))


def _int(node: exp.Expr) -> exp.Expr:
    """An INT argument: Spark casts a BIGINT to INT (ANSI: beyond INT fails)."""
    return node if isinstance(node, exp.Literal | exp.Neg) else _call("idu_to_integer", node)


def _text(node: exp.Expr) -> exp.Expr:
    """A STRING argument: Spark casts the others to STRING (a BINARY decoded as UTF-8)."""
    kind = static_kind(node)
    if kind in (Kind.STRING, Kind.NULL):
        return node
    return _call("idu_utf8", node) if kind is Kind.BINARY else _call("idu_text", node)


def _text_only(node: exp.Expr, what: str) -> exp.Expr:
    """A STRING argument of a function whose Spark result stays BINARY for BINARY ones (refused)."""
    return (
        node if static_kind(node) is Kind.STRING else _call("idu_text_only", node, exp.Literal.string(what))
    )


def _date(node: exp.Expr) -> exp.Expr:
    return exp.Cast(this=node, to=exp.DataType.build("DATE"))


def _is_null(negate: bool) -> Build:
    def build(a: list[exp.Expr]) -> exp.Expr:
        test = exp.Is(this=a[0], expression=exp.Null())
        return exp.Paren(this=exp.Not(this=test) if negate else test)

    return build


def _elt_values(values: list[exp.Expr]) -> list[exp.Expr]:
    """Spark's elt: BINARY when every value is, else each value cast to STRING. A value whose type
    only DuckDB knows must not be a BLOB (DuckDB would read the text values as bytes)."""
    kinds = [static_kind(v) for v in values]
    if all(k in (Kind.BINARY, Kind.NULL) for k in kinds):
        return values
    if any(k in (Kind.STRING, Kind.OTHER, Kind.BINARY) for k in kinds):
        return [_text(v) for v in values]
    what = exp.Literal.string("elt of a BINARY value among values of unknown type")
    return [
        _call("idu_text_only", v, what.copy()) if k is None else v for v, k in zip(values, kinds, strict=True)
    ]


def _elt(a: list[exp.Expr]) -> exp.Expr:
    index = _call("idu_to_integer", a[0])
    ifs = [exp.If(this=exp.EQ(this=index.copy(), expression=exp.Literal.number(n)), true=v)
           for n, v in enumerate(_elt_values(a[1:]), start=1)]  # fmt: skip
    error = _call("error", exp.DPipe(this=exp.Literal.string("[INVALID_ARRAY_INDEX] elt: index out of range: "),
                                     expression=exp.Cast(this=index.copy(), to=exp.DataType.build("VARCHAR"))))  # fmt: skip
    null = exp.If(this=exp.Is(this=index.copy(), expression=exp.Null()), true=exp.Null())
    return exp.Case(ifs=[null, *ifs], default=error)


def _btrim(a: list[exp.Expr]) -> exp.Expr:
    if len(a) == 1:
        return exp.Trim(this=a[0])
    return exp.Trim(this=a[0], position="BOTH", expression=a[1])


def _substring_index(a: list[exp.Expr]) -> exp.Expr:
    return _call("idu_substring_index", _text(a[0]), a[1], _int(a[2]))


def _next_day(a: list[exp.Expr]) -> exp.Expr:
    day = DAYS[a[1].name.upper()]
    return _call("idu_next_day", _date(a[0]), exp.Literal.number(day))


def _unary(name: str, wrap: Callable[[exp.Expr], exp.Expr] | None = None) -> Build:
    return lambda a: _call(name, *(wrap(x) if wrap else x for x in a))


def _shift(name: str) -> Build:
    return lambda a: _call(name, a[0], _int(a[1]))


def _try(name: str) -> Build:
    return lambda a: _call(name, a[0], a[1])


# Spark name (an exp.Anonymous to sqlglot) -> its spelling; each takes the call's arguments
ANONYMOUS: dict[str, Build] = {
    "bigint": _cast("BIGINT"),
    "smallint": _cast("SMALLINT"),
    "tinyint": _cast("TINYINT"),
    "decimal": lambda a: _cast("DECIMAL(10, 0)")([_call("idu_not_temporal", a[0])]),
    "binary": _cast("BINARY"),
    "isnull": _is_null(False),
    "isnotnull": _is_null(True),
    "positive": lambda a: _call("idu_positive", a[0]),
    "mean": lambda a: exp.Avg(this=a[0]),
    "nullifzero": lambda a: exp.Nullif(this=a[0], expression=exp.Literal.number(0)),
    "zeroifnull": lambda a: exp.Coalesce(this=a[0], expressions=[exp.Literal.number(0)]),
    "e": lambda a: exp.Cast(this=exp.Literal.number("2.718281828459045"), to=exp.DataType.build("DOUBLE")),
    "weekday": lambda a: _call("idu_weekday", _date(a[0])),
    "btrim": _btrim,
    "array_repeat": lambda a: _call("idu_array_repeat", a[0], _int(a[1])),
    "shiftrightunsigned": _shift("idu_shift_right_unsigned"),
    "raise_error": lambda a: _call(
        "error", exp.Coalesce(this=_text(a[0]), expressions=[exp.Literal.string("null")])
    ),
    "regexp": lambda a: exp.RegexpLike(this=a[0], expression=a[1]),
    "to_timestamp_ntz": _cast("TIMESTAMP"),
    "to_timestamp_ltz": _cast("TIMESTAMP"),
}

# sqlglot's node for a Spark function -> its spelling
_BUILD: dict[type[exp.Expr], Build] = {
    exp.Negative: lambda a: exp.Neg(this=exp.Paren(this=a[0])),
    exp.Sign: _unary("idu_signum"),
    exp.Degrees: lambda a: _call("idu_times_double", a[0], exp.Literal.number("57.29577951308232")),
    exp.Radians: lambda a: _call("idu_times_double", a[0], exp.Literal.number("0.017453292519943295")),
    exp.BitwiseCount: _unary("idu_bit_count"),
    exp.Getbit: lambda a: _call("idu_bit_get", a[0], _int(a[1])),
    exp.BitwiseLeftShift: _shift("idu_shift_left"),
    exp.BitwiseRightShift: _shift("idu_shift_right"),
    exp.BitLength: lambda a: _call("idu_bits", _call("octet_length", a[0])),
    exp.Chr: lambda a: _call("idu_chr", a[0]),
    exp.Space: lambda a: _call("repeat", exp.Literal.string(" "), _int(a[0])),
    exp.IsNan: lambda a: _call("idu_isnan", a[0]),
    exp.Nanvl: _try("idu_nanvl"),
    exp.DayOfYear: lambda a: _call("idu_day_of_year", _date(a[0])),
    exp.Quarter: lambda a: _call("idu_quarter", _date(a[0])),
    exp.Dayname: lambda a: _call("strftime", _date(a[0]), exp.Literal.string("%a")),
    exp.Monthname: lambda a: _call("strftime", _date(a[0]), exp.Literal.string("%b")),
    exp.UnixDate: lambda a: _call("idu_unix_date", _date(a[0])),
    exp.UnixSeconds: lambda a: _call("idu_floor_div", _call("epoch_us", a[0]), exp.Literal.number(1000000)),
    exp.UnixMillis: lambda a: _call("idu_floor_div", _call("epoch_us", a[0]), exp.Literal.number(1000)),
    exp.UnixMicros: lambda a: _call("epoch_us", a[0]),
    exp.DateFromUnixDate: lambda a: _call("idu_date_from_unix_date", _int(a[0])),
    exp.NextDay: _next_day,
    exp.Elt: _elt,
    exp.Overlay: lambda a: _call(
        "idu_overlay",
        *(_text_only(x, "overlay of a BINARY value") for x in a[:2]),
        *(_int(x) for x in a[2:]),
        *([exp.Literal.number(-1)] if len(a) == 3 else []),
    ),
    exp.ArrayInsert: lambda a: _call("idu_array_insert", a[0], _int(a[1]), a[2]),
    exp.MapContainsKey: _try("idu_map_contains_key"),
    exp.SubstringIndex: _substring_index,
    exp.SafeAdd: _try("idu_try_add"),
    exp.SafeSubtract: _try("idu_try_subtract"),
    exp.SafeMultiply: _try("idu_try_multiply"),
    exp.SafeDivide: _try("idu_try_divide"),
}

# sqlglot-modelled functions run as DuckDB spells them (after the later rewrites)
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset({
    *_BUILD, exp.Pi, exp.BitwiseAndAgg, exp.BitwiseOrAgg, exp.BitwiseXorAgg, exp.BitwiseNot, exp.EndsWith,
    exp.EqualNull, exp.ArrayCompact, exp.ArrayPrepend,
})  # fmt: skip


def _arguments(node: exp.Expr) -> list[exp.Expr]:
    if isinstance(node, exp.Anonymous):
        return [a.copy() for a in node.expressions]
    args: list[exp.Expr] = []
    for key in type(node).arg_types:
        value = node.args.get(key)
        if isinstance(value, list):
            args.extend(v.copy() for v in value)
        elif isinstance(value, exp.Expr):
            args.append(value.copy())
    return args


def _literal(node: exp.Expr | None) -> str | None:
    return node.this if isinstance(node, exp.Literal) and node.is_string else None


def _next_day_check(node: exp.Expr) -> str | None:
    day = _literal(node.args.get("expression"))
    if day is None or day.upper() not in DAYS:
        return "next_day with a day of the week that is not a literal day name (MO, MON, MONDAY...)"
    return None


def _substring_index_check(node: exp.Expr) -> str | None:
    delimiter = _literal(node.args.get("delimiter"))
    if not delimiter:
        return "substring_index with a delimiter that is not a non-empty string literal"
    if any(delimiter[:n] == delimiter[-n:] for n in range(1, len(delimiter))):
        return "substring_index with a delimiter that can overlap itself (Spark searches from the right)"
    return None


CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {
    exp.ArrayInsert: lambda n: None if n.args.get("offset") == 1 else "array_insert with another index base",
    exp.NextDay: _next_day_check,
    exp.SubstringIndex: _substring_index_check,
}


def anonymous_check(node: exp.Anonymous) -> str | None:
    """The refusal reason for one of :data:`ANONYMOUS` with these arguments, or None."""
    name = node.name.lower()
    if name == "mean" and isinstance(node.parent, exp.Window):
        return "mean(...) OVER: a DECIMAL average differs (Spark DECIMAL, DuckDB DOUBLE); use sum(...) / count(...)"
    if name == "decimal" and len(node.expressions) != 1:
        return "decimal() with more than one argument"
    if name == "btrim" and len(node.expressions) not in (1, 2):
        return "btrim with other than one or two arguments"
    arity = {"raise_error": (1,), "regexp": (2,), "to_timestamp_ntz": (1,), "to_timestamp_ltz": (1,)}
    if name in arity and len(node.expressions) not in arity[name]:
        return f"{name} with {len(node.expressions)} arguments (a format is not supported)"
    return None


@gated(types=_BUILD, names=ANONYMOUS)
def scalar_functions(tree: exp.Expr) -> exp.Expr:
    """Rewrite the functions above (innermost first), before the other rewrites see them."""
    return rewrite_calls(tree, by_type=_BUILD, by_name=ANONYMOUS, arguments=_arguments)
