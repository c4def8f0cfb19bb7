"""The plugin's registration: an ``airflow.plugins`` entry point of this distribution, valid for Airflow."""

from __future__ import annotations

import tomllib
from importlib.metadata import EntryPoint

from tests.conftest import REPO


def test_entry_point_loads_a_valid_plugin_with_the_dag_run_tab_and_the_app() -> None:
    from airflow._shared.plugins_manager import is_valid_plugin
    from fastapi import FastAPI

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    (name, value), *_ = project["entry-points"]["airflow.plugins"].items()
    plugin_class = EntryPoint(name=name, value=value, group="airflow.plugins").load()
    assert is_valid_plugin(plugin_class)
    plugin = plugin_class()
    (view,) = plugin.external_views
    assert (view["name"], view["destination"], view["url_route"]) == (
        "Identity report",
        "dag_run",
        "identity-report",
    )
    assert not view["href"].startswith("/") and "{DAG_ID}" in view["href"] and "{RUN_ID}" in view["href"]
    (app,) = plugin.fastapi_apps
    assert app["url_prefix"] == "/" + view["href"].split("/", 1)[0] and isinstance(app["app"], FastAPI)
    paths = {route.path for route in app["app"].routes}
    assert {"/dags/{dag_id}/runs/{run_id}", "/dags/{dag_id}/runs/{run_id}/data"} <= paths


def test_every_report_route_requires_dag_read_access() -> None:
    from airflow_idu.ui.app import create_app

    for route in create_app().routes:
        if getattr(route, "path", "").startswith("/dags/"):
            guards = [d.call for d in route.dependant.dependencies]  # type: ignore[attr-defined]
            assert sum(getattr(g, "__qualname__", "").startswith("requires_access_dag") for g in guards) == 3
