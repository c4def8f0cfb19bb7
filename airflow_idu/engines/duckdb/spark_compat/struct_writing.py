"""``to_csv`` and ``to_xml`` of a struct written in the statement (``named_struct``/``struct``).

Both write one record with Spark's default options, each field formatted by its type; the engine
formats integer (TINYINT to BIGINT), BOOLEAN and STRING fields, and refuses any other type when run
(Java's number and date-time formatting), as well as an options map or a struct argument that is
not written out (the engine must see its fields).

``to_csv`` (univocity): the fields joined by ``,``; NULL is the empty field, an empty string ``""``;
strings the writer would quote or trim (a separator, quote, backslash or line break inside, a blank
or control character at an end, a ``#`` first: the comment character) are refused when run, and so is a lone NULL field (Spark's empty
record reads back as NULL).

``to_xml`` (StAX): ``<ROW>``, then per non-NULL field ``\\n    <name>value</name>``, then ``\\n</ROW>``;
``<ROW/>`` when every field is NULL; ``&`` and ``<`` escaped and a carriage return as ``&#xd;``.
Field names must be plain XML names not starting with ``_`` (Spark's attribute prefix); a ``>`` (which
StAX escapes in some places only) and other control characters than tab and line feed in a string
are refused when run.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import rewrite_calls

__all__ = ["ANONYMOUS", "CHECKS", "FUNCTIONS", "STRUCT_WRITING_MACROS", "anonymous_check", "struct_writing"]

_XML_NAME = r"[A-Za-z][A-Za-z0-9_.-]*"
_PLAIN = "typeof(x) IN ('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'BOOLEAN')"


def _fields(node: exp.Expr) -> list[tuple[str | None, exp.Expr]]:
    """(name, value) of each field of a written struct; the name None where the statement gives none."""
    out: list[tuple[str | None, exp.Expr]] = []
    for item in node.expressions:
        if isinstance(item, exp.PropertyEQ):
            out.append((item.this.name, item.expression))
        elif isinstance(item, exp.Alias):
            out.append((item.alias, item.this))
        else:
            out.append((None, item))
    return out


def anonymous_check(node: exp.Anonymous) -> str | None:
    name = node.name.lower()
    args = node.expressions
    if len(args) != 1:
        return f"{name} with options" if len(args) == 2 else f"{name} with {len(args)} arguments"
    if not isinstance(args[0], exp.Struct) or not args[0].expressions:
        return f"{name} of a struct not written as named_struct(...) or struct(...) in the statement"
    if name == "to_xml":
        names = [n for n, _ in _fields(args[0])]
        if any(n is None or re.fullmatch(_XML_NAME, n) is None for n in names):
            return "to_xml of a field whose name is not a plain XML name (or starts with _, an attribute)"
    return None


def _to_csv(args: list[exp.Expr]) -> exp.Expr:
    values = [v for _, v in _fields(args[0])]
    body: exp.Expr = _call("idu_csv_field", values[0].copy())
    for value in values[1:]:
        body = exp.DPipe(this=exp.DPipe(this=body, expression=exp.Literal.string(",")),
                         expression=_call("idu_csv_field", value.copy()))  # fmt: skip
    if len(values) == 1:
        body = _call("idu_csv_single", values[0].copy(), body)
    return body


def _to_xml(args: list[exp.Expr]) -> exp.Expr:
    fields = _fields(args[0])
    parts = [_call("idu_xml_field", exp.Literal.string(str(n)), v.copy()) for n, v in fields]
    body: exp.Expr = exp.Literal.string("<ROW>")
    for part in parts:
        body = exp.DPipe(this=body, expression=part)
    all_null = exp.and_(*(exp.Is(this=v.copy(), expression=exp.Null()) for _, v in fields))
    return exp.If(this=all_null, true=exp.Literal.string("<ROW/>"),
                  false=exp.DPipe(this=body, expression=exp.Literal.string("\n</ROW>")))  # fmt: skip


ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {"to_csv": _to_csv, "to_xml": _to_xml}
CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset()


@gated(names=ANONYMOUS)
def struct_writing(tree: exp.Expr) -> exp.Expr:
    """Rewrite to_csv and to_xml of written structs into their fields' formatting."""
    return rewrite_calls(
        tree, by_type={}, by_name=ANONYMOUS, arguments=lambda n: [a.copy() for a in n.expressions]
    )


_REFUSE = "error('[IDU_REFUSED] {f} of a ' || typeof(x) || ' field: only integers, BOOLEANs and strings are formatted as Spark does')"
_CSV_QUOTED = "'^[\\x00-\\x20#]|[\\x00-\\x20]$|[,\"\\\\\\r\\n]'"
STRUCT_WRITING_MACROS: tuple[str, ...] = (
    _macro(
        "idu_csv_field(x)",
        f"CASE WHEN x IS NULL THEN '' WHEN {_PLAIN} THEN CAST(x AS VARCHAR) "
        "WHEN typeof(x) = 'VARCHAR' THEN CASE WHEN CAST(x AS VARCHAR) = '' THEN '\"\"' "
        f"WHEN regexp_matches(CAST(x AS VARCHAR), {_CSV_QUOTED}) THEN error('[IDU_REFUSED] to_csv of a string "
        "Spark''s CSV writer quotes or trims (a separator, quote, backslash or line break, a blank at an end)') "
        f"ELSE CAST(x AS VARCHAR) END ELSE {_REFUSE.format(f='to_csv')} END",
    ),
    # a one-field record of NULL is the empty line, which Spark returns as NULL
    _macro(
        "idu_csv_single(x, text)",
        "CASE WHEN x IS NULL THEN error('[IDU_REFUSED] to_csv of a one-field struct whose field is NULL') ELSE text END",
    ),
    _macro(
        "idu_xml_field(name, x)",
        f"CASE WHEN x IS NULL THEN '' WHEN {_PLAIN} THEN chr(10) || '    <' || name || '>' || CAST(x AS VARCHAR) "
        "|| '</' || name || '>' WHEN typeof(x) = 'VARCHAR' THEN CASE WHEN regexp_matches(CAST(x AS VARCHAR), "
        "'[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f>]') THEN error('[IDU_REFUSED] to_xml of a string with a control character "
        "or a > (StAX escapes some and not others)') "
        "ELSE chr(10) || '    <' || name || '>' || replace(replace(replace(CAST(x AS VARCHAR), '&', '&amp;'), "
        "'<', '&lt;'), chr(13), '&#xd;') || '</' || name || '>' END "
        f"ELSE {_REFUSE.format(f='to_xml')} END",
    ),
)
