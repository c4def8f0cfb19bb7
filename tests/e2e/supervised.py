"""Run one task instance the way an executor's worker does, so Airflow writes the task log file.

``dag.test()`` runs tasks in-process and writes no log file. A worker calls ``supervise_task``: the
task runs in a child process and the supervisor writes its JSON log lines (with the exception as
``error_detail``) to ``<base_log_folder>/dag_id=…/run_id=…/task_id=…/attempt=N.log`` — the file the
UI's log viewer shows. Here the supervisor talks to the in-process execution API instead of an API
server, like ``dag.test()`` does.

Run as ``python -m tests.e2e.supervised <dag_id> <run_id> <task_id>`` (a subprocess keeps the
supervisor's logging and process settings out of the test session); prints the log file's path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]  # not from tests.conftest: importing it makes a new AIRFLOW_HOME


def rerun_with_log_file(dag_id: str, run_id: str, task_id: str) -> Path:
    """Queue the task instance for another try and run it under the real supervisor; return its log."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.e2e.supervised", dag_id, run_id, task_id],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, [line for line in done.stderr.splitlines() if "Error" in line][-5:]
    return Path(done.stdout.strip().splitlines()[-1])


def log_records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _main(dag_id: str, run_id: str, task_id: str) -> Path:
    from airflow.configuration import conf
    from airflow.executors.workloads.task import ExecuteTask
    from airflow.models.taskinstance import TaskInstance
    from airflow.sdk.execution_time.supervisor import InProcessTestSupervisor, supervise_task
    from airflow.utils.session import create_session

    with create_session() as session:
        ti = session.query(TaskInstance).filter_by(dag_id=dag_id, run_id=run_id, task_id=task_id).one()
        ti.state = "queued"  # what the scheduler does for a cleared task: queue it for the next try
        ti.try_number += 1
        session.flush()
        workload = ExecuteTask.make(ti)
    log_path = Path(conf.get("logging", "base_log_folder")) / workload.log_path
    supervise_task(
        ti=workload.ti,
        bundle_info=workload.bundle_info,
        dag_rel_path=workload.dag_rel_path,
        token="",
        # Any DAG argument makes the in-process API read DAGs from the metadata DB, as the API server does.
        client=InProcessTestSupervisor._api_client(dag_id),
        log_path=str(log_path),
    )
    return log_path


if __name__ == "__main__":
    print(_main(*sys.argv[1:4]))
