"""``format_string``/``printf`` with a literal format of ``%s``, ``%d``, ``%%`` and ``%n``.

Spark hands the format to ``java.util.Formatter``: ``%s`` prints ``String.valueOf`` of the argument
(``null`` for NULL), ``%d`` an integer in decimal (``null`` for NULL; any other type raises
``IllegalFormatConversionException``), ``%%`` a percent sign, ``%n`` a line feed; arguments beyond
the specifiers are ignored, too few raise. The translation splits the literal format at translation
time and concatenates its text with each argument's printing. ``%s`` runs for STRING, integer and
BOOLEAN arguments (Java prints those as DuckDB's cast does); any other type (a DOUBLE's digits, a
TIMESTAMP's ``.0``, a BINARY's object address) is refused when run. Other specifiers, flags,
widths and argument indexes are refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import rewrite_calls

__all__ = ["ANONYMOUS", "CHECKS", "FORMAT_STRING_MACROS", "FUNCTIONS", "anonymous_check", "format_strings"]

_SPECIFIER = re.compile(r"%(.)", re.DOTALL)


def _pieces(fmt: str) -> list[str] | None:
    """The format as text pieces and specifiers ('%s', '%d'), None where it holds another one."""
    pieces, start = [], 0
    for found in _SPECIFIER.finditer(fmt):
        kind = found.group(1)
        if kind not in "sd%n":
            return None
        pieces.append(fmt[start : found.start()] + {"%": "%", "n": "\n"}.get(kind, ""))
        if kind in "sd":
            pieces.append(f"%{kind}")
        start = found.end()
    if "%" in fmt[start:]:
        return None  # a trailing lone %: Java raises
    return [*pieces, fmt[start:]]


def _check(args: list[exp.Expr]) -> str | None:
    fmt = args[0] if args else None
    if not (isinstance(fmt, exp.Literal) and fmt.is_string):
        return "format_string/printf with a format that is not a string literal"
    pieces = _pieces(fmt.this)
    if pieces is None:
        return "format_string/printf with a specifier other than %s, %d, %% and %n (flags, widths, indexes)"
    if sum(p in ("%s", "%d") for p in pieces) > len(args) - 1:
        return "format_string/printf with fewer arguments than specifiers (Spark raises)"
    return None


def _build(args: list[exp.Expr]) -> exp.Expr:
    pieces = _pieces(args[0].this) or []
    values = iter(args[1:])
    parts: list[exp.Expr] = []
    for piece in pieces:
        if piece in ("%s", "%d"):
            parts.append(_call("idu_format_" + piece[1], next(values)))
        elif piece:
            parts.append(exp.Literal.string(piece))
    if not parts:
        return exp.Literal.string("")
    result: exp.Expr = parts[0]
    for part in parts[1:]:
        result = exp.DPipe(this=result, expression=part, safe=True)
    return result


ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {"printf": _build}
CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {
    exp.Format: lambda n: _check([n.this, *n.expressions]),
}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset(CHECKS)


def anonymous_check(node: exp.Anonymous) -> str | None:
    return _check(list(node.expressions))


@gated(types=(exp.Format,), names=ANONYMOUS)
def format_strings(tree: exp.Expr) -> exp.Expr:
    """Rewrite format_string and printf (innermost first), before the other rewrites see them."""

    def arguments(node: exp.Expr) -> list[exp.Expr]:
        args = node.expressions if isinstance(node, exp.Anonymous) else [node.this, *node.expressions]
        return [a.copy() for a in args]

    return rewrite_calls(tree, by_type={exp.Format: _build}, by_name=ANONYMOUS, arguments=arguments)


_INTEGERS = "('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT')"

FORMAT_STRING_MACROS: tuple[str, ...] = (
    _macro(
        "idu_format_s(x)",
        f"CASE WHEN x IS NULL THEN 'null' WHEN typeof(x) = 'VARCHAR' OR typeof(x) IN {_INTEGERS} OR typeof(x) = 'BOOLEAN' "
        "THEN CAST(x AS VARCHAR) ELSE error('[IDU_REFUSED] format_string/printf %s of a value that is not a STRING, "
        "an integer or a BOOLEAN (Java prints it its own way)') END",
    ),
    _macro(
        "idu_format_d(x)",
        f"CASE WHEN x IS NULL THEN 'null' WHEN typeof(x) IN {_INTEGERS} THEN CAST(x AS VARCHAR) "
        "ELSE error('format_string/printf: %d of a value that is not an integer (IllegalFormatConversionException)') END",
    ),
)
