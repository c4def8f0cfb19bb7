"""``typeof(x)``: Spark's name of ``x``'s type (its ``catalogString``), never evaluating ``x``.

Spark folds ``typeof`` from the analysed type, so the engine must know the type, not the value:

* from the statement (:func:`spark_type_name`): literals as Spark types them (``1`` int,
  ``2147483648`` bigint, ``1.50`` decimal(3,2), ``1e3`` double, ``'a'`` string, ``NULL`` void, ``X'01'``
  binary), ``CAST``s and typed literals (``DATE'...'``, ``1L``, ``1.5BD``), ``array``/``map``/``struct``
  of those, ``typeof`` itself, and functions whose result is a STRING or BINARY whatever their
  arguments (:func:`.types.static_kind`). The name is then a string literal in the translation;
* otherwise from DuckDB's type at run time (:func:`spark_name_of_duckdb_type`), only where one
  DuckDB type stands for one Spark type for every construct the engine runs: VARCHAR string, BLOB
  binary, BOOLEAN boolean, DATE date, DOUBLE double, FLOAT float, and arrays, maps and structs of
  those. DuckDB's integer and DECIMAL types can be wider than Spark's for the same expression
  (``sum``, ``sequence``, DECIMAL arithmetic: docs/compatibility.md), and a Spark TIMESTAMP and
  TIMESTAMP_NTZ are both DuckDB TIMESTAMPs: those, and any other type, are refused when run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlglot import exp
from sqlglot.expressions import DType

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import replace_each
from airflow_idu.engines.duckdb.spark_compat.python_functions import register_udf
from airflow_idu.engines.duckdb.spark_compat.types import Kind, static_kind

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "ANONYMOUS",
    "CHECKS",
    "FUNCTIONS",
    "anonymous_check",
    "register_type_names",
    "spark_name_of_duckdb_type",
    "spark_type_name",
    "type_names",
]

_T = exp.DataType.Type
_SIMPLE: dict[DType, str] = {
    _T.TINYINT: "tinyint", _T.SMALLINT: "smallint", _T.INT: "int", _T.BIGINT: "bigint", _T.FLOAT: "float",
    _T.DOUBLE: "double", _T.BOOLEAN: "boolean", _T.TEXT: "string", _T.VARCHAR: "string", _T.CHAR: "string",
    _T.DATE: "date", _T.TIMESTAMP: "timestamp", _T.TIMESTAMPTZ: "timestamp", _T.TIMESTAMPLTZ: "timestamp", _T.TIMESTAMPNTZ: "timestamp_ntz",
    _T.BINARY: "binary", _T.VARBINARY: "binary", _T.NULL: "void",
}  # fmt: skip
_INT_RANGE = range(-(2**31), 2**31)
_LONG_RANGE = range(-(2**63), 2**63)
_MAX_PRECISION = 38

ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset({exp.Typeof})
CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {}


def anonymous_check(node: exp.Anonymous) -> str | None:
    return None


# -- the type from the statement --------------------------------------------------------


def _number_type(text: str, negative: bool) -> str | None:
    """Spark's type of a numeric literal: int, bigint, decimal(p,s) or (an exponent) double."""
    if re.search(r"[eE]", text):
        return "double"
    whole, _, fraction = text.partition(".")
    if not (whole + fraction).isdigit():
        return None
    if not fraction and "." not in text:
        value = -int(whole) if negative else int(whole)
        if value in _INT_RANGE:
            return "int"
        if value in _LONG_RANGE:
            return "bigint"
    unscaled = (whole + fraction).lstrip("0")
    precision, scale = max(len(unscaled) or 1, len(fraction)), len(fraction)
    return f"decimal({precision},{scale})" if precision <= _MAX_PRECISION else None


def data_type_name(kind: exp.DataType) -> str | None:
    """Spark's name of a type as the statement writes it (a CAST's target)."""
    if kind.this in _SIMPLE and not (kind.this in (_T.CHAR, _T.VARCHAR) and kind.expressions):
        return _SIMPLE[kind.this]
    params = kind.expressions
    if kind.this == _T.DECIMAL:
        numbers = [p.this.this if isinstance(p, exp.DataTypeParam) else None for p in params]
        if not numbers:
            return "decimal(10,0)"
        if all(isinstance(n, str) and n.isdigit() for n in numbers) and len(numbers) <= 2:
            return f"decimal({numbers[0]},{numbers[1] if len(numbers) == 2 else 0})"
        return None
    inner = [data_type_name(p) if isinstance(p, exp.DataType) else None for p in params]
    if kind.this == _T.ARRAY and len(inner) == 1 and inner[0]:
        return f"array<{inner[0]}>"
    if kind.this == _T.MAP and len(inner) == 2 and all(inner):
        return f"map<{inner[0]},{inner[1]}>"
    if kind.this == _T.STRUCT and params and all(isinstance(p, exp.ColumnDef) for p in params):
        fields = [
            (p.name, data_type_name(p.args["kind"]))
            for p in params
            if isinstance(p.args.get("kind"), exp.DataType)
        ]
        if len(fields) == len(params) and all(t for _, t in fields):
            return "struct<" + ",".join(f"{n}:{t}" for n, t in fields) + ">"
    return None


def _same(names: list[str | None]) -> str | None:
    """The elements' common type: all the same (void, a NULL, takes the others' type)."""
    known = {n for n in names if n != "void"}
    if None in known or len(known) > 1:
        return None
    return known.pop() if known else "void"


def spark_type_name(node: exp.Expr | None) -> str | None:
    """Spark's ``typeof`` of ``node`` when the statement alone establishes it, else None."""
    if isinstance(node, exp.Paren):
        return spark_type_name(node.this)
    if isinstance(node, exp.Null):
        return "void"
    if isinstance(node, exp.Boolean):
        return "boolean"
    if isinstance(node, exp.HexString):
        return "binary"
    if isinstance(node, exp.Typeof):
        return "string"
    if isinstance(node, exp.Literal):
        return "string" if node.is_string else _number_type(node.this, negative=False)
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        return _number_type(node.this.this, negative=True)
    if isinstance(node, exp.Cast | exp.TryCast):
        return data_type_name(node.to)
    if isinstance(node, exp.Array):
        element = _same([spark_type_name(e) for e in node.expressions])
        return f"array<{element}>" if element else None
    if isinstance(node, exp.VarMap) and isinstance(node.args.get("keys"), exp.Array):
        keys = _same([spark_type_name(e) for e in node.args["keys"].expressions])
        values = _same([spark_type_name(e) for e in node.args["values"].expressions])
        return f"map<{keys},{values}>" if keys and values else None
    if isinstance(node, exp.Struct):
        return _struct_name(node)
    kind = static_kind(node)
    return {Kind.STRING: "string", Kind.BINARY: "binary"}.get(kind) if kind else None


def _struct_name(node: exp.Struct) -> str | None:
    fields = []
    for field in node.expressions:
        if not isinstance(field, exp.PropertyEQ):
            return None
        kind = spark_type_name(field.expression)
        if kind is None:
            return None
        fields.append(f"{field.this.name}:{kind}")
    return "struct<" + ",".join(fields) + ">"


@gated(types=(exp.Typeof,))
def type_names(tree: exp.Expr) -> exp.Expr:
    """typeof(x): the name as a literal where the statement establishes it, else DuckDB's type named
    as Spark's when run (before the other rewrites, which change the nodes the names come from)."""

    def build(node: exp.Expr) -> exp.Expr:
        name = spark_type_name(node.this)
        if name is not None:
            return exp.Literal.string(name)
        return _call("idu_spark_type", _call("typeof", node.this.copy()))

    return replace_each(tree, [n for n in tree.find_all(exp.Typeof) if type(n) is exp.Typeof], build)


# -- the type from DuckDB, when run ------------------------------------------------------

_RUNTIME: dict[str, str] = {
    "VARCHAR": "string", "BLOB": "binary", "BOOLEAN": "boolean", "DATE": "date", "DOUBLE": "double",
    "FLOAT": "float",
}  # fmt: skip
_WIDER = (
    "DuckDB's integer and DECIMAL types can be wider than Spark's for the same expression (sum, "
    "sequence, DECIMAL arithmetic)"
)
_TOKEN = re.compile(r'"(?:[^"]|"")*"|\w+|[(),\[\]]')


class _Unknown(ValueError):
    pass


def _tokens(text: str) -> list[str]:
    if _TOKEN.sub("", text).strip():  # a character no token covers
        raise _Unknown(text)
    return _TOKEN.findall(text)


def _field(token: str) -> str:
    return token[1:-1].replace('""', '"') if token.startswith('"') else token


def _parse(tokens: list[str], at: int) -> tuple[str, int]:
    """Spark's name of the DuckDB type starting at ``tokens[at]``, and where it ends."""
    head = tokens[at]
    if head in ("MAP", "STRUCT") and tokens[at + 1] == "(":
        at, parts = at + 2, []
        while True:
            field = ""
            if head == "STRUCT":
                field, at = _field(tokens[at]) + ":", at + 1
            kind, at = _parse(tokens, at)
            parts.append(field + kind)
            if tokens[at] == ")":
                break
            if tokens[at] != ",":
                raise _Unknown(head)
            at += 1
        at += 1
        name = f"map<{parts[0]},{parts[1]}>" if head == "MAP" else "struct<" + ",".join(parts) + ">"
    elif head in _RUNTIME:
        name, at = _RUNTIME[head], at + 1
    else:
        raise _Unknown(head)
    while tokens[at : at + 2] == ["[", "]"]:
        name, at = f"array<{name}>", at + 2
    return name, at


def spark_name_of_duckdb_type(duckdb_type: str) -> str:
    """Spark's name of a value of DuckDB type ``duckdb_type`` (``typeof``'s text), or [IDU_REFUSED]."""
    try:
        tokens = _tokens(duckdb_type)
        name, end = _parse(tokens, 0)
        if end != len(tokens):
            raise _Unknown(duckdb_type)
        return name
    except (_Unknown, IndexError):
        why = _WIDER if re.search(r"INT|DECIMAL", duckdb_type) else (
            "a Spark TIMESTAMP and TIMESTAMP_NTZ are both DuckDB TIMESTAMPs" if "TIMESTAMP" in duckdb_type
            else "no Spark type is known to be it for every construct the engine runs"
        )  # fmt: skip
        raise ValueError(
            f"[IDU_REFUSED] typeof of a value of DuckDB type {duckdb_type}: its Spark type is not established "
            f"({why}); CAST the argument to the type meant, whose name typeof then gives"
        ) from None


def register_type_names(con: duckdb.DuckDBPyConnection) -> None:
    from duckdb import sqltypes as t

    register_udf(con, "idu_spark_type", spark_name_of_duckdb_type, [t.VARCHAR], t.VARCHAR, sees_nulls=False)
