"""The Airflow plugin, registered through the ``airflow.plugins`` entry point of this distribution.

Import-light on purpose: every Airflow component loads plugins, only the API server builds the app.
"""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin

__all__ = ["EXTERNAL_VIEW", "URL_PREFIX", "URL_ROUTE", "IduReportPlugin"]

URL_PREFIX = "/idu-report"
URL_ROUTE = "identity-report"
EXTERNAL_VIEW = {
    "name": "Identity report",
    # Relative (no leading slash): the UI resolves it against its own base URL.
    "href": URL_PREFIX.lstrip("/") + "/dags/{DAG_ID}/runs/{RUN_ID}",
    "destination": "dag_run",
    "url_route": URL_ROUTE,
}


class IduReportPlugin(AirflowPlugin):
    """An "Identity report" tab on every DAG run, served by a FastAPI app inside the API server; when
    loaded in a scheduler or worker, optionally the warm-up of task processes."""

    name = "airflow_idu_report"
    external_views = [EXTERNAL_VIEW]

    @classmethod
    def on_load(cls, *args: Any, **kwargs: Any) -> None:
        """With ``[idu] preload_task_modules`` set, import what tasks need before the scheduler forks
        them (:mod:`airflow_idu.preload`); nothing otherwise."""
        from airflow_idu.preload import preload_if_configured

        preload_if_configured()

    @property
    def fastapi_apps(self) -> list[dict[str, Any]]:  # type: ignore[override]
        from airflow_idu.ui.app import create_app

        return [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "Identity report"}]
