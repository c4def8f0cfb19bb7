"""A real Airflow on 127.0.0.1 for the browser test: API server, scheduler and DAG processor as
subprocesses (LocalExecutor, SQLite metadata DB, SimpleAuthManager users from env), in a private home.

The plugin is found the way a deployment finds it: through this distribution's ``airflow.plugins``
entry point. When the installed metadata predates that entry point (an editable install made before
it was added), a copy of the distribution's metadata with the entry points declared in
pyproject.toml is put first on the subprocesses' path, which is what ``pip install -e .`` would write.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from importlib.metadata import distribution, entry_points
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import EXAMPLE_SQL, REPO

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
class AirflowStack:
    root: Path
    port: int = field(default_factory=free_port)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def home(self) -> Path:
        return self.root / "home"

    def database(self, name: str) -> Path:
        return self.root / f"{name}.duckdb"

    def env(self) -> dict[str, str]:
        shim = (
            _entry_point_shim(self.root / "shim") if not (self.root / "shim").exists() else self.root / "shim"
        )
        path = [str(p) for p in (shim, REPO) if p]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "IDU_"))}
        env.update(
            PYTHONPATH=os.pathsep.join(path),
            AIRFLOW_HOME=str(self.home),
            AIRFLOW__CORE__DAGS_FOLDER=str(self.root / "dags"),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__CORE__EXECUTOR="LocalExecutor",
            AIRFLOW__CORE__PARALLELISM="4",
            AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
            AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"{self.base}/execution/",
            AIRFLOW__CORE__AUTH_MANAGER="tests.ui.auth_manager.DagScopedSimpleAuthManager",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=",".join(f"{u}:{r}" for u, r in USERS.items()),
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(self.root / "passwords.json"),
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{self.home / 'airflow.db'}",
            AIRFLOW__API__HOST="127.0.0.1",
            AIRFLOW__API__PORT=str(self.port),
            AIRFLOW__API__BASE_URL=self.base,
            AIRFLOW__API__WORKERS="1",
            AIRFLOW__API_AUTH__JWT_SECRET="idu-ui-test-secret-0123456789abcdef",
            AIRFLOW__API_AUTH__JWT_EXPIRATION_TIME="3600",
            # Only triggered runs: no scheduled run of the @daily example DAG gets in the way.
            AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE="False",
            AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC="1",
            AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
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
        env = self.env()
        cli = [sys.executable, "-m", "airflow_idu.cli", "demo-data", "--schema", "customer_db"]
        subprocess.run(
            [*cli, "--database", str(self.database("example")), "--people", str(people)],
            env=env,
            check=True,
            capture_output=True,
        )
        shutil.copy(self.database("example"), self.database("embedded"))
        subprocess.run([self._airflow(), "db", "migrate"], env=env, check=True, capture_output=True)

    def _airflow(self) -> str:
        return str(Path(sys.executable).with_name("airflow"))

    def start(self) -> None:
        env = self.env()
        for name, args in {
            "api-server": ["api-server", "--port", str(self.port), "--host", "127.0.0.1"],
            "scheduler": ["scheduler"],
            "dag-processor": ["dag-processor"],
        }.items():
            log = (self.root / f"{name}.log").open("wb")
            self.procs[name] = subprocess.Popen(
                [self._airflow(), *args],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_for(lambda: self._ok("/api/v2/monitor/health"), 120, "the API server to answer")

    def _ok(self, path: str) -> bool:
        self.check_alive()
        with suppress(httpx.HTTPError):
            return httpx.get(self.base + path, timeout=5).status_code == 200
        return False

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"airflow {name} exited with {proc.returncode}:\n{self.log_tail(name)}")

    def log_tail(self, name: str, lines: int = 60) -> str:
        path = self.root / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                with suppress(ProcessLookupError):
                    os.killpg(proc.pid, 15)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(proc.pid, 9)
                proc.wait(timeout=10)

    @staticmethod
    def wait_for(check: Any, timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if result := check():
                return result
            time.sleep(1)
        raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")

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
    stack = AirflowStack(root)
    stack.prepare(people)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
