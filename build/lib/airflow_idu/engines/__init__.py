"""Engines run Databricks SQL: on a Databricks SQL warehouse, or translated on DuckDB."""

from __future__ import annotations

from typing import Any

from airflow_idu.engines.base import Engine, EngineKind, StatementError, StatementStats, is_transient

__all__ = [
    "Engine",
    "EngineKind",
    "StatementError",
    "StatementStats",
    "UnsupportedConnectionError",
    "is_transient",
    "open_engine",
]


class UnsupportedConnectionError(ValueError):
    """The Airflow connection's type is not one this product runs on."""


def open_engine(
    conn_id: str,
    *,
    catalog: str | None = None,
    schema: str | None = None,
    http_path: str | None = None,
    hook_params: dict[str, Any] | None = None,
) -> Engine:
    """Choose the engine from the connection's type. Called at execute time, never at parse time."""
    from airflow.sdk import BaseHook

    conn_type = (BaseHook.get_connection(conn_id).conn_type or "").lower()
    if conn_type == EngineKind.DATABRICKS.value:
        from airflow_idu.engines.databricks import DatabricksEngine

        return DatabricksEngine(
            conn_id, catalog=catalog, schema=schema, http_path=http_path, hook_params=hook_params
        )
    if conn_type == EngineKind.DUCKDB.value:
        from airflow_idu.engines.duckdb import DuckDBEngine

        return DuckDBEngine(conn_id, catalog=catalog, schema=schema)
    raise UnsupportedConnectionError(
        f"connection {conn_id!r} has type {conn_type!r}; airflow-idu runs on connection types "
        f"{[k.value for k in EngineKind]} — change the connection's type or point conn_id at another one"
    )
