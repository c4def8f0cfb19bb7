"""``INSERT`` of a value whose type is not the column's: Spark's store assignment, or a refusal.

Spark (ANSI store assignment, Databricks' default) refuses some pairs outright (a STRING into a
number, a BOOLEAN into a number, a number into a BOOLEAN: ``CANNOT_SAFELY_CAST``) and casts others
its own way (a DOUBLE or DECIMAL into an integer column truncates). DuckDB's implicit cast accepts
the first and rounds the second. The translator works on text and does not know either type, so
the engine asks DuckDB for both before it runs the ``INSERT`` (one ``DESCRIBE`` of the query and one
of the table) and fails on every pair where the two would differ, with Spark's error or a refusal
that says which explicit ``CAST`` gives Spark's value. Pairs of nested types are left as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

__all__ = ["InsertShape", "check_insert", "store_assignment_error"]


@dataclass(frozen=True, kw_only=True)
class InsertShape:
    """What an ``INSERT`` writes, as DuckDB SQL: the table, its columns named or not, the query."""

    table: str
    columns: tuple[str, ...] | None  # None: the table's columns in order
    query: str


class _Kind(Enum):
    STRING = "string"
    BOOLEAN = "boolean"
    INTEGER = "integer"
    DECIMAL = "decimal"
    FLOATING = "floating"
    DATETIME = "datetime"
    BINARY = "binary"
    NULL = "null"
    OTHER = "other"  # nested, intervals, anything else: not checked


_INTEGERS = re.compile(r"^U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)$")


def _kind(duck_type: str) -> _Kind:
    t = duck_type.upper()
    if t in ("VARCHAR",):
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
# (value kind, column kind) pairs Spark refuses: CANNOT_SAFELY_CAST
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


def store_assignment_error(table: str, column: str, value_type: str, column_type: str) -> str | None:
    """The message an ``INSERT`` of ``value_type`` into ``column_type`` fails with, or None if it runs."""
    pair = (_kind(value_type), _kind(column_type))
    if pair in _SPARK_REFUSES:
        return (
            f"[INCOMPATIBLE_DATA_FOR_TABLE.CANNOT_SAFELY_CAST] Cannot write incompatible data for the table "
            f"{table}: cannot safely cast {column} {value_type} to {column_type} (Spark's store assignment "
            "refuses it; CAST the value explicitly)"
        )
    why = _SPARK_DIFFERS.get(pair)
    if why is not None:
        return (
            f"[IDU_REFUSED] INSERT into {table}.{column}: a {value_type} value written into a {column_type} "
            f"column: {why}. CAST the value to the column's type in the query (the embedded engine's CAST "
            "gives Spark's value), or run this statement on Databricks"
        )
    return None


def check_insert(connection: Any, shape: InsertShape) -> None:
    """Raise ``duckdb.InvalidInputException`` if the INSERT would write a value Spark would not."""
    import duckdb

    value_types = [
        row[1] for row in connection.execute(f"DESCRIBE SELECT * FROM ({shape.query}) AS __idu_q").fetchall()
    ]
    table_types = {
        str(row[0]).lower(): str(row[1]) for row in connection.execute(f"DESCRIBE {shape.table}").fetchall()
    }
    names = list(shape.columns) if shape.columns is not None else list(table_types)
    for name, value_type in zip(names, value_types, strict=False):
        column_type = table_types.get(name.lower())
        if column_type is None:
            continue  # DuckDB's own error names the column
        message = store_assignment_error(shape.table, name, str(value_type), column_type)
        if message is not None:
            raise duckdb.InvalidInputException(message)
