"""Scratch databases, a private AIRFLOW_HOME and ``airflow dags test`` in a measured subprocess."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from bench.common import PYTHON, REPO, compile_package

AIRFLOW = PYTHON.with_name("airflow")
TIME_BIN = Path("/usr/bin/time")
DATE = "2026-01-01"


def source_db(work: Path, people: int, seed: int = 42) -> Path:
    """Demo source data for ``people`` (≈12.3 records each), created once and reused."""
    path = work / "data" / f"demo_p{people}_s{seed}.duckdb"
    if not path.exists():
        from airflow_idu.demo.data import create_demo_data

        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        create_demo_data(tmp, schema="customer_db", people=people, seed=seed)
        tmp.rename(path)
    return path


def chain_db(work: Path, length: int) -> Path:
    path = work / "data" / f"chain_{length}.duckdb"
    if not path.exists():
        from airflow_idu.demo.data import create_chain_data

        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        create_chain_data(tmp, schema="customer_db", length=length)
        tmp.rename(path)
    return path


def fresh_copy(src: Path, dst: Path) -> Path:
    """A private copy of the source data for one run (the run writes into its database)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", ".wal"):
        Path(f"{dst}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(src, dst)
    return dst


def count_records(db: Path) -> int:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        tables = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'customer_db'"
        ).fetchall()
        return sum(int(con.execute(f"SELECT COUNT(*) FROM customer_db.{t}").fetchone()[0]) for (t,) in tables)


def airflow_home(work: Path) -> Path:
    """A private AIRFLOW_HOME with a migrated metadata DB (migrated once, then reused)."""
    compile_package()  # every measured `airflow dags test` imports the package with bytecode, as installed
    home = work / "airflow"
    marker = home / ".migrated"
    if not marker.exists():
        home.mkdir(parents=True, exist_ok=True)
        env = airflow_env(home, REPO / "dags", {"conn_type": "duckdb", "host": str(work / "unused.duckdb")})
        subprocess.run([str(AIRFLOW), "db", "migrate"], env=env, check=True, capture_output=True)
        marker.touch()
    return home


def airflow_env(home: Path, dags_folder: Path, conn: dict[str, Any], **extra_env: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "IDU_"))}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(dags_folder),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
        AIRFLOW_CONN_IDU_DEFAULT=json.dumps(conn),
        PYTHONPATH=str(REPO),
    )
    env.update(extra_env)
    return env


def child_airflow_env(work: Path, dags_folder: Path) -> dict[str, str]:
    """A child process's environment: this machine's, minus any Airflow or airflow-idu setting, plus the
    bench's own Airflow home and DAG folder (connections are set by the child itself)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "IDU_"))}
    env.update(
        AIRFLOW_HOME=str(airflow_home(work)),
        AIRFLOW__CORE__DAGS_FOLDER=str(dags_folder),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__UNIT_TEST_MODE="False",
        PYTHONPATH=str(REPO),
    )
    return env


def duckdb_conn(db: Path, **extra: Any) -> dict[str, Any]:
    return {"conn_type": "duckdb", "host": str(db), "extra": extra}


@dataclass(frozen=True)
class ProcessRun:
    wall: float
    started_at: float  # epoch seconds just before the process was started
    returncode: int
    peak_tree_rss: int  # bytes, max over samples of the summed RSS of the process tree
    max_rss_time_v: int | None  # bytes, GNU time's "Maximum resident set size" (largest single process)
    log: Path


def run_measured(cmd: list[str], env: dict[str, str], log: Path, *, sample: float = 0.1) -> ProcessRun:
    """Run ``cmd`` (under ``/usr/bin/time -v`` when present), sampling the RSS of its process tree."""
    log.parent.mkdir(parents=True, exist_ok=True)
    time_file = log.with_suffix(".time")
    full = [str(TIME_BIN), "-v", "-o", str(time_file), *cmd] if TIME_BIN.exists() else cmd
    peak = 0
    stop = threading.Event()
    with log.open("w") as out:
        started_at = time.time()
        start = time.perf_counter()
        proc = subprocess.Popen(full, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)

        def sampler() -> None:
            nonlocal peak
            try:
                root = psutil.Process(proc.pid)
            except psutil.Error:
                return
            while not stop.is_set():
                try:
                    procs = [root, *root.children(recursive=True)]
                    peak = max(peak, sum(_rss(p) for p in procs))
                except psutil.Error:
                    pass
                stop.wait(sample)

        thread = threading.Thread(target=sampler, daemon=True)
        thread.start()
        rc = proc.wait()
        wall = time.perf_counter() - start
        stop.set()
        thread.join()
    return ProcessRun(
        wall=wall,
        started_at=started_at,
        returncode=rc,
        peak_tree_rss=peak,
        max_rss_time_v=_time_v_rss(time_file),
        log=log,
    )


def _rss(p: psutil.Process) -> int:
    try:
        return int(p.memory_info().rss)
    except psutil.Error:
        return 0


def _time_v_rss(path: Path) -> int | None:
    if not path.exists():
        return None
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", path.read_text())
    return int(match.group(1)) * 1024 if match else None


def dags_test(
    dag_id: str,
    *,
    work: Path,
    db: Path,
    log: Path,
    dags_folder: Path = REPO / "dags",
    env: dict[str, str] | None = None,
    **extra: Any,
) -> ProcessRun:
    """``airflow dags test <dag_id> 2026-01-01`` in a subprocess on ``db`` (connection extra ``extra``,
    more environment ``env``, e.g. ``IDU_EXAMPLE_SQL_DIR``)."""
    env = airflow_env(airflow_home(work), dags_folder, duckdb_conn(db, **extra), **(env or {}))
    run = run_measured([str(AIRFLOW), "dags", "test", dag_id, DATE], env, log)
    if run.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:])
        raise RuntimeError(f"airflow dags test {dag_id} failed (rc={run.returncode}); log {log}:\n{tail}")
    if not re.search(r"DagRun Finished: .*state=success", log.read_text(errors="replace")):
        raise RuntimeError(f"airflow dags test {dag_id}: the DAG run did not succeed; see {log}")
    return run
