"""The one harness for a real Airflow 3 stack in tests: its processes on 127.0.0.1, in a private home.

API server, scheduler and (when asked) DAG processor run as subprocesses of the LocalExecutor on a
SQLite metadata DB; the test session's own Airflow home is left alone. Each process starts in its
own process group and is stopped by group id. :class:`AirflowProcesses` owns the processes, their
logs and the waits; the scheduler tests (``tests/scheduler/stack.py``) and the browser test
(``tests/ui/stack.py``) only add their environment and what they ask the stack.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import REPO

__all__ = ["AIRFLOW", "AirflowProcesses", "airflow_env", "free_port"]

AIRFLOW = str(Path(sys.executable).with_name("airflow"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def airflow_env(
    *, home: Path, dags: Path, port: int, path: list[str], drop: tuple[str, ...]
) -> dict[str, str]:
    """This process's environment without the variables starting with ``drop``, plus what every stack
    sets: its home, DAG folder and SQLite DB, the LocalExecutor, the API server on 127.0.0.1:``port``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(
        {
            "PYTHONPATH": os.pathsep.join(path),
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        }
    )
    return env


def repo_path(*first: Path | None) -> list[str]:
    """``PYTHONPATH`` entries: ``first`` (those set), then this checkout, so the stack imports its code."""
    return [str(p) for p in (*first, REPO) if p]


@dataclass
class AirflowProcesses:
    """The stack's processes: ``logs`` is the folder of their logs (``<name>.log``)."""

    logs_dir: Path
    port: int
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        raise NotImplementedError

    def cli(self, *args: str, timeout: float = 240) -> str:
        """``airflow <args>`` in the stack's environment; its output, or an error with its tail."""
        done = subprocess.run(
            [AIRFLOW, *args],
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"airflow {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
        return done.stdout

    def spawn(self, name: str, *args: str) -> None:
        """``airflow <name> <args>`` in the background, its output in ``<name>.log``."""
        log = (self.logs_dir / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen(
            [AIRFLOW, name, *args],
            env=self.environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"airflow {name} exited with {proc.returncode}:\n{self.log_tail(name)}")

    def log_tail(self, name: str, lines: int = 60) -> str:
        path = self.logs_dir / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def logs(self, tail: int = 4000) -> str:
        parts = []
        for name in self.procs:
            path = self.logs_dir / f"{name}.log"
            if path.exists():
                parts.append(f"--- {name} ---\n{path.read_text(errors='replace')[-tail:]}")
        return "\n".join(parts)

    def wait_healthy(self, timeout: float) -> None:
        """Until the API server answers its health endpoint (a process that died fails at once)."""

        def healthy() -> bool:
            self.check_alive()
            with (
                suppress(OSError),
                urllib.request.urlopen(f"{self.base}/api/v2/monitor/health", timeout=5) as r,
            ):
                return bool(r.status == 200)
            return False

        self.wait_for(healthy, timeout, "the API server to answer")

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                with suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)

    @staticmethod
    def wait_for(check: Callable[[], Any], timeout: float, what: str, every: float = 1) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if result := check():
                return result
            time.sleep(every)
        raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
