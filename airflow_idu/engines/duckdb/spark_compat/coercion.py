"""Spark's implicit casts into string and date-time functions, decided by the argument's type.

Spark casts a BINARY argument of a string function (``lower``, ``instr``, ``trim``, ``like``,
``regexp_replace``...) to STRING by decoding its bytes as UTF-8, a DOUBLE by Java's printing,
and a STRING argument of an hour/minute/second/last_day/date_trunc to TIMESTAMP. DuckDB has no
string function of a BLOB and no ``hour`` of a VARCHAR, so it failed to bind. The rewrite here
wraps each such argument whose Spark type is not known to be right (:func:`.types.static_kind`)
in a macro that dispatches on DuckDB's ``typeof()`` (folded to a constant by DuckDB's binder,
so a VARCHAR column costs nothing): ``idu_text`` decodes a BLOB (refusing bytes that are not
UTF-8, where Spark substitutes U+FFFD), prints a DOUBLE like Java and casts the rest;
``idu_ts_arg`` parses only ISO date-time text and refuses any other.

Where Spark's result keeps the BINARY type (``reverse``, ``right`` of bytes) a BLOB argument is
refused. ``left(x, n)`` is Spark's ``substring(x, 1, n)`` and becomes one, so the BINARY-aware
``substr`` rewrite of :mod:`.binary` applies.
"""

from __future__ import annotations

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.datetime_casts import ISO_TIMESTAMP, cast_to_date
from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import replace_each
from airflow_idu.engines.duckdb.spark_compat.types import Kind, static_kind

__all__ = ["COERCION_MACROS", "coerce_arguments"]

# string functions and the argument names Spark casts to STRING
_TEXT_ARGS: dict[type[exp.Expr], tuple[str, ...]] = {
    exp.Ascii: ("this",),
    exp.Lower: ("this",),
    exp.Upper: ("this",),
    exp.Initcap: ("this",),
    exp.Trim: ("this", "expression"),
    exp.Replace: ("this", "expression", "replacement"),
    exp.RegexpReplace: ("this",),
    exp.RegexpExtract: ("this",),
    exp.RegexpLike: ("this",),
    exp.RegexpSplit: ("this",),
    exp.StrPosition: ("this", "substr"),
    exp.Contains: ("this", "expression"),
    exp.StartsWith: ("this", "expression"),
    exp.EndsWith: ("this", "expression"),
    exp.Like: ("this", "expression"),
    exp.ILike: ("this", "expression"),
    exp.Translate: ("this", "from_", "to"),
    exp.Repeat: ("this",),
    exp.Unhex: ("this",),
    exp.FromBase64: ("this",),
    exp.SplitPart: ("this", "delimiter"),
}
# functions whose Spark result stays BINARY for a BINARY argument: a BLOB is refused
_KEEPS_BINARY: dict[type[exp.Expr], str] = {
    exp.Reverse: "reverse() of a BINARY value or an array column",
    exp.Right: "right() of a BINARY value",
}
# date-time functions Spark applies to a STRING by casting it to TIMESTAMP
_TIMESTAMP_ARGS: tuple[type[exp.Expr], ...] = (
    exp.Hour,
    exp.Minute,
    exp.Second,
    exp.LastDay,
    exp.TimestampTrunc,
)
_REFUSED = "error('[IDU_REFUSED] {what}')"


def _text(arg: exp.Expr) -> exp.Expr:
    kind = static_kind(arg)
    if kind in (Kind.STRING, Kind.NULL, Kind.OTHER):
        return arg
    return _call("idu_utf8", arg) if kind is Kind.BINARY else _call("idu_text", arg)


def _wrap_text(node: exp.Expr) -> exp.Expr:
    for key in _TEXT_ARGS[type(node)]:
        arg = node.args.get(key)
        if isinstance(arg, exp.Expr):
            node.set(key, _text(arg.copy()))
    return node


def _pad(node: exp.Expr) -> exp.Expr:
    """lpad/rpad: a STRING result (text padding) unless both the value and the pad are BINARY; an
    empty pad (DuckDB raises) leaves the value cut to the length, as in Spark."""
    pad = node.args.get("fill_pattern")
    if pad is None and static_kind(node.this) is not Kind.STRING:  # Spark pads a BINARY with zero bytes
        node.set(
            "this",
            _call("idu_text_only", node.this.copy(), exp.Literal.string("lpad/rpad of a BINARY value")),
        )
    elif pad is None or static_kind(pad) is Kind.STRING:
        node.set("this", _text(node.this.copy()))
    elif static_kind(node.this) is not Kind.BINARY:
        what = exp.Literal.string("lpad/rpad of a BINARY value")
        node.set("this", _call("idu_text_only", node.this.copy(), what))
        node.set("fill_pattern", _call("idu_text_only", pad.copy(), what.copy()))
    pad = node.args.get("fill_pattern")
    if pad is None or (isinstance(pad, exp.Literal) and pad.this):
        return node
    cut = exp.Substring(this=node.this.copy(), start=exp.Literal.number(1),
                        length=_call("greatest", node.expression.copy(), exp.Literal.number(0)))  # fmt: skip
    empty = exp.EQ(this=pad.copy(), expression=exp.Literal.string(""))
    return exp.Case(ifs=[exp.If(this=empty, true=cut)], default=node.copy())


def _concat_ws(node: exp.Expr) -> exp.Expr:
    args = list(node.expressions)
    if len(args) == 1:  # Spark: '' (NULL for a NULL separator); DuckDB needs two arguments
        only = exp.Is(this=args[0].copy(), expression=exp.Null())
        return exp.Case(ifs=[exp.If(this=only, true=exp.Null())], default=exp.Literal.string(""))
    if args:
        what = exp.Literal.string("concat_ws of a BINARY value")
        guarded = [
            _call("idu_not_blob", a.copy(), what.copy()) if static_kind(a) is None else a for a in args[1:]
        ]
        node.set("expressions", [_text(args[0].copy()), *guarded])
    return node


# Spark functions whose result is an array whatever their arguments (reverse of one is the array reversed)
_ARRAY_RESULT: tuple[type[exp.Expr], ...] = (
    exp.Array, exp.ArrayDistinct, exp.ArrayIntersect, exp.ArrayExcept, exp.ArraySort, exp.RegexpSplit,
    exp.ArraySlice, exp.Transform, exp.ArrayFilter, exp.Flatten, exp.GenerateSeries, exp.ArrayAgg,
    exp.ArrayUniqueAgg, exp.ArrayCompact, exp.ArrayRemove, exp.ArrayAppend, exp.ArrayPrepend, exp.MapKeys,
)  # fmt: skip
_ARRAY_CALLS = frozenset({"array_union", "map_values", "array_repeat"})


def _is_array(node: exp.Expr) -> bool:
    """``node``'s Spark value is an array, from the expression alone."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Reverse):
        return _is_array(node.this)
    if isinstance(node, exp.Anonymous):
        return node.name.lower() in _ARRAY_CALLS
    return isinstance(node, _ARRAY_RESULT)


def _keeps_binary(node: exp.Expr) -> exp.Expr:
    """reverse/right of text; of a BINARY (Spark keeps bytes) or of an array column: refused."""
    if isinstance(node, exp.Reverse) and _is_array(node.this):
        return _call("array_reverse", node.this.copy())
    if isinstance(node, exp.Right):
        return _right(node)
    if static_kind(node.this) is not Kind.STRING:
        node.set(
            "this", _call("idu_text_only", node.this.copy(), exp.Literal.string(_KEEPS_BINARY[type(node)]))
        )
    return node


def _int_arg(node: exp.Expr) -> exp.Expr:
    """A position or length: Spark casts it to INT (ANSI: a BIGINT beyond INT fails)."""
    if isinstance(node, exp.Literal | exp.Neg) or (
        isinstance(node, exp.Anonymous) and node.name == "idu_to_integer"
    ):
        return node
    return _call("idu_to_integer", node)


def _left(node: exp.Expr) -> exp.Expr:
    """Spark's left(str, len) is substring(str, 1, len)."""
    return exp.Substring(
        this=node.this.copy(), start=exp.Literal.number(1), length=_int_arg(node.expression.copy())
    )


def _right(node: exp.Expr) -> exp.Expr:
    """Spark's right(str, len): '' when len <= 0, else substring(str, -len, len), of text."""
    value = node.this.copy()
    if static_kind(value) is not Kind.STRING:
        value = _call("idu_text_only", value, exp.Literal.string(_KEEPS_BINARY[exp.Right]))
    length = _int_arg(node.expression.copy())
    cut = exp.Substring(this=value, start=exp.Neg(this=exp.Paren(this=length.copy())), length=length.copy())
    empty = exp.LTE(this=length.copy(), expression=exp.Literal.number(0))
    null = exp.Is(this=node.this.copy(), expression=exp.Null())
    return exp.Case(ifs=[exp.If(this=null, true=exp.Null()), exp.If(this=empty, true=exp.Literal.string(""))],
                    default=cut)  # fmt: skip


def _timestamp_arg(node: exp.Expr) -> exp.Expr:
    arg = node.this
    if static_kind(arg) is not Kind.OTHER and arg is not None:
        node.set("this", _call("idu_ts_arg", arg.copy()))
    return node


# date functions Spark applies to a STRING by casting it to DATE (its grammar: datetime_casts.py)
_DATE_ARGS: dict[type[exp.Expr], tuple[str, ...]] = {
    exp.TsOrDsAdd: ("this",),
    exp.DateDiff: ("this", "expression"),
    exp.AddMonths: ("this",),
    exp.NextDay: ("this",),
}


def _date_args(node: exp.Expr) -> exp.Expr:
    for key in _DATE_ARGS[type(node)]:
        arg = node.args.get(key)
        if arg is not None and static_kind(arg) is not Kind.OTHER:
            node.set(key, cast_to_date(arg.copy()))
    return node


def _rank(node: exp.Expr) -> exp.Expr:
    """rank(x)/dense_rank(x)/percent_rank(x): Spark ignores the arguments (the window's ORDER BY ranks)."""
    node.set("expressions", [])
    return node


def _build(node: exp.Expr) -> exp.Expr:
    kind = type(node)
    if kind in _TEXT_ARGS:
        return _wrap_text(node)
    if kind is exp.Pad:
        return _pad(node)
    if kind is exp.ConcatWs:
        return _concat_ws(node)
    if kind in _KEEPS_BINARY:
        return _keeps_binary(node)
    if kind is exp.Left:
        return _left(node)
    if kind in (exp.Rank, exp.DenseRank, exp.PercentRank):
        return _rank(node)
    if kind in _DATE_ARGS:
        return _date_args(node)
    return _timestamp_arg(node)


_ALL: tuple[type[exp.Expr], ...] = (
    *_TEXT_ARGS, exp.Pad, exp.ConcatWs, *_KEEPS_BINARY, exp.Left, exp.Rank, exp.DenseRank, exp.PercentRank,
    *_TIMESTAMP_ARGS, *_DATE_ARGS,
)  # fmt: skip


@gated(types=_ALL)
def coerce_arguments(tree: exp.Expr) -> exp.Expr:
    """Spark's implicit casts of the arguments of string and date-time functions (innermost first)."""
    nodes = [n for n in tree.find_all(*_ALL) if type(n) in _ALL]
    return replace_each(tree, reversed(nodes), _build)


COERCION_MACROS: tuple[str, ...] = (
    # a value Spark casts to STRING: a BINARY's UTF-8 text, a DOUBLE as Java prints it
    _macro(
        "idu_text(x)",
        "CASE WHEN typeof(x) = 'BLOB' THEN idu_utf8(CAST(x AS BLOB)) "
        "WHEN typeof(x) IN ('DOUBLE', 'FLOAT') THEN idu_cast_string(x) ELSE CAST(x AS VARCHAR) END",
    ),
    # a value that must not be BINARY (the function would keep bytes where DuckDB cannot)
    _macro(
        "idu_not_blob(x, what)",
        "CASE WHEN typeof(x) = 'BLOB' THEN error('[IDU_REFUSED] ' || what || ' (Spark keeps or reads bytes)') "
        "ELSE x END",
    ),
    # a value Spark casts to STRING where DuckDB cannot keep Spark's type (bytes, arrays): refused
    _macro(
        "idu_text_only(x, what)",
        "CASE WHEN typeof(x) = 'BLOB' OR typeof(x) LIKE '%[]' OR typeof(x) LIKE 'MAP(%' "
        "OR typeof(x) LIKE 'STRUCT(%' THEN error('[IDU_REFUSED] ' || what || ' (Spark keeps its type)') "
        "ELSE idu_text(x) END",
    ),
    # substr of text: Spark's UTF8String.substringSQL (1-based, negative from the end, 0 as 1, end clamped)
    _macro(
        "idu_substr_bounds(n, pos, len)",
        "[greatest(CASE WHEN pos > 0 THEN pos - 1 WHEN pos < 0 THEN n + pos ELSE 0 END, 0), "
        "least(greatest(CASE WHEN pos > 0 THEN pos - 1 WHEN pos < 0 THEN n + pos ELSE 0 END + len, "
        "-2147483648), 2147483647)]",
    ),
    _macro(
        "idu_substr(s, pos, len)",
        "CASE WHEN s IS NULL OR pos IS NULL OR len IS NULL THEN NULL ELSE "
        "list_transform([idu_substr_bounds(length(s), CAST(pos AS BIGINT), CAST(len AS BIGINT))], "
        "lambda b: CASE WHEN b[1] >= b[2] THEN '' ELSE substring(s, b[1] + 1, b[2] - b[1]) END)[1] END",
    ),
    # a value Spark casts to TIMESTAMP: ISO text only (Spark reads more forms), dates and timestamps
    _macro(
        "idu_ts_arg(x)",
        "CASE WHEN typeof(x) = 'VARCHAR' THEN idu_parse_ts(CAST(x AS VARCHAR)) ELSE CAST(x AS TIMESTAMP) END",
    ),
    _macro(
        "idu_parse_ts(s)",
        f"CASE WHEN s IS NULL THEN NULL WHEN regexp_full_match(s, '{ISO_TIMESTAMP}') THEN CAST(s AS TIMESTAMP) "
        "ELSE "
        + _REFUSED.format(what="a STRING read as a TIMESTAMP that is not yyyy-MM-dd[ HH:mm[:ss[.SSSSSS]]]")
        + " END",
    ),
)
