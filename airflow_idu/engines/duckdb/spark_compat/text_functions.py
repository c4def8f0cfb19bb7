"""Small Spark string and bit functions, each one macro or one constant.

* ``mask(s[, upper, lower, digit, other])``: each character Java's ``Character.isUpperCase`` /
  ``isLowerCase`` / ``isDigit`` reads as such (categories Lu, Ll and Nd: ``ǅ``, ``ª``, ``Ⓐ`` stay)
  replaced by its literal one-character replacement (NULL keeps it). DuckDB's RE2 classes
  ``\\p{Lu}``/``\\p{Ll}``/``\\p{Nd}`` were compared with local Spark (Java 17) on every code point:
  they differ only on the 148 letters and digits Unicode added after Java 17's Unicode 13, which
  are refused when run (``_NEWER_THAN_JAVA``);
* ``collation(s)``: Spark's ``SYSTEM.BUILTIN.UTF8_BINARY``, the only collation the engine's strings have;
* ``assert_true(c[, message])``: NULL, or ``[USER_RAISED_EXCEPTION]`` where ``c`` is false or NULL;
* ``bitmap_bit_position``/``bitmap_bucket_number`` (Spark's ``BitmapExpressionUtils``: 32768 bits
  a bucket, Java's truncating ``/`` and ``%``; DuckDB's integer ``//`` truncates too) and
  ``bitmap_count`` (the set bits of a BINARY).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.more_functions import text
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import rewrite_calls

__all__ = [
    "ANONYMOUS",
    "CHECKS",
    "FUNCTIONS",
    "TEXT_MACROS",
    "anonymous_check",
    "join_hex_literals",
    "text_functions",
]

Build = Callable[[list[exp.Expr]], exp.Expr]
_COLLATION = "SYSTEM.BUILTIN.UTF8_BINARY"
_NEWER_THAN_JAVA = (
    r"[\x{2C2F}\x{2C5F}\x{A7C0}-\x{A7C1}\x{A7D0}-\x{A7D1}\x{A7D3}\x{A7D5}-\x{A7D9}\x{10570}-\x{1057A}"
    r"\x{1057C}-\x{1058A}\x{1058C}-\x{10592}\x{10594}-\x{10595}\x{10597}-\x{105A1}\x{105A3}-\x{105B1}"
    r"\x{105B3}-\x{105B9}\x{105BB}-\x{105BC}\x{11F50}-\x{11F59}\x{16AC0}-\x{16AC9}\x{1DF00}-\x{1DF09}"
    r"\x{1DF0B}-\x{1DF1E}\x{1DF25}-\x{1DF2A}\x{1E4F0}-\x{1E4F9}]"
)
_MASK_DEFAULTS = ("X", "x", "n", None)


def _mask(a: list[exp.Expr]) -> exp.Expr:
    given = [*a[1:], *([None] * (5 - len(a)))]
    chars = [g if g is not None else (exp.Literal.string(d) if d else exp.Null())
             for g, d in zip(given, _MASK_DEFAULTS, strict=True)]  # fmt: skip
    return _call("idu_mask", text(a[0]), *(exp.Cast(this=c, to=exp.DataType.build("VARCHAR")) for c in chars))


def _assert_true(a: list[exp.Expr]) -> exp.Expr:
    message = text(a[1]) if len(a) > 1 else exp.Literal.string(f"'{a[0].sql('spark')}' is not true!")
    fail = _call("error", exp.DPipe(this=exp.Literal.string("[USER_RAISED_EXCEPTION] "), expression=message))
    return exp.Case(ifs=[exp.If(this=a[0], true=exp.Null())], default=fail)


def _bigint(node: exp.Expr) -> exp.Expr:
    return _call("idu_to_bigint", node)


ANONYMOUS: dict[str, Build] = {"mask": _mask, "assert_true": _assert_true}
_BUILD: dict[type[exp.Expr], Build] = {
    exp.Collation: lambda a: exp.Literal.string(_COLLATION),
    exp.BitmapBitPosition: lambda a: _call("idu_bitmap_bit_position", _bigint(a[0])),
    exp.BitmapBucketNumber: lambda a: _call("idu_bitmap_bucket_number", _bigint(a[0])),
    exp.BitmapCount: lambda a: _call("idu_bitmap_count", a[0]),
}
# and the literal X'hex': DuckDB's unhex('hex') gives Spark's bytes (an odd digit count padded with a leading 0)
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset({*_BUILD, exp.HexString})
_SPACED_HEX = re.compile(r"\b[Xx]\s+'(?=[0-9A-Fa-f]*')")


def join_hex_literals(code: str) -> str:
    """``X 'hex'`` (Spark's typed-literal spelling, which sqlglot does not parse) as ``X'hex'``."""
    if not _SPACED_HEX.search(code):
        return code
    out, quote, start, i = [], "", 0, 0
    while i < len(code):
        ch = code[i]
        if quote:
            i += 2 if ch == "\\" and quote != "`" else 1
            quote = "" if ch == quote else quote
            continue
        found = _SPACED_HEX.match(code, i) if ch in "Xx" else None
        if found:
            out.append(code[start:i] + ch + "'")
            start = i = found.end()
            quote = "'"
            continue
        quote = ch if ch in "'\"`" else ""
        i += 1
    return "".join(out) + code[start:]


def _one_character(node: exp.Expr) -> bool:
    if isinstance(node, exp.Null):
        return True
    return isinstance(node, exp.Literal) and node.is_string and len(node.this) == 1 and node.this != "\\"


def anonymous_check(node: exp.Anonymous) -> str | None:
    name, args = node.name.lower(), node.expressions
    if name == "mask" and (not 1 <= len(args) <= 5 or not all(_one_character(c) for c in args[1:])):
        return "mask with a replacement that is not a one-character string literal or NULL"
    if name == "assert_true" and len(args) not in (1, 2):
        return "assert_true with other than one or two arguments"
    return None


CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {}


@gated(types=_BUILD, names=ANONYMOUS)
def text_functions(tree: exp.Expr) -> exp.Expr:
    """Rewrite the functions above (innermost first), before the other rewrites see them."""
    return rewrite_calls(
        tree, by_type=_BUILD, by_name=ANONYMOUS, arguments=lambda n: [a.copy() for a in n.iter_expressions()]
    )


TEXT_MACROS: tuple[str, ...] = (
    _macro(
        "idu_mask(s, u, l, d, o)",
        f"CASE WHEN s IS NULL THEN NULL WHEN regexp_matches(s, '{_NEWER_THAN_JAVA}') THEN error('[IDU_REFUSED] "
        "mask of a letter or digit Unicode added after Java 17''s Unicode 13') ELSE array_to_string(list_transform("
        "string_split(s, ''), lambda idu_c: CASE WHEN regexp_full_match(idu_c, '\\p{Lu}') THEN coalesce(u, idu_c) "
        "WHEN regexp_full_match(idu_c, '\\p{Ll}') THEN coalesce(l, idu_c) WHEN regexp_full_match(idu_c, '\\p{Nd}') "
        "THEN coalesce(d, idu_c) ELSE coalesce(o, idu_c) END), '') END",
    ),
    _macro("idu_bitmap_bit_position(v)", "CASE WHEN v > 0 THEN (v - 1) % 32768 ELSE -(v % 32768) END"),
    _macro("idu_bitmap_bucket_number(v)", "CASE WHEN v > 0 THEN 1 + (v - 1) // 32768 ELSE v // 32768 END"),
    _macro(
        "idu_bitmap_count(b)",
        "CASE WHEN b IS NULL THEN NULL WHEN octet_length(b) = 0 THEN CAST(0 AS BIGINT) "
        "ELSE CAST(bit_count(CAST(b AS BIT)) AS BIGINT) END",
    ),
)
