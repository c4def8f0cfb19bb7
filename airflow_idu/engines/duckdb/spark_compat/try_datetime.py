"""``try_to_date`` and ``try_to_timestamp``: Spark's ``to_date``/``to_timestamp`` with NULL where those raise.

* Without a format, a STRING is read by Spark's own cast grammar (:mod:`.datetime_parsing`, a Python
  function on the connection): NULL where Spark's cast finds no date or time, refused when run where
  the value needs what the engine does not model (a year outside 1-9999, a region's time zone, a time
  without a date). A BINARY is its bytes read as UTF-8 (a byte that is not UTF-8 is U+FFFD to Java:
  it never parses, so the date is the same whatever the replacement); a DATE or TIMESTAMP is cast.
* With a literal format of the fields ``yyyy MM dd HH mm ss`` and separators: Spark's formatter
  needs exactly those digits (``MM`` two, ``yyyy`` four: five are NULL too) and a real date and time,
  else NULL; DuckDB's ``try_strptime`` on the text that matches the same pattern gives the value.
  Year 0 (Spark's proleptic year 0, DuckDB's 1 BC) is refused when run. A BINARY that is not UTF-8
  cannot match the pattern on Spark either (U+FFFD is no digit): NULL.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from airflow_idu.engines.duckdb.spark_compat.datetime_parsing import (
    spark_string_to_date,
    spark_string_to_timestamp,
    utf8_lossy,
)
from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import rewrite_calls
from airflow_idu.engines.duckdb.spark_compat.python_functions import register_udf

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "ANONYMOUS",
    "CHECKS",
    "FUNCTIONS",
    "TRY_DATETIME_MACROS",
    "anonymous_check",
    "register_datetime_parsing",
    "try_datetime",
]

_FIELDS = {
    "%Y": "[0-9]{4}",
    "%m": "[0-9]{2}",
    "%d": "[0-9]{2}",
    "%H": "[0-9]{2}",
    "%M": "[0-9]{2}",
    "%S": "[0-9]{2}",
}
_TOKEN = re.compile(r"%[A-Za-z]|.", re.DOTALL)


def _strftime(node: exp.Expr) -> str | None:
    """The literal Spark format as DuckDB's strftime, None unless only yyyy MM dd HH mm ss and separators."""
    if not (isinstance(node, exp.Literal) and node.is_string):
        return None
    converted = Dialect.get_or_raise("databricks").format_time(exp.Literal.string(node.this))
    text = converted.this.replace("strict", "") if isinstance(converted, exp.Literal) else ""
    tokens = _TOKEN.findall(text)
    if not tokens or any(t not in _FIELDS and (len(t) > 1 or t not in "-/:. ,") for t in tokens):
        return None
    return text


def _pattern(fmt: str) -> str:
    return "".join(_FIELDS.get(t, "[.]" if t == "." else t) for t in _TOKEN.findall(fmt))


def _parse(kind: str) -> Callable[[list[exp.Expr]], exp.Expr]:
    def build(args: list[exp.Expr]) -> exp.Expr:
        if len(args) == 1:
            return _call(f"idu_try_to_{kind}", args[0])
        fmt = _strftime(args[1])
        assert fmt is not None
        parsed = _call(
            "idu_try_strptime", args[0], exp.Literal.string(fmt), exp.Literal.string(_pattern(fmt))
        )
        return exp.Cast(this=parsed, to=exp.DataType.build(kind.upper()))

    return build


ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {
    "try_to_date": _parse("date"),
    "try_to_timestamp": _parse("timestamp"),
}
CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset()


def anonymous_check(node: exp.Anonymous) -> str | None:
    args = node.expressions
    if len(args) not in (1, 2):
        return f"{node.name.lower()} with {len(args)} arguments"
    if len(args) == 2 and _strftime(args[1]) is None:
        return "the format must be a string literal of the fields yyyy MM dd HH mm ss and the separators - / : . , and space"
    return None


@gated(names=ANONYMOUS)
def try_datetime(tree: exp.Expr) -> exp.Expr:
    """Rewrite the functions above (innermost first), before the other rewrites see them."""
    return rewrite_calls(
        tree, by_type={}, by_name=ANONYMOUS, arguments=lambda n: [a.copy() for a in n.expressions]
    )


def _by_type(kind: str, text_macro: str) -> str:
    return _macro(
        f"idu_try_to_{kind}(x)",
        f"CASE WHEN typeof(x) = 'VARCHAR' THEN {text_macro}(CAST(x AS VARCHAR)) "
        f"WHEN typeof(x) = 'BLOB' THEN {text_macro}(idu_utf8_lossy(CAST(x AS BLOB))) "
        f"WHEN typeof(x) IN ('DATE', 'TIMESTAMP') THEN CAST(x AS {kind.upper()}) "
        f"WHEN x IS NULL THEN CAST(NULL AS {kind.upper()}) ELSE error('[IDU_REFUSED] try_to_{kind} of a value that "
        "is not a STRING, BINARY, DATE or TIMESTAMP') END",
    )


TRY_DATETIME_MACROS: tuple[str, ...] = (
    # the text through datetime_casts.py: DuckDB's cast for plain ISO text, Spark's grammar for the rest
    _by_type("date", "idu_text_try_date"),
    _by_type("timestamp", "idu_text_try_timestamp"),
    _macro(
        "idu_try_strptime(x, fmt, pattern)",
        "CASE WHEN typeof(x) IN ('DATE', 'TIMESTAMP') THEN CAST(x AS TIMESTAMP) ELSE list_transform("
        "[CASE WHEN typeof(x) = 'BLOB' THEN idu_utf8_lossy(CAST(x AS BLOB)) ELSE CAST(x AS VARCHAR) END], "
        "lambda idu_s: CASE WHEN idu_s IS NULL OR NOT regexp_full_match(idu_s, pattern) THEN NULL "
        "ELSE list_transform([try_strptime(idu_s, fmt)], lambda idu_t: CASE WHEN idu_t < TIMESTAMP '0001-01-01' "
        "THEN error('[IDU_REFUSED] a date in the year 0') ELSE idu_t END)[1] END)[1] END",
    ),
)


def register_datetime_parsing(con: duckdb.DuckDBPyConnection) -> None:
    """Register Spark's string-to-date/timestamp reading on ``con``; again is harmless."""
    from duckdb import sqltypes as t

    register_udf(con, "idu_spark_date", spark_string_to_date, [t.VARCHAR], t.DATE)
    register_udf(con, "idu_spark_timestamp", spark_string_to_timestamp, [t.VARCHAR], t.TIMESTAMP)
    register_udf(con, "idu_utf8_lossy", utf8_lossy, [t.BLOB], t.VARCHAR)
