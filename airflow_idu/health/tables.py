"""Names of the tables identity health reads and writes, from the canonical-id prefix (the contract)."""

from __future__ import annotations

from typing import Any

from airflow_idu.engines.base import Engine, StatementError, is_transient
from airflow_idu.plan.contract import TableNames

__all__ = ["HealthTables", "sql_string", "table_exists"]

# What engines say when a table is missing (Databricks error class; DuckDB catalog error).
_MISSING = ("TABLE_OR_VIEW_NOT_FOUND", "does not exist", "not found")

# The tables health reads and writes are the contract's: fully qualified names for the prefix.
HealthTables = TableNames


def sql_string(value: str) -> str:
    """A Databricks SQL string literal (backslash escapes; the DuckDB translation re-quotes it)."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def table_exists(engine: Engine, table: str) -> bool:
    """True when ``table`` can be read; False when the engine says it does not exist."""
    try:
        engine.query(f"SELECT 1 FROM {table} WHERE 1 = 0", label="health: table exists")
    except StatementError as err:
        if is_transient(err.__cause__) or not any(m.lower() in str(err).lower() for m in _MISSING):
            raise
        return False
    return True


def rows_as_dicts(rows: list[tuple[Any, ...]], columns: list[str]) -> list[dict[str, Any]]:
    return [dict(zip(columns, row, strict=True)) for row in rows]
