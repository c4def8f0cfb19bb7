"""Spark's VARIANT functions: ``parse_json``, ``try_parse_json``, ``variant_get``, ``try_variant_get``,
``is_variant_null``, ``is_valid_variant``, ``schema_of_variant(_agg)`` and the editing ones of
:mod:`.variant_editing`. ``schema_of_variant(_agg)`` take only ``parse_json(x)``/``try_parse_json(x)``
itself and reads the text x (the held text no longer tells an integral DECIMAL, ``1.0``, from an
integer).

A VARIANT is held as DuckDB ``JSON`` whose text is Spark's own text of the value
(:mod:`.variant_values`), computed by Python functions on the connection (:mod:`.variant_cast`,
:mod:`.variant_edit`). That text is what Spark shows of a VARIANT, but Spark's VARIANT is not a
string: a CAST, a string function (Spark casts a VARIANT string to its unquoted text), ``to_json``,
a comparison would read the text differently. So a VARIANT value is accepted in two places only,
where nothing else sees it: as the VARIANT argument of one of these functions (the first; the value
of ``variant_set``/``variant_insert``/``variant_array_append`` too), and as a selected column of the
statement's own top-level SELECT (no DISTINCT, GROUP BY or set operation: Spark cannot compare
VARIANTs). Any other place is refused when translated, and so is a function whose VARIANT argument
is not one of these calls (a column: no table of the engine holds a VARIANT).

``variant_get``'s type is a literal (as in Spark): STRING, BOOLEAN, TINYINT, SMALLINT, INT, BIGINT,
DOUBLE or DECIMAL(p,s) (and their Spark spellings); any other type is refused. Paths may be columns.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import rewrite_calls
from airflow_idu.engines.duckdb.spark_compat.python_functions import register_udf
from airflow_idu.engines.duckdb.spark_compat.variant_cast import (
    schema_of_json_text,
    schema_of_json_texts,
    variant_get,
)
from airflow_idu.engines.duckdb.spark_compat.variant_editing import (
    EDIT_ARITY,
    EDIT_MACROS,
    VALUE_ARGUMENT,
    edit_builders,
    flag_check,
    register_edits,
)
from airflow_idu.engines.duckdb.spark_compat.variant_values import VariantError, variant_text

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "ANONYMOUS",
    "CHECKS",
    "FUNCTIONS",
    "VARIANT_MACROS",
    "anonymous_check",
    "register_variant",
    "variants",
]

Build = Callable[[list[exp.Expr]], exp.Expr]

_GETTERS = ("variant_get", "try_variant_get")
_CONSUMERS = frozenset(
    {
        *_GETTERS,
        "is_variant_null",
        "is_valid_variant",
        "schema_of_variant",
        "schema_of_variant_agg",
        *EDIT_ARITY,
    }
) - {
    "to_variant_object"  # its argument is a struct, array or map
}
# Spark's spellings of the types variant_get casts to -> (the cast's name, DuckDB's type)
_TYPES = {
    "string": ("string", "VARCHAR"),
    "boolean": ("boolean", "BOOLEAN"),
    "tinyint": ("tinyint", "TINYINT"),
    "byte": ("tinyint", "TINYINT"),
    "smallint": ("smallint", "SMALLINT"),
    "short": ("smallint", "SMALLINT"),
    "int": ("int", "INTEGER"),
    "integer": ("int", "INTEGER"),
    "bigint": ("bigint", "BIGINT"),
    "long": ("bigint", "BIGINT"),
    "double": ("double", "DOUBLE"),
}
_DECIMAL = re.compile(r"(?:decimal|dec|numeric)(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?")
_PLACES = (
    "a VARIANT value (parse_json, try_parse_json, variant_get without a type) is accepted only as the first "
    "argument of variant_get, try_variant_get, is_variant_null or is_valid_variant, or as a column of the "
    "statement's top-level SELECT: elsewhere Spark's VARIANT (its casts, its implicit cast to STRING) is not "
    "the engine's JSON text; extract a typed value with variant_get(v, path, type)"
)


def _target(node: exp.Expr | None) -> tuple[str, str] | None:
    """(the cast's name, DuckDB's type) of variant_get's literal type argument; None if not accepted."""
    if node is None:
        return ("variant", "JSON")
    if not (isinstance(node, exp.Literal) and node.is_string):
        return None
    text = node.this.strip().lower()
    if text in _TYPES:
        return _TYPES[text]
    found = _DECIMAL.fullmatch(text)
    if found is None:
        return None
    precision, scale = int(found.group(1) or 10), int(found.group(2) or 0)
    if not 0 < precision <= 38 or scale > precision:
        return None
    return (f"decimal({precision},{scale})", f"DECIMAL({precision},{scale})")


def _is_producer(node: exp.Expr) -> bool:
    if isinstance(node, exp.ParseJSON):
        return True
    if not isinstance(node, exp.Anonymous):
        return False
    name = node.name.lower()
    return name in ("try_parse_json", *EDIT_ARITY) or (name in _GETTERS and len(node.expressions) == 2)


def _ordered_by(select: exp.Select, column: exp.Expr) -> bool:
    """Whether the SELECT orders by this column's alias (Spark cannot order VARIANTs)."""
    order = select.args.get("order")
    name = column.alias if isinstance(column, exp.Alias) else ""
    return bool(order and name and any(c.name == name for c in order.find_all(exp.Column)))


def _placement(node: exp.Expr) -> str | None:
    """None where a VARIANT value may stand (see the module's docstring), else the reason."""
    parent = node.parent
    if isinstance(parent, exp.Anonymous) and parent.name.lower() in _CONSUMERS:
        at = next((n for n, a in enumerate(parent.expressions) if a is node), -1)
        return None if at == 0 or (at == 2 and parent.name.lower() in VALUE_ARGUMENT) else _PLACES
    column = parent if isinstance(parent, exp.Alias) else node
    select = column.parent
    if (
        isinstance(select, exp.Select)
        and select.parent is None
        and column.arg_key == "expressions"
        and not select.args.get("distinct")
        and not select.args.get("group")
        and not _ordered_by(select, column)
    ):
        return None
    return _PLACES


def _is_parsed(node: exp.Expr) -> bool:
    """parse_json(x) or try_parse_json(x) (or NULL): its schema is read from the text x."""
    parsed = isinstance(node, exp.Anonymous) and node.name.lower() == "try_parse_json"
    return parsed or isinstance(node, exp.ParseJSON | exp.Null)


def _schema(a: list[exp.Expr]) -> exp.Expr:
    """schema_of_variant of a parse_json call (rewritten: CAST(idu_parse_json(text, try) AS JSON))."""
    inner = a[0].this if isinstance(a[0], exp.Cast) else None
    if not isinstance(inner, exp.Anonymous):
        return exp.Null()  # schema_of_variant(NULL)
    return _call("idu_schema_of_json", *(e.copy() for e in inner.expressions))


def _schema_agg(a: list[exp.Expr]) -> exp.Expr:
    """schema_of_variant_agg: the group's texts (a list, linear) merged by a Python function."""
    inner = a[0].this if isinstance(a[0], exp.Cast) else None
    if not isinstance(inner, exp.Anonymous):
        return exp.Literal.string("VOID")  # schema_of_variant_agg(NULL)
    text, is_try = (e.copy() for e in inner.expressions)
    return _call("idu_schema_of_json_list", _call("list", text), is_try)


def _parse_json_check(node: exp.Expr) -> str | None:
    return _placement(node)


def anonymous_check(node: exp.Anonymous) -> str | None:
    name = node.name.lower()
    args = node.expressions
    arity = {"variant_get": (2, 3), "try_variant_get": (2, 3), **EDIT_ARITY}.get(name, (1, 1))
    if not arity[0] <= len(args) <= arity[1]:
        return f"{name} with {len(args)} arguments"
    if name in _CONSUMERS and not (_is_producer(args[0]) or isinstance(args[0], exp.Null)):
        return (
            f"{name} of a value that is not parse_json(...), try_parse_json(...) or variant_get(...) "
            "without a type (the engine holds no VARIANT column)"
        )
    if name.startswith("schema_of_variant") and not _is_parsed(args[0]):
        return f"{name} of a VARIANT that is not parse_json(...) or try_parse_json(...) itself"
    if name == "schema_of_variant_agg" and isinstance(node.parent, exp.Window):
        return "schema_of_variant_agg as a window function"
    if name in _GETTERS and _target(args[2] if len(args) > 2 else None) is None:
        return f"{name} to the type {args[2].sql('spark')}: only STRING, BOOLEAN, integers, DOUBLE and DECIMAL(p,s)"
    return flag_check(name, args) or (_placement(node) if _is_producer(node) else None)


def _text_argument(node: exp.Expr, what: str) -> exp.Expr:
    return _call("idu_variant_text_arg", node, exp.Literal.string(what))


def _parse(is_try: bool) -> Build:
    def build(a: list[exp.Expr]) -> exp.Expr:
        text = _text_argument(a[0], "parse_json")
        value = _call("idu_parse_json", text, exp.Boolean(this=is_try))
        return exp.Cast(this=value, to=exp.DataType.build("JSON", dialect="duckdb"))

    return build


def _getter(is_try: bool) -> Build:
    def build(a: list[exp.Expr]) -> exp.Expr:
        target = _target(a[2] if len(a) > 2 else None)
        assert target is not None  # anonymous_check refused the others
        variant = exp.Cast(this=a[0], to=exp.DataType.build("VARCHAR"))
        path = _text_argument(a[1], "variant_get's path")
        value = _call(
            "idu_variant_get", variant, path, exp.Literal.string(target[0]), exp.Boolean(this=is_try)
        )
        if target[1] == "DOUBLE":
            return _call("idu_variant_get_double", *value.expressions)
        if target[1] == "VARCHAR":
            return value
        return exp.Cast(this=value, to=exp.DataType.build(target[1], dialect="duckdb"))

    return build


def _is_built_variant(node: exp.Expr) -> bool:
    """Whether a rewritten argument is one of the VARIANT calls above (a CAST of its text to JSON)."""
    inner = node.this if isinstance(node, exp.Cast) else None
    return isinstance(inner, exp.Anonymous) and inner.name.lower().startswith(
        ("idu_parse_json", "idu_variant_")
    )


ANONYMOUS: dict[str, Build] = {
    "try_parse_json": _parse(True),
    "variant_get": _getter(False),
    "try_variant_get": _getter(True),
    "is_variant_null": lambda a: _call("coalesce", exp.EQ(this=exp.Cast(this=a[0], to=exp.DataType.build("VARCHAR")), expression=exp.Literal.string("null")), exp.false()),
    "is_valid_variant": lambda a: exp.Case(ifs=[exp.If(this=exp.Is(this=a[0], expression=exp.Null()), true=exp.Null())], default=exp.true()),
    "schema_of_variant": _schema,
    "schema_of_variant_agg": _schema_agg,
    **edit_builders(_is_built_variant),
}  # fmt: skip
_BY_TYPE: dict[type[exp.Expr], Build] = {exp.ParseJSON: _parse(False)}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset(_BY_TYPE)


def _type_check(node: exp.Expr) -> str | None:
    if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.VARIANT:
        return (
            "the VARIANT type (a CAST to or from it, a VARIANT column): DuckDB's VARIANT is not Spark's; use "
            "parse_json, to_variant_object and variant_get"
        )
    return None


CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {
    exp.ParseJSON: _parse_json_check,
    exp.DataType: _type_check,
}


def _arguments(node: exp.Expr) -> list[exp.Expr]:
    if isinstance(node, exp.Anonymous):
        return [a.copy() for a in node.expressions]
    return [node.this.copy()]


@gated(types=_BY_TYPE, names=ANONYMOUS)
def variants(tree: exp.Expr) -> exp.Expr:
    """Rewrite the VARIANT functions (innermost first) into their Python functions."""
    return rewrite_calls(tree, by_type=_BY_TYPE, by_name=ANONYMOUS, arguments=_arguments)


_TEXT_TYPES = "('VARCHAR', '\"NULL\"')"
VARIANT_MACROS: tuple[str, ...] = (
    # a STRING argument (Spark would cast others to STRING: refused rather than proven)
    _macro(
        "idu_variant_text_arg(x, f)",
        f"CASE WHEN typeof(x) IN {_TEXT_TYPES} THEN CAST(x AS VARCHAR) "
        "ELSE error('[IDU_REFUSED] ' || f || ' of a ' || typeof(x) || ' value: only a STRING is "
        "cast to Spark''s text exactly; CAST it to STRING') END",
    ),
    *EDIT_MACROS,
)


def _parse_json(text: str | None, is_try: bool) -> str | None:
    if text is None:
        return None
    try:
        return variant_text(text)
    except VariantError:
        if is_try:
            return None
        raise


def _get(variant: str | None, path: str | None, target: str, is_try: bool) -> Any:
    return variant_get(variant, path, target, is_try)


def list_of_text() -> Any:
    import duckdb

    return duckdb.list_type(duckdb.sqltypes.VARCHAR)


def _get_double(variant: str | None, path: str | None, target: str, is_try: bool) -> float | None:
    text = variant_get(variant, path, target, is_try)
    return None if text is None else float(text)


def register_variant(con: duckdb.DuckDBPyConnection) -> None:
    """Register the VARIANT functions on ``con``; again is harmless."""
    from duckdb import sqltypes as t

    register_udf(con, "idu_parse_json", _parse_json, [t.VARCHAR, t.BOOLEAN], t.VARCHAR)
    arguments = [t.VARCHAR, t.VARCHAR, t.VARCHAR, t.BOOLEAN]
    register_udf(con, "idu_variant_get", _get, arguments, t.VARCHAR)
    register_udf(con, "idu_variant_get_double", _get_double, arguments, t.DOUBLE)
    register_udf(con, "idu_schema_of_json", schema_of_json_text, [t.VARCHAR, t.BOOLEAN], t.VARCHAR)
    register_udf(con, "idu_schema_of_json_list", schema_of_json_texts, [list_of_text(), t.BOOLEAN], t.VARCHAR)
    register_edits(con)
