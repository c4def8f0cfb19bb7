"""The SQL of Spark's VARIANT editing functions (:mod:`.variant_edit`): ``variant_strip_nulls``,
``variant_delete``, ``(try_)variant_set``, ``(try_)variant_insert``, ``(try_)variant_array_append``;
and ``to_variant_object``.

``to_variant_object`` of a struct, array or map of string keys is DuckDB's ``to_json`` of it read as
JSON (:func:`.variant_values.variant_text`: keys sorted, DECIMALs without trailing zeros), for the
types whose JSON text is Spark's VARIANT's: integers, BOOLEAN, STRING, DECIMAL, and structs, arrays
and maps of them; any other type inside (a DOUBLE or FLOAT, whose text is Java's; a date or
timestamp, which Spark writes with its zone; binary) is refused when run.

Their first argument is a VARIANT (placed as :mod:`.variant` requires), the paths are strings
(columns too), ``include_arrays``/``create_if_missing`` boolean literals (Spark requires constants).
The value set, inserted or appended is a VARIANT, or a value Spark casts to one: an integer, a
BOOLEAN, a STRING (a JSON string) or a DECIMAL; any other type (a DOUBLE, whose text is Java's, a
date, an array...) is refused when run.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.python_functions import register_udf
from airflow_idu.engines.duckdb.spark_compat.variant_edit import (
    delete_text,
    edit_text,
    strip_nulls_text,
    value_text,
)
from airflow_idu.engines.duckdb.spark_compat.variant_values import refuse, variant_text

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "EDIT_ARITY",
    "EDIT_MACROS",
    "VALUE_ARGUMENT",
    "edit_builders",
    "flag_check",
    "object_text",
    "register_edits",
]

Build = Callable[[list[exp.Expr]], exp.Expr]
_VALUED = ("variant_set", "variant_insert", "variant_array_append")
EDIT_ARITY: dict[str, tuple[int, int]] = {
    "variant_strip_nulls": (1, 2),
    "to_variant_object": (1, 1),
    "variant_delete": (2, 1000),
    **{name: (3, 4 if "set" in name else 3) for base in _VALUED for name in (base, "try_" + base)},
}
VALUE_ARGUMENT = frozenset(name for base in _VALUED for name in (base, "try_" + base))  # its 3rd: a value
_FLAG = {"variant_strip_nulls": 1, "variant_set": 3, "try_variant_set": 3}  # a boolean literal there


def flag_check(name: str, args: list[exp.Expr]) -> str | None:
    at = _FLAG.get(name)
    if at is None or len(args) <= at or isinstance(args[at], exp.Boolean | exp.Null):
        return None
    return f"{name} with a non-literal flag (Spark requires a constant BOOLEAN)"


def _json(node: exp.Expr) -> exp.Expr:
    return exp.Cast(this=node, to=exp.DataType.build("JSON", dialect="duckdb"))


def _text(node: exp.Expr) -> exp.Expr:
    return exp.Cast(this=node, to=exp.DataType.build("VARCHAR"))


def _path(node: exp.Expr) -> exp.Expr:
    return _call("idu_variant_text_arg", node, exp.Literal.string("a variant path"))


def _value(node: exp.Expr, is_variant: bool) -> exp.Expr:
    if is_variant:
        return _text(node)
    return _call("idu_variant_value", node)


def edit_builders(is_variant: Callable[[exp.Expr], bool]) -> dict[str, Build]:
    """The builders by name; ``is_variant``: whether an (already rewritten) argument is a VARIANT."""

    def strip(a: list[exp.Expr]) -> exp.Expr:
        flag = a[1] if len(a) > 1 else exp.true()
        return _json(_call("idu_variant_strip_nulls", _text(a[0]), flag))

    def delete(a: list[exp.Expr]) -> exp.Expr:
        paths = exp.Array(expressions=[_path(p) for p in a[1:]])
        return _json(_call("idu_variant_delete", _text(a[0]), paths))

    def edit(name: str) -> Build:
        def build(a: list[exp.Expr]) -> exp.Expr:
            create = a[3] if len(a) > 3 else exp.true()
            new = _value(a[2], is_variant(a[2]))
            return _json(
                _call("idu_variant_edit", exp.Literal.string(name), _text(a[0]), _path(a[1]), new, create)
            )

        return build

    def to_object(a: list[exp.Expr]) -> exp.Expr:
        duck = _call("typeof", a[0].copy())
        return _json(_call("idu_to_variant_object", duck, _call("to_json", a[0])))

    return {
        "variant_strip_nulls": strip,
        "variant_delete": delete,
        "to_variant_object": to_object,
        **{n: edit(n) for n in VALUE_ARGUMENT},
    }


_T = exp.DataType.Type
_LEAVES = frozenset({_T.BOOLEAN, _T.TINYINT, _T.SMALLINT, _T.INT, _T.BIGINT, _T.DECIMAL, _T.VARCHAR, _T.TEXT})
_NESTED = frozenset({_T.STRUCT, _T.ARRAY, _T.LIST, _T.MAP})


@lru_cache(maxsize=256)
def _object_type(duck_type: str) -> str | None:
    """Why DuckDB's type ``duck_type`` is not cast to Spark's VARIANT exactly (None: it is)."""
    try:
        built = exp.DataType.build(duck_type, dialect="duckdb")
    except Exception:  # a type sqlglot does not read (a struct of an untyped NULL...)
        return f"to_variant_object of a {duck_type}"
    if built.this not in _NESTED:
        return f"to_variant_object of a {duck_type} (Spark takes only structs, arrays and maps)"
    for node in built.find_all(exp.DataType):
        if node.this not in _LEAVES | _NESTED:
            return f"to_variant_object of a {duck_type}: only integers, BOOLEAN, STRING and DECIMAL inside"
        if node.this == _T.MAP and node.expressions[0].this not in (_T.VARCHAR, _T.TEXT):
            return f"to_variant_object of a {duck_type}: Spark takes only maps of STRING keys"
    return None


def object_text(duck_type: str, json_text: str | None) -> str | None:
    """``to_variant_object`` of a value of DuckDB type ``duck_type`` whose ``to_json`` is ``json_text``."""
    reason = _object_type(duck_type)
    if reason is not None:
        raise refuse(reason)
    return None if json_text is None else variant_text(json_text)


_INTEGERS = "('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT')"
EDIT_MACROS: tuple[str, ...] = (
    # Spark's cast of a value to VARIANT, for the types whose text is Spark's (a JSON-typed value that
    # is no VARIANT call, e.g. DuckDB's own JSON, is refused with the rest)
    _macro(
        "idu_variant_value(x)",
        f"idu_variant_value_text(CASE WHEN typeof(x) IN {_INTEGERS} THEN 'integer' "
        "WHEN typeof(x) = 'BOOLEAN' THEN 'boolean' WHEN typeof(x) = 'VARCHAR' THEN 'string' "
        "WHEN typeof(x) LIKE 'DECIMAL(%' THEN 'decimal' WHEN typeof(x) = '\"NULL\"' THEN 'null' "
        "ELSE error('[IDU_REFUSED] a ' || typeof(x) || ' value cast to VARIANT: only integers, BOOLEAN, STRING, "
        "DECIMAL and VARIANT values are cast to Spark''s VARIANT exactly') END, CAST(x AS VARCHAR))",
    ),
)


def register_edits(con: duckdb.DuckDBPyConnection) -> None:
    """Register the editing functions on ``con``; again is harmless."""
    from duckdb import sqltypes as t

    text, flag = t.VARCHAR, t.BOOLEAN
    register_udf(con, "idu_variant_strip_nulls", strip_nulls_text, [text, flag], text)
    register_udf(con, "idu_variant_delete", delete_text, [text, duckdb_list(text)], text)
    register_udf(con, "idu_variant_edit", edit_text, [text, text, text, text, flag], text)
    register_udf(con, "idu_variant_value_text", value_text, [text, text], text)
    register_udf(con, "idu_to_variant_object", object_text, [text, text], text)


def duckdb_list(element: object) -> object:
    import duckdb

    return duckdb.list_type(element)  # type: ignore[arg-type]
