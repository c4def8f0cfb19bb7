"""Calls of a function as written in the statement's text, for what sqlglot's parse loses.

sqlglot drops ``percentile``'s third argument (a frequency) and all but ``log10``/``log2``'s first,
reads ``trunc(x, col)`` as ``trunc(x, 'COL')`` and expands abbreviated units (``'Q'`` becomes QUARTER, where Spark's ``trunc``
and ``date_trunc`` give NULL): :func:`text_refusal` refuses those from the text before the tree is
read.
It leaves ``to_unix_timestamp``'s format in Spark's notation (``unix_timestamp``'s is converted
to strftime's): :func:`repair_parse` converts it the same way. It reads ``log10(x)`` as
``log(10, x)``, which Spark computes differently (``StrictMath.log10(x)``, not ``log(x)/log(10)``):
:func:`repair_parse` makes it a call of ``log10`` again, from the name written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from sqlglot import exp
from sqlglot.dialects.databricks import Databricks

from airflow_idu.engines.duckdb.spark_compat.bitwise_operators import repair_bitwise
from airflow_idu.engines.duckdb.spark_compat.spark_names import unknown_call
from airflow_idu.engines.duckdb.spark_compat.time_type import repair as repair_times

__all__ = ["calls", "repair_parse", "text_refusal"]


def _arguments(code: str, start: int) -> list[str]:
    """The top-level arguments of the call whose '(' ends just before ``start``."""
    args, depth, quote, begin = [], 0, "", start
    for i in range(start, len(code)):
        ch = code[i]
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"`":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]" and depth:
            depth -= 1
        elif ch == ")" or (ch == "," and depth == 0):
            args.append(code[begin:i].strip())
            begin = i + 1
            if ch == ")":
                break
    return [a for a in args if a]


def calls(code: str, name: str) -> Iterator[tuple[int, list[str]]]:
    """Each call of ``name`` in ``code``: its 1-based line and its argument texts."""
    for match in re.finditer(r"(?<![\w.`])" + re.escape(name) + r"\s*\(", code, re.IGNORECASE):
        yield code.count("\n", 0, match.start()) + 1, _arguments(code, match.end())


_TRUNC = frozenset({"YEAR", "YYYY", "YY", "QUARTER", "MONTH", "MM", "MON", "WEEK"})
_DATE_TRUNC = _TRUNC | {"DAY", "DD", "HOUR", "MINUTE", "SECOND", "MILLISECOND", "MICROSECOND"}


_JSON_PATH = re.compile(r"""(['"])\$(\.[A-Za-z_][A-Za-z0-9_]*|\[[0-9]+\])*\1""")


def _unit(text: str, units: frozenset[str]) -> bool:
    return len(text) > 1 and text[0] == text[-1] == "'" and text[1:-1].upper() in units


def text_refusal(code: str) -> tuple[str, int, str] | None:
    """(construct, line, reason) of the first call sqlglot would read differently, or None."""
    unknown = unknown_call(code)
    if unknown is not None:  # sqlglot reads another dialect's spelling; Spark has no such function
        name, line = unknown
        return name, line, f"Spark has no function {name} (Databricks fails with UNRESOLVED_ROUTINE)"
    for line, args in calls(code, "get_json_object"):  # sqlglot reads 'a' as '$.a'; Spark gives NULL
        if len(args) == 2 and not _JSON_PATH.fullmatch(args[1]):
            return (
                "get_json_object",
                line,
                "get_json_object with a path other than a literal $ of .names and [indexes]",
            )
    for name in ("log10", "log2"):  # sqlglot keeps the first argument only
        for line, args in calls(code, name):
            if len(args) != 1:
                return name, line, f"{name} with {len(args)} arguments"
    for line, args in calls(code, "percentile"):
        if len(args) > 2:
            return "percentile", line, "percentile with a frequency argument"
    for line, args in calls(code, "trunc"):
        if len(args) == 2 and not _unit(args[1], _TRUNC):
            return "trunc", line, f"trunc with a format other than the literal {', '.join(sorted(_TRUNC))}"
    for line, args in calls(code, "date_trunc"):
        if len(args) == 2 and not _unit(args[0], _DATE_TRUNC):
            return (
                "date_trunc",
                line,
                f"date_trunc with a unit other than the literal {', '.join(sorted(_DATE_TRUNC))}",
            )
    return None


def _repair_log10(tree: exp.Expr, code: str) -> exp.Expr:
    """Each ``log10(x)`` (read as ``log(10, x)``) as the call ``log10(x)``, its position kept."""
    for node in list(tree.find_all(exp.Log)):
        meta = node.meta
        if "start" in meta and "end" in meta and code[meta["start"] : meta["end"] + 1].lower() == "log10":
            call = exp.Anonymous(this="log10", expressions=[node.expression])
            call.meta.update(meta)
            if node is tree:
                return call
            node.replace(call)
    return tree


def repair_parse(tree: exp.Expr, code: str) -> exp.Expr:
    """The parsed tree (from ``code``) with what sqlglot reads inconsistently made consistent (in place)."""
    tree = _repair_log10(tree, code)
    tree = repair_bitwise(tree)  # Spark's precedence of << >> >>> & ^ |
    tree = repair_times(tree)  # time_trunc/time_diff's arguments, time(x)
    for node in tree.find_all(exp.StrToUnix):
        fmt = node.args.get("format")
        if isinstance(fmt, exp.Literal) and fmt.is_string and "%" not in fmt.this:
            converted = Databricks().format_time(fmt)
            if isinstance(converted, exp.Literal):
                node.set("format", converted)
    return tree
