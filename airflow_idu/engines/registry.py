"""Connection type -> engine class. Adding an engine: one module with the class, one entry here.

Entries are ``module:Class`` strings, imported when a task opens its engine (never at parse time,
and a driver that is not installed only matters to the connections that use it).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from airflow_idu.engines.base import EngineKind

if TYPE_CHECKING:
    from airflow_idu.engines.base import Engine

__all__ = ["ENGINES", "UnsupportedConnectionError", "engine_class", "is_transient_anywhere"]

ENGINES: dict[str, str] = {
    EngineKind.DATABRICKS.value: "airflow_idu.engines.databricks:DatabricksEngine",
    EngineKind.DUCKDB.value: "airflow_idu.engines.duckdb.engine:DuckDBEngine",
    EngineKind.SPARK_CONNECT.value: "airflow_idu.engines.spark_connect:SparkConnectEngine",
}


class UnsupportedConnectionError(ValueError):
    """The Airflow connection's type is not one this product runs on."""


def engine_class(conn_type: str, *, conn_id: str = "?") -> Any:
    """The engine class registered for ``conn_type`` (case-insensitive)."""
    target = ENGINES.get((conn_type or "").lower())
    if target is None:
        raise UnsupportedConnectionError(
            f"connection {conn_id!r} has type {conn_type!r}; airflow-idu runs on connection types "
            f"{sorted(ENGINES)} — change the connection's type or point conn_id at another one"
        )
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def is_transient_anywhere(error: BaseException | None) -> bool:
    """True when the engine the error came from says it may heal. Each engine's rule answers False
    for errors of other drivers, so asking all of them is safe where no engine object is at hand."""
    if error is None:
        return False
    engines: list[type[Engine]] = [engine_class(kind) for kind in ENGINES]
    return any(cls.is_transient(error) for cls in engines)
