"""``from_csv(text, schema)`` with a literal schema of INT, BIGINT, DOUBLE, STRING and BOOLEAN fields.

Spark reads the text as one CSV record (univocity, default options: separator ``,``, no blank
trimming, ``nullValue`` the empty field) and converts field n to the schema's field n (PERMISSIVE,
partial results): missing fields and empty ones are NULL, extra ones dropped, a field that does not
convert is NULL and the others are kept. INT and BIGINT are Java's ``parseInt``/``parseLong`` (an
optional sign and digits, in range; no blanks); DOUBLE is ``NaN``, ``Inf``, ``-Inf`` as they are, or
Java's ``parseDouble`` (blanks around trimmed, a sign, ``NaN``, ``Infinity``, decimals with an
exponent and an ``f``/``d`` suffix); BOOLEAN is ``true``/``false`` in any case; STRING the text.

Refused when run: text holding a quote, a backslash, a line break or another control character
but the tab (univocity's quoting and record splitting), hexadecimal doubles, non-ASCII digits in
an INT/BIGINT field (Java reads them) and non-ASCII BOOLEAN look-alikes. Refused when translated:
other schemas (nested or other types) and options.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.json_reading import Unsupported, parse_schema, read_back
from airflow_idu.engines.duckdb.spark_compat.more_functions import text as _text
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import rewrite_calls
from airflow_idu.engines.duckdb.spark_compat.python_functions import register_udf
from airflow_idu.engines.duckdb.spark_compat.types import Kind, static_kind

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "ANONYMOUS",
    "CHECKS",
    "FUNCTIONS",
    "anonymous_check",
    "csv_reading",
    "from_csv",
    "register_csv_reading",
]

REFUSED = "[IDU_REFUSED] from_csv"
_INT = 2**31
_LONG = 2**63
_UNREAD = re.compile('["\\\\\x00-\x08\x0a-\x1f]')
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DOUBLE = re.compile(r"[+-]?(?:NaN|Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fFdD]?)")
_HEX = re.compile(r"[+-]?0[xX]")
_OPTIONS = {"NaN": math.nan, "Inf": math.inf, "-Inf": -math.inf}  # nanValue, positiveInf, negativeInf
_FAIL = object()


def _integer(field: str, bound: int) -> Any:
    if not field.isascii() and any(c.isdecimal() for c in field):
        raise ValueError(f"{REFUSED} of non-ASCII digits (Java's parseInt reads them)")
    if not _INTEGER.fullmatch(field):
        return _FAIL
    value = int(field)
    return value if -bound <= value < bound else _FAIL


def _double(field: str) -> Any:
    if field in _OPTIONS:
        return _OPTIONS[field]
    trimmed = field.strip("".join(map(chr, range(33))))  # Java's String.trim
    if _HEX.match(trimmed):
        raise ValueError(f"{REFUSED} of a hexadecimal double")
    if not _DOUBLE.fullmatch(trimmed):
        return _FAIL
    return float(trimmed.rstrip("fFdD").replace("Infinity", "inf"))


def _boolean(field: str) -> Any:
    if not field.isascii() and len(field) in (4, 5):
        raise ValueError(f"{REFUSED} of a non-ASCII BOOLEAN look-alike (Java's equalsIgnoreCase)")
    return {"true": True, "false": False}.get(field.lower(), _FAIL)


_CONVERT: dict[str, Callable[[str], Any]] = {
    "INT": lambda f: _integer(f, _INT),
    "BIGINT": lambda f: _integer(f, _LONG),
    "DOUBLE": _double,
    "BOOLEAN": _boolean,
    "STRING": lambda f: f,
}


def from_csv(text: str | None, fields: tuple[tuple[str, str], ...]) -> dict[str, Any] | None:
    """Spark's ``from_csv(text, schema)`` for a flat schema."""
    if text is None:
        return None
    if _UNREAD.search(text):
        raise ValueError(f"{REFUSED} of text with a quote, a backslash or a control character other than tab")
    values = text.split(",")
    row: dict[str, Any] = {}
    for n, (name, kind) in enumerate(fields):
        value = _CONVERT[kind](values[n]) if n < len(values) and values[n] else None
        row[name] = None if value is _FAIL else value
    return row


def _flat(schema: str) -> tuple[tuple[str, str], ...]:
    kind = parse_schema(schema)
    if any(not isinstance(t, str) for _, t in kind[1]):
        raise Unsupported("a nested field (CSV has none)")
    return tuple(kind[1])


def from_csv_text(text: str | None, schema: str) -> str | None:
    """``from_csv`` as JSON text for json_transform."""
    return read_back(from_csv(text, _flat(schema)))


def anonymous_check(node: exp.Anonymous) -> str | None:
    args = node.expressions
    if len(args) != 2:
        return "from_csv with options" if len(args) == 3 else f"from_csv with {len(args)} arguments"
    if not (isinstance(args[1], exp.Literal) and args[1].is_string):
        return "from_csv with a schema that is not a string literal"
    if static_kind(args[0]) is Kind.BINARY or isinstance(args[0], exp.HexString):
        return "from_csv of a BINARY value"
    try:
        _flat(args[1].this)
    except Unsupported as exc:
        return f"from_csv of {exc}"
    return None


def _build(args: list[exp.Expr]) -> exp.Expr:
    schema = args[1].this
    kind = parse_schema(schema)
    structure = json.dumps({name: {"INT": "INTEGER", "STRING": "VARCHAR"}.get(t, t) for name, t in kind[1]})
    read = _call("idu_from_csv", _text(args[0]), exp.Literal.string(schema))
    fields = ", ".join('"' + n.replace('"', '""') + '" ' + json.loads(structure)[n] for n, _ in kind[1])
    to = exp.DataType.build(f"STRUCT({fields})", dialect="duckdb")
    return exp.Cast(this=_call("json_transform", read, exp.Literal.string(structure)), to=to)


ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {"from_csv": _build}
CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset()


@gated(names=ANONYMOUS)
def csv_reading(tree: exp.Expr) -> exp.Expr:
    """Rewrite from_csv into its Python function and DuckDB's json_transform."""
    return rewrite_calls(
        tree, by_type={}, by_name=ANONYMOUS, arguments=lambda n: [a.copy() for a in n.expressions]
    )


def register_csv_reading(con: duckdb.DuckDBPyConnection) -> None:
    """Register ``idu_from_csv`` on ``con``; again is harmless."""
    from duckdb import sqltypes as t

    register_udf(con, "idu_from_csv", from_csv_text, [t.VARCHAR, t.VARCHAR], t.VARCHAR)
