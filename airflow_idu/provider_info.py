"""Airflow provider registration (entry point ``apache_airflow_provider``). Must stay import-light."""

from __future__ import annotations

from typing import Any

from airflow_idu import __version__

__all__ = ["get_provider_info"]


def get_provider_info() -> dict[str, Any]:
    return {
        # Must equal the distribution name, or the ``airflow`` CLI fails to load providers.
        "package-name": "airflow-idu",
        "name": "Identity unification (airflow-idu)",
        "description": "Identity-unification (ID stitching) workflows on Databricks, "
        "with an embedded DuckDB default.",
        "versions": [__version__],
        "operators": [
            {"integration-name": "airflow-idu", "python-modules": ["airflow_idu.operators.sql_file"]}
        ],
        "sensors": [
            {"integration-name": "airflow-idu", "python-modules": ["airflow_idu.sensors.unify_loop"]}
        ],
        "integrations": [
            {"integration-name": "airflow-idu", "external-doc-url": "https://airflow.apache.org"}
        ],
    }
