"""``to_char``/``to_varchar`` of an integer and ``to_number``/``try_to_number`` of text, with a literal
format of digits ``0`` and ``9`` only.

Spark's ``ToNumberParser.format`` prints the value's digits without leading zeros (0 has none) and
without its sign (the format has no sign element), right-aligned in the format's width: padded with
``0`` when the format starts with ``0``, else with spaces; ``#`` in every position when the digits do
not fit (compared with Spark on 2,000 values and formats). Any other format element (``D``, ``G``,
``S``, ``$``, ``MI``, ``PR``), a fractional or non-numeric value, and the date, ``base64`` and
``hex`` forms are refused.

``to_number(s, fmt)`` drops Java's whitespace (``Character.isWhitespace``: space, tab, line breaks,
U+001C-U+001F) anywhere in the text, then needs 1 to ``len(fmt)`` ASCII digits (exactly
``len(fmt)`` when the format starts with ``0``), typed ``DECIMAL(len(fmt), 0)``; other text raises
``INVALID_FORMAT.MISMATCH_INPUT`` (``try_to_number``: NULL). Text holding non-ASCII characters
(Java's digits of other scripts count) is refused when run (compared with Spark on 360 cases).
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

__all__ = ["ANONYMOUS", "CHECKS", "FUNCTIONS", "NUMBER_TO_CHAR_MACROS", "anonymous_check", "number_to_char"]

_DIGITS = re.compile(r"[09]+")


def _check(args: list[exp.Expr]) -> str | None:
    fmt = args[1] if len(args) == 2 else None
    if isinstance(fmt, exp.Literal) and fmt.is_string and _DIGITS.fullmatch(fmt.this):
        return None
    return "to_char/to_varchar/to_number with a format other than a literal of the digits 0 and 9"


def _build(args: list[exp.Expr]) -> exp.Expr:
    return _call("idu_to_char_digits", args[0], args[1])


def _to_number(try_: bool) -> Callable[[list[exp.Expr]], exp.Expr]:
    def build(args: list[exp.Expr]) -> exp.Expr:
        fmt = args[1].this
        pattern = f"[0-9]{{{len(fmt)}}}" if fmt.startswith("0") else f"[0-9]{{1,{len(fmt)}}}"
        parsed = _call("idu_to_number", text(args[0]), exp.Literal.string(pattern), exp.Boolean(this=try_))
        return exp.Cast(this=parsed, to=exp.DataType.build(f"DECIMAL({len(fmt)}, 0)"))

    return build


ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {
    "to_varchar": _build,
    "to_number": _to_number(False),
    "try_to_number": _to_number(True),
}
CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {
    exp.ToChar: lambda n: _check([n.this, n.args.get("format") or exp.Null()]),
    exp.ToNumber: lambda n: (
        _check([n.this, n.args.get("format") or exp.Null()])
        if len([v for v in n.args.values() if v is not None]) == 2
        else "to_number with more than a format"
    ),
}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset(CHECKS)


def anonymous_check(node: exp.Anonymous) -> str | None:
    return _check(list(node.expressions))


@gated(types=(exp.ToChar, exp.ToNumber), names=ANONYMOUS)
def number_to_char(tree: exp.Expr) -> exp.Expr:
    """Rewrite to_char and to_varchar (innermost first), before the other rewrites see them."""

    def arguments(node: exp.Expr) -> list[exp.Expr]:
        args = node.expressions if isinstance(node, exp.Anonymous) else [node.this, node.args["format"]]
        return [a.copy() for a in args]

    by_type: dict[type[exp.Expr], Callable[[list[exp.Expr]], exp.Expr]] = {
        exp.ToChar: _build,
        exp.ToNumber: _to_number(False),
    }
    return rewrite_calls(tree, by_type=by_type, by_name=ANONYMOUS, arguments=arguments)


NUMBER_TO_CHAR_MACROS: tuple[str, ...] = (
    _macro(
        "idu_to_number(s, pattern, t)",
        "list_transform([regexp_replace(s, '[ \\t\\n\\x0b\\f\\r\\x1c-\\x1f]', '', 'g')], lambda idu_d: CASE WHEN s IS NULL "
        "THEN NULL WHEN regexp_matches(s, '[^\\x01-\\x7f]') THEN error('[IDU_REFUSED] to_number of text with "
        "characters that are not ASCII (Java reads digits of other scripts)') WHEN regexp_full_match(idu_d, pattern) "
        "THEN CAST(idu_d AS HUGEINT) WHEN t THEN NULL ELSE error('[INVALID_FORMAT.MISMATCH_INPUT] The input ' || s "
        "|| ' does not match the format') END)[1]",
    ),
    _macro(
        "idu_to_char_digits(x, fmt)",
        "CASE WHEN typeof(x) NOT IN ('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT') THEN error('[IDU_REFUSED] "
        "to_char/to_varchar of a value that is not an integer') WHEN x IS NULL THEN NULL ELSE "
        "list_transform([ltrim(CAST(abs(CAST(x AS HUGEINT)) AS VARCHAR), '0')], lambda idu_dg: CASE WHEN "
        "length(idu_dg) > length(fmt) THEN repeat('#', length(fmt)) ELSE lpad(idu_dg, CAST(length(fmt) AS INTEGER), CASE WHEN "
        "starts_with(fmt, '0') THEN '0' ELSE ' ' END) END)[1] END",
    ),
)
