"""One statement on a DuckDB cursor, answered as Databricks answers it (columns, types, DML counts)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import duckdb

from airflow_idu.engines.duckdb.float_columns import FloatColumns
from airflow_idu.engines.duckdb.merge import rollback
from airflow_idu.engines.duckdb.translate import translate_statement
from airflow_idu.engines.duckdb.translation_cache import cached_translation
from airflow_idu.engines.duckdb.type_checks import check_types
from airflow_idu.warehouse.types import databricks_type

__all__ = ["StatementResult", "execute_statement", "use_namespace"]

_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_CTAS = re.compile(r"^CREATE\s+(OR\s+REPLACE\s+)?TABLE\b.*\bAS\b", re.I | re.S)


@dataclass
class StatementResult:
    columns: list[str]
    types: list[str]  # Databricks type names: STRING, BIGINT, ARRAY<BIGINT>, ...
    rows: list[tuple[Any, ...]]
    num_affected_rows: int | None = None
    arrow: Any = None  # the same rows as a pyarrow.Table (what the Thrift front end sends)


def use_namespace(cursor: duckdb.DuckDBPyConnection, catalog: str | None, schema: str | None) -> None:
    """The session's initial namespace, as the embedded engine sets it (USE CATALOG is a no-op)."""
    for kind, name in (("CATALOG", catalog), ("SCHEMA", schema)):
        if name:
            for sql in translate_statement(f"USE {kind} {name}").statements:
                cursor.execute(sql)


def execute_statement(
    cursor: duckdb.DuckDBPyConnection, sql: str, float_columns: FloatColumns
) -> StatementResult:
    """``float_columns``: the warehouse's one answer for its database (float_columns.py)."""
    translation = cached_translation(sql.strip().rstrip(";"), float_values=float_columns(cursor))
    float_columns.after(translation)
    *setup, last = translation.statements or ("",)
    check_types(cursor, translation)
    try:
        for duck_sql in setup:
            cursor.execute(duck_sql)
    except Exception:
        if translation.transaction:
            rollback(cursor)
        raise
    if not last:
        return StatementResult(columns=[], types=[], rows=[])
    relation = cursor.sql(last)  # executes DDL/DML at once; a query runs when materialized below
    head = _COMMENT.sub(" ", sql).strip().upper()
    if relation is None:
        return StatementResult(columns=[], types=[], rows=[])
    table = relation.to_arrow_table()
    if relation.columns == ["Count"] and not head.startswith(_QUERIES):
        if not _is_dml(head):
            return StatementResult(columns=[], types=[], rows=[])  # DDL answers nothing on Databricks
        return _dml_result(head, int(table.column(0)[0].as_py()) if table.num_rows else 0)
    return StatementResult(
        columns=list(relation.columns),
        types=[databricks_type(str(t)) for t in relation.types],
        rows=[tuple(r.values()) for r in table.to_pylist()],
        arrow=table,
    )


_QUERIES = ("SELECT", "WITH", "VALUES", "FROM", "SHOW", "DESCRIBE", "DESC ", "EXPLAIN", "TABLE ", "(")


def _is_dml(head: str) -> bool:
    return head.startswith(("INSERT", "UPDATE", "DELETE", "MERGE")) or bool(_CTAS.match(head))


def _dml_result(head: str, count: int) -> StatementResult:
    """Databricks answers DML with counts: INSERT/CTAS two columns, UPDATE/DELETE one, MERGE four."""
    import pyarrow as pa

    values: list[int | None]
    if head.startswith(("UPDATE", "DELETE")):
        columns, values = ["num_affected_rows"], [count]
    elif head.startswith("MERGE"):
        columns = ["num_affected_rows", "num_updated_rows", "num_deleted_rows", "num_inserted_rows"]
        values = [count, None, None, None]
    else:
        columns, values = ["num_affected_rows", "num_inserted_rows"], [count, count]
    table = pa.table({c: pa.array([v], type=pa.int64()) for c, v in zip(columns, values, strict=True)})
    return StatementResult(
        columns=columns,
        types=["BIGINT"] * len(columns),
        rows=[tuple(values)],
        num_affected_rows=count,
        arrow=table,
    )
