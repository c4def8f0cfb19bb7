"""A write of a value whose type is not the column's: Spark's outcome, or a refusal.

``INSERT`` (Spark's ANSI store assignment, Databricks' default) refuses some pairs outright (a
STRING into a number, a BOOLEAN into a number, a number into a BOOLEAN, a STRING into an ARRAY:
``CANNOT_SAFELY_CAST``) and casts others its own way (a DOUBLE or DECIMAL into an integer column
truncates). ``UPDATE`` and ``MERGE`` on Delta cast every pair at run time with Spark's ANSI ``CAST``
(``UpdateExpressionsSupport.castIfNeeded``). DuckDB's implicit cast accepts all of these and
rounds. The translator works on text and knows neither type, so before the statement runs the
engine binds (never runs) a query giving the values written and reads the table's types, then
fails on every pair, nested fields included, where the two engines could differ: with Spark's
error where Spark fails at analysis, else with ``[IDU_REFUSED]`` naming the fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

__all__ = ["WriteKind", "WriteShape", "check_writes", "cte_prefix", "mismatch"]


class WriteKind(Enum):
    INSERT = "INSERT"  # Spark's store assignment: refuses some pairs when it analyses the statement
    UPDATE = "UPDATE"  # Delta casts at run time: the engine refuses every pair DuckDB casts its own way
    MERGE = "MERGE"


@dataclass(frozen=True, kw_only=True)
class WriteShape:
    """What one write stores, as DuckDB SQL: the values (a query bound, never run) and where they go."""

    kind: WriteKind
    table: str
    query: str
    columns: tuple[str, ...] | None = None  # None: the table's columns in order
    by_name: bool = False  # the query's output names are the columns (INSERT BY NAME, SET *, INSERT *)


def cte_prefix(statement: Any) -> str:
    """A DML statement's ``WITH x AS (...)`` as DuckDB SQL and a space ('' without one): a query
    written apart from the statement (its values, Delta's checks) must carry it to see ``x``."""
    cte = statement.args.get("with_")
    return f"{cte.sql(dialect='duckdb')} " if cte is not None else ""


class _Kind(Enum):
    STRING = "string"
    BOOLEAN = "boolean"
    INTEGER = "integer"
    DECIMAL = "decimal"
    FLOATING = "floating"
    DATETIME = "datetime"
    BINARY = "binary"
    NULL = "null"
    OTHER = "other"  # intervals, time, anything else: not checked


_INTEGERS = re.compile(r"^U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)$")
_NESTED = {"list": "ARRAY", "array": "ARRAY", "struct": "STRUCT", "map": "MAP"}  # DuckDBPyType.id


def _kind(duck_type: str) -> _Kind:
    t = duck_type.upper()
    if t == "VARCHAR":
        return _Kind.STRING
    if t == "BOOLEAN":
        return _Kind.BOOLEAN
    if _INTEGERS.match(t):
        return _Kind.INTEGER
    if t.startswith("DECIMAL"):
        return _Kind.DECIMAL
    if t in ("FLOAT", "DOUBLE"):
        return _Kind.FLOATING
    if t in ("DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE"):
        return _Kind.DATETIME
    if t == "BLOB":
        return _Kind.BINARY
    if t == '"NULL"':
        return _Kind.NULL
    return _Kind.OTHER


_NUMBERS = (_Kind.INTEGER, _Kind.DECIMAL, _Kind.FLOATING)
# (value kind, column kind) pairs Spark's store assignment refuses: CANNOT_SAFELY_CAST
_SPARK_REFUSES = {
    *((_Kind.STRING, k) for k in (*_NUMBERS, _Kind.BOOLEAN, _Kind.DATETIME, _Kind.BINARY)),
    *((_Kind.BOOLEAN, k) for k in _NUMBERS),
    *((k, _Kind.BOOLEAN) for k in _NUMBERS),
    *((_Kind.BINARY, k) for k in (*_NUMBERS, _Kind.BOOLEAN, _Kind.DATETIME)),
    *((k, _Kind.BINARY) for k in (*_NUMBERS, _Kind.BOOLEAN, _Kind.DATETIME)),
    *((_Kind.DATETIME, k) for k in (*_NUMBERS, _Kind.BOOLEAN)),
    *((k, _Kind.DATETIME) for k in (*_NUMBERS, _Kind.BOOLEAN)),
}
# pairs Spark writes otherwise than DuckDB's implicit cast: (value kind, column kind) -> why
_SPARK_DIFFERS = {
    (_Kind.FLOATING, _Kind.INTEGER): "Spark truncates toward zero, DuckDB rounds",
    (_Kind.DECIMAL, _Kind.INTEGER): "Spark truncates toward zero, DuckDB rounds",
    (_Kind.FLOATING, _Kind.STRING): "Spark writes 1.0E20 where DuckDB writes 1e+20",
}
_CAST_FIX = (
    "CAST the value to the column's type in the statement (the embedded engine's CAST gives Spark's value)"
)
_STRUCT_FIX = "build the STRUCT with the column's field names in the column's order"


@dataclass(frozen=True, kw_only=True)
class Mismatch:
    """A value type the column's type cannot take the way Spark takes it; ``path`` names the field."""

    path: str
    value_type: str
    column_type: str
    spark_refuses: bool  # Spark's store assignment refuses the pair (INSERT fails at analysis)
    why: str = ""
    fix: str = _CAST_FIX


def mismatch(path: str, value: Any, column: Any) -> Mismatch | None:
    """The first pair, walking nested types, where Spark and DuckDB would store differently.

    ``value`` and ``column`` are ``duckdb.DuckDBPyType``: ``.id`` names nested kinds, ``.children``
    their parts. Spark matches a STRUCT's fields by position, DuckDB's cast by name.
    """
    value_nested, column_nested = _NESTED.get(value.id), _NESTED.get(column.id)
    if value_nested is None and column_nested is None:
        pair = (_kind(str(value)), _kind(str(column)))
        why = _SPARK_DIFFERS.get(pair)
        if pair not in _SPARK_REFUSES and why is None:
            return None
        return Mismatch(
            path=path,
            value_type=str(value),
            column_type=str(column),
            spark_refuses=why is None,
            why=why or "",
        )
    if value.id == "null":
        return None
    if value_nested != column_nested:  # e.g. a STRING into an ARRAY, an ARRAY into a STRING
        return Mismatch(path=path, value_type=str(value), column_type=str(column), spark_refuses=True)
    value_parts, column_parts = list(value.children), list(column.children)
    if value_nested == "STRUCT":
        if len(value_parts) != len(column_parts):
            return Mismatch(path=path, value_type=str(value), column_type=str(column), spark_refuses=True)
        if [n.lower() for n, _ in value_parts] != [n.lower() for n, _ in column_parts]:
            return Mismatch(
                path=path,
                value_type=str(value),
                column_type=str(column),
                spark_refuses=False,
                why="Spark matches the fields by position, DuckDB by name",
                fix=_STRUCT_FIX,
            )
        pairs = [(f"{path}.{n}", v, c) for (n, v), (_, c) in zip(value_parts, column_parts, strict=True)]
    elif value_nested == "MAP":
        pairs = [
            (f"{path}.{part}", v, c) for (part, v), (_, c) in zip(value_parts, column_parts, strict=True)
        ]
    else:  # ARRAY: DuckDB's LIST and fixed-size ARRAY both have one child, the element type
        pairs = [(f"{path}.element", value_parts[0][1], column_parts[0][1])]
    for sub_path, sub_value, sub_column in pairs:
        found = mismatch(sub_path, sub_value, sub_column)
        if found is not None:
            return found
    return None


def _message(kind: WriteKind, table: str, found: Mismatch) -> str:
    written = f"a {found.value_type} value written into {table}.{found.path}, a {found.column_type}"
    if found.spark_refuses and kind is WriteKind.INSERT:
        return (
            f"[INCOMPATIBLE_DATA_FOR_TABLE.CANNOT_SAFELY_CAST] Cannot write incompatible data for the table "
            f"{table}: cannot safely cast {found.path} {found.value_type} to {found.column_type} (Spark's "
            "store assignment refuses it; CAST the value explicitly)"
        )
    why = found.why or (
        "Delta casts it at run time with Spark's ANSI CAST, which DuckDB's implicit cast does not follow"
    )
    return f"[IDU_REFUSED] {kind.value} of {written}: {why}. {found.fix[0].upper()}{found.fix[1:]}, or run this statement on Databricks"


def check_writes(connection: Any, shapes: tuple[WriteShape, ...]) -> None:
    """Raise ``duckdb.InvalidInputException`` if a write would store a value Spark would not."""
    import duckdb

    for shape in shapes:
        values = connection.sql(shape.query)  # binds the query; a SELECT runs only when fetched
        table = connection.sql(f"SELECT * FROM {shape.table}")
        column_types = {name.lower(): t for name, t in zip(table.columns, table.types, strict=True)}
        if shape.by_name:
            names = list(values.columns)
        else:
            names = list(shape.columns) if shape.columns is not None else list(table.columns)
        for name, value_type in zip(names, values.types, strict=False):
            column_type = column_types.get(name.lower())
            if column_type is None:
                continue  # DuckDB's own error names the column
            found = mismatch(name, value_type, column_type)
            if found is not None:
                raise duckdb.InvalidInputException(_message(shape.kind, shape.table, found))
