"""airflow-idu: identity-unification workflows for Apache Airflow on Databricks (DuckDB embedded default)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["create_unification_dag", "unification_task_group"]

if TYPE_CHECKING:
    from airflow_idu.factory import create_unification_dag, unification_task_group


def __getattr__(name: str) -> Any:
    # Lazy: importing the package (e.g. for provider discovery) must not import Airflow's DAG machinery.
    if name in __all__:
        from airflow_idu import factory

        return getattr(factory, name)
    raise AttributeError(f"module 'airflow_idu' has no attribute {name!r}")
