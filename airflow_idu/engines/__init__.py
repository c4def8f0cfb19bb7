"""Engines run Databricks SQL: on a Databricks SQL warehouse, or translated on DuckDB.

Which engine a task uses follows from its connection's type (:mod:`airflow_idu.engines.registry`).
"""

from __future__ import annotations

from typing import Any

from airflow_idu.engines.base import Engine, EngineKind, StatementError, StatementStats, is_transient
from airflow_idu.engines.registry import UnsupportedConnectionError, engine_class

__all__ = [
    "Engine",
    "EngineKind",
    "StatementError",
    "StatementStats",
    "UnsupportedConnectionError",
    "is_transient",
    "open_engine",
]


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

    connection = BaseHook.get_connection(conn_id)
    cls = engine_class(connection.conn_type or "", conn_id=conn_id)
    engine: Engine = cls.from_task(
        conn_id,
        catalog=catalog,
        schema=schema,
        http_path=http_path,
        hook_params=hook_params,
        connection=connection,
    )
    return engine
