"""The scheduler tests' Airflow stack: API server + scheduler (LocalExecutor) on 127.0.0.1.

The processes are :class:`tests.stack.AirflowProcesses`; this adds the environment (SQLite with a
busy timeout, the public REST API without logging in, the connection the DAGs use) and what the
tests ask: runs created together over the REST API, the metadata DB's runs and task tries.
Everything lives in its own AIRFLOW_HOME; tasks reach the DB only through the API server.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tests.stack import AirflowProcesses, airflow_env, free_port, repo_path

TERMINAL = ("success", "failed")
# The scheduler loop's sleep when it found nothing to do, as docker-compose.yaml deploys it
# (tests/test_deploy_files.py checks they agree). Airflow 3 has no mini scheduler: a task's successor
# is queued by the scheduler's next loop, so Airflow's default (1 s) adds up to 1 s per chained task.
SCHEDULER_IDLE_SLEEP = "0.25"
# No CA bundle file, as docker-compose.yaml deploys: a TLS context then costs no parse of the system's
# bundle (the Databricks connector builds one per connect) and OpenSSL looks a server's CA up in the
# hashed CA directory during the handshake (tests/warehouse/test_ca_directory.py).
CA_BUNDLE_SETTING = ("SSL_CERT_FILE", "")


def stack_env(
    home: Path,
    port: int,
    conn: dict[str, object],
    *,
    preload: bool = True,
    idle_sleep: str = SCHEDULER_IDLE_SLEEP,
    ca_directory: bool = True,
) -> dict[str, str]:
    """The stack's environment; ``preload``: warm task processes as docker-compose.yaml deploys them
    (plugins loaded at start, airflow_idu.preload's modules imported before the scheduler forks);
    ``idle_sleep``: the scheduler loop's idle sleep in seconds (Airflow's default is "1");
    ``ca_directory``: TLS contexts without the CA bundle file, as docker-compose.yaml deploys them."""
    outer = [os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []
    env = airflow_env(
        home=home, dags=home / "dags", port=port, path=[*repo_path(), *outer], drop=("AIRFLOW",)
    )
    env.update(
        {
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS": "tests.scheduler.sqlite_args.SYNC",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS_ASYNC": "tests.scheduler.sqlite_args.ASYNC",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__API_AUTH__JWT_SECRET": "idu-scheduler-test-secret-0123456789abcdef",
            # The public REST API without logging in (bound to 127.0.0.1, a throwaway home).
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW_CONN_IDU_DEFAULT": json.dumps(conn),
            "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": idle_sleep,
        }
    )
    if preload:
        env.update(
            {
                "AIRFLOW__CORE__LAZY_LOAD_PLUGINS": "False",
                "AIRFLOW__IDU__PRELOAD_TASK_MODULES": "True",
            }
        )
    if ca_directory:
        env[CA_BUNDLE_SETTING[0]] = CA_BUNDLE_SETTING[1]
    return env


@dataclass
class Stack(AirflowProcesses):
    home: Path = field(default_factory=Path)
    env: dict[str, str] = field(default_factory=dict)

    def environment(self) -> dict[str, str]:
        return self.env

    @classmethod
    def prepare(
        cls,
        home: Path,
        dag_files: dict[str, str],
        conn: dict[str, object],
        *,
        preload: bool = True,
        idle_sleep: str = SCHEDULER_IDLE_SLEEP,
        ca_directory: bool = True,
    ) -> Stack:
        """Write the DAG files and migrate the DB (no process left running)."""
        (home / "dags").mkdir(parents=True, exist_ok=True)
        for name, source in dag_files.items():
            (home / "dags" / f"{name}.py").write_text(source, encoding="utf-8")
        port = free_port()
        env = stack_env(home, port, conn, preload=preload, idle_sleep=idle_sleep, ca_directory=ca_directory)
        stack = cls(logs_dir=home, port=port, home=home, env=env)
        stack.cli("db", "migrate")
        return stack

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
        self.spawn("api-server")
        if scheduler:
            self.start_scheduler()
        self.cli("dags", "reserialize")
        self.wait_healthy(timeout)

    def start_scheduler(self) -> None:
        """The scheduler, e.g. once runs were created through the API: SQLite admits one writer, and
        a scheduler writing while a backfill is created can make the API roll the backfill back."""
        self.spawn("scheduler")

    def query(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        with sqlite3.connect(self.home / "airflow.db", timeout=30) as con:
            return con.execute(sql, params).fetchall()

    def wait_for_runs(self, dag_ids: Iterable[str], count: int, timeout: float) -> list[tuple[str, str, str]]:
        """``(dag_id, run_id, state)`` of the runs, once ``count`` of them have finished."""
        ids = list(dag_ids)
        marks = ",".join("?" * len(ids))
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
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
    return [TaskSpan(str(d), str(r), str(t), int(n), when(s), when(e)) for d, r, t, n, s, e in set(rows)]


def reschedules(stack: Stack, task_id: str) -> dict[tuple[str, str], int]:
    """How often ``task_id`` of each run was rescheduled (a sensor waiting in reschedule mode)."""
    rows = stack.query(
        "SELECT ti.dag_id, ti.run_id, COUNT(*) FROM task_reschedule AS tr "
        "JOIN task_instance AS ti ON ti.id = tr.ti_id WHERE ti.task_id = ? GROUP BY ti.dag_id, ti.run_id",
        task_id,
    )
    return {(str(d), str(r)): int(n) for d, r, n in rows}


def when(value: object) -> datetime:
    """A timestamp as the metadata DB (SQLite) stores it."""
    return datetime.fromisoformat(str(value).replace(" ", "T"))
