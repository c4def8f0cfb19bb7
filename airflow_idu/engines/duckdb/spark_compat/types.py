"""What Spark type an expression has, where the translation can know it before it runs.

Rewrites whose DuckDB form depends on an argument's type (``base64``, ``concat``,
``length``, ``substr``, ``CAST ... AS BINARY``) ask :func:`static_kind`. It answers
only when the type follows from the expression itself: literals, functions with a
fixed result type (``unhex``, ``sha2``, ``CAST``), and the functions that pass a type
through (``concat`` of binaries, ``substr`` of a binary, ``coalesce``/``if``/``CASE``
whose branches agree). Column types are not guessed: for those the rewrites emit a
dispatch on DuckDB's ``typeof()``, which DuckDB's binder folds to a constant from the
column's real type, so the choice costs nothing at run time. The translation keeps
DuckDB's type equal to Spark's for every construct it accepts (a Spark BINARY is a
DuckDB BLOB, a STRING a VARCHAR), which is what makes that dispatch exact.
"""

from __future__ import annotations

from enum import Enum

from sqlglot import exp

__all__ = ["Kind", "static_kind"]


class Kind(Enum):
    BINARY = "binary"
    STRING = "string"
    NULL = "null"  # an untyped NULL literal: takes the type of its neighbours
    OTHER = "other"  # numbers, booleans, dates, arrays, ...: known not to be BINARY or STRING


_B = exp.DataType.Type
_BINARY_TYPES = frozenset({_B.BINARY, _B.VARBINARY})
_STRING_TYPES = frozenset({_B.TEXT, _B.VARCHAR, _B.CHAR, _B.NCHAR, _B.NVARCHAR})

# functions whose Spark result is BINARY / STRING whatever their arguments
_BINARY_RESULT: tuple[type[exp.Expr], ...] = (exp.Unhex, exp.FromBase64, exp.MD5Digest, exp.SHA2Digest)
_STRING_RESULT: tuple[type[exp.Expr], ...] = (
    exp.SHA2, exp.MD5, exp.SHA, exp.Hex, exp.ToBase64, exp.Upper, exp.Lower, exp.Trim, exp.Replace,
    exp.RegexpReplace, exp.RegexpExtract, exp.ConcatWs, exp.Translate, exp.Repeat, exp.Initcap,
    exp.TimeToStr, exp.UnixToStr, exp.ArrayToString,
)  # fmt: skip
# functions whose result has the type of their first argument (Spark: substr/lpad of BINARY is BINARY)
_PASS_THROUGH: tuple[type[exp.Expr], ...] = (exp.Substring, exp.Pad, exp.Paren)
# macros earlier rewrites put in place of Spark functions with a fixed result type
_MACRO_RESULT = {"idu_cast_string": Kind.STRING, "idu_cast_string_plain": Kind.STRING, "idu_upper": Kind.STRING, "idu_lower": Kind.STRING,
                 "encode": Kind.BINARY, "idu_unbase64": Kind.BINARY, "idu_text": Kind.STRING,
                 "idu_utf8": Kind.STRING, "idu_ts_arg": Kind.OTHER, "idu_text_only": Kind.STRING,
                 "idu_array_join": Kind.STRING, "idu_array_join_null": Kind.STRING, "idu_to_double": Kind.OTHER,
                 "idu_to_float": Kind.OTHER, "idu_to_timestamp": Kind.OTHER, "idu_mod": Kind.OTHER,
                 "idu_mul": Kind.OTHER, "idu_initcap": Kind.STRING, "idu_split_part": Kind.STRING, "idu_pow": Kind.OTHER, "idu_sum": Kind.OTHER, "idu_bigint": Kind.OTHER, "idu_unhex": Kind.BINARY,
                 "idu_conv": Kind.STRING, "idu_substr_text": Kind.STRING, "idu_substr_text_plain": Kind.STRING,
                 "idu_unhex_plain": Kind.BINARY, "unhex": Kind.BINARY,
                 "idu_conv_int_16": Kind.STRING}  # fmt: skip

# conv's macros per base pair (spark_compat/macros.py CONV_BASES): text, and BIGINT under a CAST
_MACRO_RESULT |= {
    f"idu_conv_{f}_{t}{p}": Kind.STRING
    for f in ("10", "16")
    for t in ("10", "n10", "16")
    for p in ("", "_plain")
}
_MACRO_RESULT |= {
    f"idu_conv_bigint_{f}_{t}{p}": Kind.OTHER
    for f in ("10", "16")
    for t in ("10", "n10")
    for p in ("", "_plain")
}


def static_kind(node: exp.Expr | None) -> Kind | None:
    """The Spark kind of ``node`` when it is certain from the expression alone, else None."""
    if node is None:
        return None
    if isinstance(node, exp.Null):
        return Kind.NULL
    if isinstance(node, exp.Literal):
        return Kind.STRING if node.is_string else Kind.OTHER
    if isinstance(node, exp.Boolean):
        return Kind.OTHER
    if isinstance(node, exp.Anonymous):
        return _MACRO_RESULT.get(node.name.lower())
    if isinstance(node, exp.Cast):
        return _cast_kind(node.to)
    if isinstance(node, _BINARY_RESULT):
        return Kind.BINARY
    if isinstance(node, _STRING_RESULT):
        return Kind.STRING
    if isinstance(node, exp.Concat):
        return concat_kind([static_kind(a) for a in node.expressions])
    if isinstance(node, _PASS_THROUGH):
        return static_kind(node.this)
    if isinstance(node, exp.Coalesce):
        return _common([node.this, *node.expressions])
    if isinstance(node, exp.If):
        return _common([node.args.get("true"), node.args.get("false")])
    if isinstance(node, exp.Case):
        return _common([*(i.args.get("true") for i in node.args.get("ifs") or ()), node.args.get("default")])
    return None


def concat_kind(kinds: list[Kind | None]) -> Kind | None:
    """Spark's ``concat``: BINARY when every argument is, STRING as soon as one is not."""
    known = [k for k in kinds if k is not Kind.NULL]
    if any(k in (Kind.STRING, Kind.OTHER) for k in known):
        return Kind.STRING
    if known and all(k is Kind.BINARY for k in known):
        return Kind.BINARY
    return None


def _cast_kind(to: exp.DataType) -> Kind:
    if to.this in _BINARY_TYPES:
        return Kind.BINARY
    if to.this in _STRING_TYPES:
        return Kind.STRING
    return Kind.OTHER


def _common(branches: list[exp.Expr | None]) -> Kind | None:
    kinds = {static_kind(b) for b in branches if b is not None} - {Kind.NULL}
    return kinds.pop() if len(kinds) == 1 else None
