"""The README's commands, run as written: the UI-without-Docker section's block up to a 200
from the API server's health endpoint, with every listening socket on 127.0.0.1, then the backfill
command on the shipped DAG it names, in the same shell environment.

The block runs in a scratch directory that links this checkout's ``.venv``, ``dags`` and
``examples`` (so nothing is written into the checkout), with the port 8080 replaced by a free one.
The servers are stopped by process group as soon as the backfill's runs exist: the runs themselves
are the scheduler tests' business.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.e2e

README = REPO / "README.md"
SERVERS = ("api-server", "scheduler", "dag-processor", "triggerer")


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def bash_blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", text, re.S)


def ui_block() -> str:
    (block,) = bash_blocks(section("The UI locally, without Docker"))
    return block


def backfill_command() -> str:
    (command,) = [
        line.strip()
        for block in bash_blocks(section("Backfills and concurrency"))
        for line in block.splitlines()
        if line.startswith("airflow backfill create")
    ]
    return command


def test_the_ui_section_keeps_its_state_outside_what_make_demo_deletes() -> None:
    demo_dir = re.search(r"^DEMO\s*:=\s*\$\(abspath (\S+)\)", (REPO / "Makefile").read_text(), re.M)
    assert demo_dir is not None and demo_dir.group(1) == ".demo"
    block = ui_block()
    assert ".demo" not in block
    home = re.search(r"AIRFLOW_HOME=(\S+)", block)
    conn = re.search(r'"host": "\'\$PWD\'/([^"]+)"', block)
    assert (
        home and conn and not home.group(1).startswith("$PWD/.demo") and not conn.group(1).startswith(".demo")
    )


def test_the_backfill_command_names_a_shipped_dag() -> None:
    dag_id = re.search(r"--dag-id (\S+)", backfill_command())
    shipped = {
        re.search(r'create_unification_dag\(\s*"([^"]+)"', p.read_text())
        for p in (REPO / "dags").glob("*.py")
    }
    assert dag_id is not None and dag_id.group(1) in {m.group(1) for m in shipped if m}


@dataclass
class Shell:
    workdir: Path
    port: int
    proc: subprocess.Popen[str]
    env: dict[str, str]

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, ""
        except OSError:
            return 0, ""

    def processes(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(self.proc.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def log(self) -> str:
        return (self.workdir / "readme-block.log").read_text(errors="replace")[-4000:]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def shell(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shell]:
    workdir = tmp_path_factory.mktemp("readme")
    for name in (".venv", "dags", "examples"):
        (workdir / name).symlink_to(REPO / name)
    port = _free_port()
    block = ui_block().replace("8080", str(port))
    # The block as written; then the shell prints its environment and waits for its servers.
    script = f"set -e\n{block}\nenv -0 > env.bin\nwait\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env["PATH"] = f"{workdir / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    with (workdir / "readme-block.log").open("w") as log:
        proc = subprocess.Popen(
            ["bash", "-c", script], cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
            text=True, start_new_session=True,
        )  # fmt: skip
    try:
        yield Shell(workdir=workdir, port=port, proc=proc, env=env)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=60)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _wait(what: str, shell: Shell, check: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if shell.proc.poll() is not None:
            pytest.fail(f"the README block exited with {shell.proc.returncode} before {what}:\n{shell.log()}")
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout}s\n{shell.log()}")
        time.sleep(2)


def test_the_ui_section_starts_to_a_healthy_api_server_on_127_0_0_1(shell: Shell) -> None:
    _wait(
        "the health endpoint answers 200", shell, lambda: shell.get("/api/v2/monitor/health")[0] == 200, 420
    )
    status, body = shell.get("/api/v2/monitor/health")
    assert status == 200 and json.loads(body)["metadatabase"]["status"] == "healthy"
    assert (shell.workdir / ".local-ui" / "idu_demo.duckdb").is_file()
    assert (shell.workdir / ".local-ui" / "airflow" / "airflow.db").is_file()
    assert not (shell.workdir / ".demo").exists()
    _wait("all four servers run", shell, lambda: _running(shell) >= len(SERVERS), 120)
    listening = {
        (conn.laddr.ip, conn.laddr.port)
        for proc in shell.processes()
        for conn in _connections(proc)
        if conn.status == psutil.CONN_LISTEN
    }
    assert listening and all(ip == "127.0.0.1" for ip, _ in listening), listening


def test_the_backfill_command_runs_as_written_on_the_shipped_dag(shell: Shell) -> None:
    _wait(
        "the health endpoint answers 200", shell, lambda: shell.get("/api/v2/monitor/health")[0] == 200, 420
    )
    _wait("the block's environment is written", shell, lambda: (shell.workdir / "env.bin").is_file(), 60)
    env = dict(
        item.split("=", 1) for item in (shell.workdir / "env.bin").read_text().split("\0") if "=" in item
    )
    dag_id = re.search(r"--dag-id (\S+)", backfill_command()).group(1)  # type: ignore[union-attr]
    _wait(f"{dag_id} is parsed", shell, lambda: shell.get(f"/api/v2/dags/{dag_id}")[0] == 200, 300)
    # The README's quick-start stack keeps Airflow's metadata in SQLite, where a CLI write can meet the
    # running scheduler's write ("database is locked"; the CLI rolls back). A user runs it again; so does this.
    for _ in range(3):
        done = subprocess.run(
            ["bash", "-c", backfill_command()], cwd=shell.workdir, env=env, capture_output=True, text=True,
            timeout=240, check=False,
        )  # fmt: skip
        if done.returncode == 0 or "database is locked" not in done.stdout + done.stderr:
            break
        time.sleep(2)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    status, body = shell.get(f"/api/v2/dags/{dag_id}/dagRuns?run_type=backfill")
    assert status == 200
    dates = sorted(run["logical_date"][:10] for run in json.loads(body)["dag_runs"])
    assert dates == ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"]


def _running(shell: Shell) -> int:
    """How many processes the block started in the background are alive (the shell's children)."""
    try:
        children = psutil.Process(shell.proc.pid).children()
    except psutil.NoSuchProcess:
        return 0
    return sum(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in children)


def _connections(proc: psutil.Process) -> list[object]:
    try:
        return list(proc.net_connections(kind="inet"))
    except psutil.Error:
        return []
