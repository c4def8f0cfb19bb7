"""A real Airflow 3 stack for tests: API server + scheduler with the LocalExecutor, on 127.0.0.1.

Everything lives in its own AIRFLOW_HOME (SQLite metadata DB; Airflow 3 runs the LocalExecutor
on it, tasks reach the DB only through the API server). The test session's own Airflow home is
left alone. Processes are started in their own process groups and stopped by group id.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tests.conftest import REPO

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
TERMINAL = ("success", "failed")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stack_env(home: Path, port: int, conn: dict[str, object]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        {
            "PYTHONPATH": os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS": "tests.scheduler.sqlite_args.SYNC",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS_ASYNC": "tests.scheduler.sqlite_args.ASYNC",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(_free_port()),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API_AUTH__JWT_SECRET": "idu-scheduler-test-secret-0123456789abcdef",
            # The public REST API without logging in (bound to 127.0.0.1, a throwaway home).
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "AIRFLOW_CONN_IDU_DEFAULT": json.dumps(conn),
        }
    )
    return env


@dataclass
class Stack:
    home: Path
    env: dict[str, str]
    port: int
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @classmethod
    def prepare(cls, home: Path, dag_files: dict[str, str], conn: dict[str, object]) -> Stack:
        """Write the DAG files and migrate the DB (no process left running)."""
        (home / "dags").mkdir(parents=True, exist_ok=True)
        for name, source in dag_files.items():
            (home / "dags" / f"{name}.py").write_text(source, encoding="utf-8")
        port = _free_port()
        stack = cls(home=home, env=stack_env(home, port, conn), port=port)
        stack.cli("db", "migrate")
        return stack

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [AIRFLOW, *args], env=self.env, capture_output=True, text=True, timeout=240, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"airflow {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
        return done.stdout

    def post_together(
        self, *requests: tuple[str, dict[str, object]], attempts: int = 10
    ) -> list[dict[str, object]]:
        """POST to the public REST API, all requests at the same moment (one thread each).

        SQLite admits one writer: a request whose transaction collided with another writer
        fails with a server error (rolled back, nothing created) and is sent again.
        """
        from concurrent.futures import ThreadPoolExecutor

        def post(path: str, body: dict[str, object]) -> dict[str, object]:
            for _ in range(attempts):
                request = urllib.request.Request(
                    f"http://127.0.0.1:{self.port}/api/v2/{path}",
                    data=json.dumps(body).encode(),
                    headers={"Content-Type": "application/json"},
                    method="POST",
                )
                try:
                    with urllib.request.urlopen(request, timeout=120) as response:
                        return dict(json.loads(response.read()))
                except urllib.error.HTTPError as err:
                    if err.code < 500:
                        raise RuntimeError(f"POST {path} {body}: {err.code} {err.read()[:2000]!r}") from err
                time.sleep(1)
            raise RuntimeError(f"POST {path} kept failing with server errors")

        with ThreadPoolExecutor(len(requests)) as pool:
            return list(pool.map(lambda r: post(*r), requests))

    def start(self, timeout: float = 180, *, scheduler: bool = True) -> None:
        """API server and (unless ``scheduler`` is False; see :meth:`start_scheduler`) scheduler; the
        DAGs are serialized while they start (no DAG processor)."""
        self._spawn("api-server")
        if scheduler:
            self.start_scheduler()
        self.cli("dags", "reserialize")
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.port}/api/v2/monitor/health"
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(1)
        raise RuntimeError(f"the API server did not answer on {url} within {timeout}s\n{self.logs()}")

    def start_scheduler(self) -> None:
        """The scheduler, e.g. once runs were created through the API: SQLite admits one writer, and
        a scheduler writing while a backfill is created can make the API roll the backfill back."""
        self._spawn("scheduler")

    def _spawn(self, name: str) -> None:
        log = (self.home / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen(
            [AIRFLOW, name], env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def _check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"airflow {name} exited with {proc.returncode}\n{self.logs()}")

    def logs(self, tail: int = 4000) -> str:
        parts = []
        for name in self.procs:
            path = self.home / f"{name}.log"
            if path.exists():
                parts.append(f"--- {name} ---\n{path.read_text(errors='replace')[-tail:]}")
        return "\n".join(parts)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)

    def query(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        with sqlite3.connect(self.home / "airflow.db", timeout=30) as con:
            return con.execute(sql, params).fetchall()

    def wait_for_runs(self, dag_ids: Iterable[str], count: int, timeout: float) -> list[tuple[str, str, str]]:
        """``(dag_id, run_id, state)`` of the runs, once ``count`` of them have finished."""
        ids = list(dag_ids)
        marks = ",".join("?" * len(ids))
        deadline = time.monotonic() + timeout
        while True:
            self._check_alive()
            runs = [
                (str(d), str(r), str(s))
                for d, r, s in self.query(
                    f"SELECT dag_id, run_id, state FROM dag_run WHERE dag_id IN ({marks}) ORDER BY id", *ids
                )
            ]
            if len(runs) >= count and all(s in TERMINAL for _, _, s in runs):
                return runs
            if time.monotonic() > deadline:
                raise TimeoutError(f"runs not finished after {timeout}s: {runs}\n{self.logs()}")
            time.sleep(2)


@dataclass(frozen=True)
class TaskSpan:
    dag_id: str
    run_id: str
    task_id: str
    try_number: int
    start: datetime
    end: datetime


def task_spans(stack: Stack, dag_ids: Iterable[str]) -> list[TaskSpan]:
    """Start and end of every try of every task (current tries and those moved to the history table)."""
    ids = list(dag_ids)
    marks = ",".join("?" * len(ids))
    rows = []
    for table in ("task_instance", "task_instance_history"):
        rows += stack.query(
            f"SELECT dag_id, run_id, task_id, try_number, start_date, end_date FROM {table} "
            f"WHERE dag_id IN ({marks}) AND start_date IS NOT NULL AND end_date IS NOT NULL",
            *ids,
        )
    return [TaskSpan(str(d), str(r), str(t), int(n), _when(s), _when(e)) for d, r, t, n, s, e in set(rows)]


def reschedules(stack: Stack, task_id: str) -> dict[tuple[str, str], int]:
    """How often ``task_id`` of each run was rescheduled (a sensor waiting in reschedule mode)."""
    rows = stack.query(
        "SELECT ti.dag_id, ti.run_id, COUNT(*) FROM task_reschedule AS tr "
        "JOIN task_instance AS ti ON ti.id = tr.ti_id WHERE ti.task_id = ? GROUP BY ti.dag_id, ti.run_id",
        task_id,
    )
    return {(str(d), str(r)): int(n) for d, r, n in rows}


def _when(value: object) -> datetime:
    return datetime.fromisoformat(str(value).replace(" ", "T"))
