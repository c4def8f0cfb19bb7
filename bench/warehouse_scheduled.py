"""A DAG run under a real scheduler against the local SQL warehouse (``bench.warehouse_run``'s clients
``sched`` and ``schedfloor``).

A real stack (API server + scheduler, LocalExecutor, SQLite metadata DB, all on 127.0.0.1: the
test suite's ``tests/scheduler/stack.py``) starts in a home of its own with the warehouse's
connection as ``idu_default``; once it is up, one run is triggered through the REST API, as a
user's trigger or the scheduler's own run would be, and timed from the moment it was queued to its
end (the stack's start-up, which a deployment pays once, is not in the figure). ``sched`` runs our
DAG on the directory; ``schedfloor`` a DAG of as many no-op Python tasks, Airflow's floor there;
``schedprovider`` as many of the Databricks provider's ``DatabricksSqlOperator`` tasks sending
``SELECT 1``, the floor of any Databricks SQL task (the provider's hook and the connector, whose
import alone loads pandas).
"""

from __future__ import annotations

import shutil
import time
from datetime import UTC
from pathlib import Path
from typing import Any

DAG_SOURCE = (
    "from airflow_idu import create_unification_dag\n"
    "dag = create_unification_dag({dag_id!r}, {sql!r}, conn_id='idu_default', max_iterations=100)\n"
)
# The Databricks provider's own floor: as many tasks of its DatabricksSqlOperator, each opening a session
# through DatabricksSqlHook and the connector and sending `SELECT 1`, what any Databricks SQL task costs
PROVIDER_SOURCE = (
    "import pendulum\n"
    "from airflow.providers.databricks.operators.databricks_sql import DatabricksSqlOperator\n"
    "from airflow.sdk import DAG, chain\n"
    "with DAG({dag_id!r}, schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz='UTC')) as dag:\n"
    "    chain(*[DatabricksSqlOperator(task_id=f'select_{{i:02d}}', databricks_conn_id='idu_default', sql='SELECT 1')\n"
    "            for i in range({tasks})])\n"
)
# One no-op task run before the timed run: the API server builds its execution API on the first task's
# first call (2.7 s here, once per API server process), a start-up cost a deployment pays once, as the
# stack's own start-up that the figure leaves out
WARMUP_SOURCE = (
    "import pendulum\n"
    "from airflow.sdk import DAG, task\n"
    "with DAG({dag_id!r}, schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz='UTC')) as dag:\n"
    "    @task\n"
    "    def warm_up():\n"
    "        pass\n"
    "    warm_up()\n"
)
CLIENTS = ("sched", "schedfloor", "schedprovider")
RUN_TIMEOUT = 6 * 3600.0  # seconds; a 12M-record run on a loaded 2-core machine


def _epoch(value: object) -> float:
    from tests.scheduler.stack import when

    moment = when(value)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def run_scheduled(spec: dict[str, Any], connection: dict[str, Any], floor_source: str) -> dict[str, Any]:
    from tests.scheduler.stack import SCHEDULER_IDLE_SLEEP, Stack

    dag_id = spec["dag_id"]
    source = {"sched": DAG_SOURCE, "schedfloor": floor_source, "schedprovider": PROVIDER_SOURCE}[
        spec["client"]
    ]
    home = Path(spec["result"]).with_suffix(".home")
    shutil.rmtree(home, ignore_errors=True)
    warmup = f"{dag_id}_warmup"
    dag_files = {
        dag_id: source.format(dag_id=dag_id, sql=spec["sql_dir"], tasks=spec["tasks"]),
        warmup: WARMUP_SOURCE.format(dag_id=warmup),
    }
    stack = Stack.prepare(home, dag_files, conn=connection, preload=spec.get("preload", True),
                          idle_sleep=spec.get("idle_sleep", SCHEDULER_IDLE_SLEEP),
                          ca_directory=spec.get("ca_directory", True))  # fmt: skip
    stack.start()
    try:
        time.sleep(5)  # let the scheduler settle after start-up
        stack.post_together((f"dags/{warmup}/dagRuns", {"logical_date": None}))
        ((_, _, warm_state),) = stack.wait_for_runs([warmup], 1, timeout=300)
        if warm_state != "success":
            raise RuntimeError(f"the warm-up run ended {warm_state}:\n{stack.logs()}")
        stack.post_together((f"dags/{dag_id}/dagRuns", {"logical_date": None}))
        ((_, run_id, state),) = stack.wait_for_runs([dag_id], 1, timeout=RUN_TIMEOUT)
        ((queued, end),) = stack.query("SELECT queued_at, end_date FROM dag_run WHERE run_id = ?", run_id)
        spans = stack.query(
            "SELECT task_id, start_date, end_date, state FROM task_instance "
            "WHERE run_id = ? AND start_date IS NOT NULL AND end_date IS NOT NULL",
            run_id,
        )
    finally:
        stack.stop()
    tasks = [
        {"task": t, "start": _epoch(s), "end": _epoch(e), "seconds": _epoch(e) - _epoch(s), "state": str(st)}
        for t, s, e, st in spans
    ]
    shutil.rmtree(home, ignore_errors=True)
    return {"state": state, "wall_seconds": _epoch(end) - _epoch(queued), "tasks": tasks}
