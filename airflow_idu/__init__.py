"""airflow-idu: identity-unification workflows for Apache Airflow on Databricks (DuckDB embedded default)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

# The version has one source, pyproject.toml; read here once from the installed distribution.
try:
    __version__ = version("airflow-idu")
except PackageNotFoundError:  # a source tree imported without installing it
    __version__ = "0+unknown"
__all__ = ["create_unification_dag", "unification_task_group"]

if TYPE_CHECKING:
    from airflow_idu.factory import create_unification_dag, unification_task_group


def __getattr__(name: str) -> Any:
    # Lazy: importing the package (e.g. for provider discovery) must not import Airflow's DAG machinery.
    if name in __all__:
        from airflow_idu import factory

        return getattr(factory, name)
    raise AttributeError(f"module 'airflow_idu' has no attribute {name!r}")
