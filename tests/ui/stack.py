"""A real Airflow on 127.0.0.1 for the browser test: API server, scheduler and DAG processor as
subprocesses (LocalExecutor, SQLite metadata DB, SimpleAuthManager users from env), in a private home.

The plugin is found the way a deployment finds it: through this distribution's ``airflow.plugins``
entry point. When the installed metadata predates that entry point (an editable install made before
it was added), a copy of the distribution's metadata with the entry points declared in
pyproject.toml is put first on the subprocesses' path, which is what ``pip install -e .`` would write.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import distribution, entry_points
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import EXAMPLE_SQL, REPO
from tests.stack import AirflowProcesses, airflow_env, free_port, repo_path

PLUGIN_ENTRY_POINT = "airflow_idu.ui.plugin:IduReportPlugin"
USERS = {"admin": "admin", "viewer": "viewer", "outsider": "viewer"}  # user -> role
EMBEDDED_DAG = """
from datetime import datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, Param

from airflow_idu import unification_task_group

with DAG("idu_embedded", schedule=None, start_date=datetime(2026, 1, 1), catchup=False,
         params={"max_iterations": Param(30, type="integer", minimum=1)}) as dag:
    (EmptyOperator(task_id="extract")
     >> unification_task_group(%r, conn_id="idu_embedded", group_id="idu")
     >> EmptyOperator(task_id="publish"))
"""


def _entry_point_shim(target: Path) -> Path | None:
    """Metadata with the worktree's entry points when the installed metadata lacks the plugin's."""
    if any(ep.value == PLUGIN_ENTRY_POINT for ep in entry_points(group="airflow.plugins")):
        return None
    dist = distribution("airflow-idu")
    info = target / f"airflow_idu-{dist.version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(dist.read_text("METADATA") or "", encoding="utf-8")
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    groups = {"console_scripts": project.get("scripts", {}), **project.get("entry-points", {})}
    (info / "entry_points.txt").write_text(
        "".join(
            f"[{g}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items()) + "\n" for g, eps in groups.items()
        ),
        encoding="utf-8",
    )
    return target


@dataclass
class AirflowStack(AirflowProcesses):
    """The browser test's stack: API server, scheduler and DAG processor, users from the environment."""

    root: Path = field(default_factory=Path)

    @classmethod
    def at(cls, root: Path) -> AirflowStack:
        return cls(logs_dir=root, port=free_port(), root=root)

    @property
    def home(self) -> Path:
        return self.root / "home"

    def database(self, name: str) -> Path:
        return self.root / f"{name}.duckdb"

    def environment(self) -> dict[str, str]:
        shim = (
            _entry_point_shim(self.root / "shim") if not (self.root / "shim").exists() else self.root / "shim"
        )
        env = airflow_env(
            home=self.home,
            dags=self.root / "dags",
            port=self.port,
            path=repo_path(shim),
            drop=("AIRFLOW", "IDU_"),
        )
        env.update(
            AIRFLOW__CORE__AUTH_MANAGER="tests.ui.auth_manager.DagScopedSimpleAuthManager",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=",".join(f"{u}:{r}" for u, r in USERS.items()),
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(self.root / "passwords.json"),
            AIRFLOW__API__BASE_URL=self.base,
            AIRFLOW__API_AUTH__JWT_SECRET="idu-ui-test-secret-0123456789abcdef",
            AIRFLOW__API_AUTH__JWT_EXPIRATION_TIME="3600",
            # Only triggered runs: no scheduled run of the @daily example DAG gets in the way.
            AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE="False",
            AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC="1",
            IDU_EXAMPLE_SQL_DIR=str(EXAMPLE_SQL),
            IDU_TEST_DENIED_DAGS="outsider:idu_example|idu_embedded",
            AIRFLOW_CONN_IDU_DEFAULT=json.dumps(
                {"conn_type": "duckdb", "host": str(self.database("example"))}
            ),
            AIRFLOW_CONN_IDU_EMBEDDED=json.dumps(
                {"conn_type": "duckdb", "host": str(self.database("embedded"))}
            ),
        )
        return env

    def prepare(self, people: int) -> None:
        (self.root / "dags").mkdir(parents=True)
        self.home.mkdir(parents=True)
        shutil.copy(REPO / "dags" / "idu_example.py", self.root / "dags" / "idu_example.py")
        (self.root / "dags" / "idu_embedded.py").write_text(EMBEDDED_DAG % str(EXAMPLE_SQL), encoding="utf-8")
        (self.root / "passwords.json").write_text(json.dumps({u: f"{u}-pw" for u in USERS}), encoding="utf-8")
        env = self.environment()
        cli = [sys.executable, "-m", "airflow_idu.cli", "demo-data", "--schema", "customer_db"]
        subprocess.run(
            [*cli, "--database", str(self.database("example")), "--people", str(people)],
            env=env,
            check=True,
            capture_output=True,
        )
        shutil.copy(self.database("example"), self.database("embedded"))
        self.cli("db", "migrate")

    def start(self) -> None:
        for name, args in {
            "api-server": ["--port", str(self.port), "--host", "127.0.0.1"],
            "scheduler": [],
            "dag-processor": [],
        }.items():
            self.spawn(name, *args)
        self.wait_healthy(120)

    def token(self, user: str) -> str:
        response = httpx.post(
            f"{self.base}/auth/token", json={"username": user, "password": f"{user}-pw"}, timeout=30
        )
        response.raise_for_status()
        return str(response.json()["access_token"])

    def api(self, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(
            method, self.base + path, headers={"Authorization": f"Bearer {token}"}, timeout=60, **kwargs
        )

    def trigger(self, dag_id: str, token: str, conf: dict[str, Any] | None = None) -> str:
        self.wait_for(
            lambda: self.api("GET", f"/api/v2/dags/{dag_id}", token).status_code == 200,
            180,
            f"DAG {dag_id} to be parsed",
        )
        response = self.api(
            "POST", f"/api/v2/dags/{dag_id}/dagRuns", token, json={"logical_date": None, "conf": conf or {}}
        )
        assert response.status_code == 200, response.text
        return str(response.json()["dag_run_id"])

    def wait_run(self, dag_id: str, run_id: str, token: str, timeout: float = 300) -> str:
        def done() -> str | None:
            self.check_alive()
            state = self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}", token).json().get("state")
            return state if state in ("success", "failed") else None

        return str(self.wait_for(done, timeout, f"run {run_id} of {dag_id} to finish"))


@contextmanager
def airflow_stack(root: Path, people: int) -> Iterator[AirflowStack]:
    stack = AirflowStack.at(root)
    stack.prepare(people)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
