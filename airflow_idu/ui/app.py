"""The FastAPI app the API server mounts at ``/idu-report``. Same auth and DAG-level permission as the UI."""

from __future__ import annotations

from functools import cache
from typing import Any

from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
from airflow.api_fastapi.common.db.common import SessionDep
from airflow.api_fastapi.core_api.security import requires_access_dag
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse

from airflow_idu.ui.collect import load_run
from airflow_idu.ui.model import ReportView, build_view
from airflow_idu.ui.page import render_missing, render_page
from airflow_idu.ui.plugin import URL_PREFIX

__all__ = ["create_app", "ui_root"]


def ui_root(request: Request, url_prefix: str) -> str:
    """The Airflow UI's path prefix: the mount's root path without the plugin's own prefix."""
    root = str(request.scope.get("root_path", "")).rstrip("/")
    return root[: -len(url_prefix)] if root.endswith(url_prefix) else ""


@cache
def create_app() -> FastAPI:
    # Reading a run's report = reading the run, its task instances and their XComs.
    guards = [
        Depends(requires_access_dag("GET", DagAccessEntity.RUN)),
        Depends(requires_access_dag("GET", DagAccessEntity.TASK_INSTANCE)),
        Depends(requires_access_dag("GET", DagAccessEntity.XCOM)),
    ]
    app = FastAPI(title="airflow-idu identity report", docs_url=None, redoc_url=None, openapi_url=None)

    def _view(session: Any, dag_id: str, run_id: str, group: str | None) -> ReportView:
        run = load_run(session, dag_id, run_id)
        if run is None:
            raise HTTPException(status_code=404, detail=f"no run {run_id!r} of DAG {dag_id!r}")
        return build_view(run, None if group is None else (group.rstrip(".") + "." if group else ""))

    @app.get("/dags/{dag_id}/runs/{run_id}", response_class=HTMLResponse, dependencies=guards)
    def report_page(
        request: Request, dag_id: str, run_id: str, session: SessionDep, group: str | None = None
    ) -> HTMLResponse:
        try:
            view = _view(session, dag_id, run_id, group)
        except HTTPException:
            return HTMLResponse(render_missing(dag_id, run_id), status_code=404)
        return HTMLResponse(
            render_page(view, ui_root(request, URL_PREFIX)),
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        )

    @app.get("/dags/{dag_id}/runs/{run_id}/data", dependencies=guards)
    def report_data(
        dag_id: str, run_id: str, session: SessionDep, group: str | None = None
    ) -> dict[str, Any]:
        view = _view(session, dag_id, run_id, group)
        return {
            "dag_id": dag_id,
            "run_id": run_id,
            "state": view.run.state,
            "group": view.prefix.rstrip("."),
            "report": view.report,
            "loop": {"state": view.loop_state, "result": view.loop_result, "history": view.history},
            "health": view.health,
            "min_coverage": view.min_coverage,
            "query_history": view.query_history,
            "tasks": [
                {"task_id": t.task_id, "state": t.state, "seconds": t.seconds, "try_number": t.try_number}
                for t in view.run.tasks
            ],
        }

    return app
