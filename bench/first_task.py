"""Probe: the first task a fresh API server serves (issue 24's analysis of section 13_sched12m_warm).

Three runs of ``bench.warehouse_scheduled``'s warm-up DAG (one no-op task) on one fresh stack, two
DAG ids, one run at a time; prints each task's seconds. The stack's first task pays the API
server's one-off build of its execution API, the reason the scheduled benchmark warms the stack
before it times a run; no later task pays it. What Airflow's processes burn beside a running task
is ``bench.scheduler_idle``'s.

    .venv/bin/python -m bench.first_task

Timings, not checks: run it on a quiet machine.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from bench.warehouse_scheduled import WARMUP_SOURCE

DAG_IDS = ("probe_a", "probe_b")


def main() -> None:
    from tests.scheduler.stack import Stack, when

    home = Path(tempfile.mkdtemp(prefix="idu-first-task-"))
    try:
        stack = Stack.prepare(
            home, {d: WARMUP_SOURCE.format(dag_id=d) for d in DAG_IDS}, conn={"conn_type": "generic"}
        )
        stack.start()
        try:
            time.sleep(5)  # as bench.warehouse_scheduled lets the scheduler settle
            for count, dag_id in enumerate((*DAG_IDS, DAG_IDS[0]), start=1):
                stack.post_together((f"dags/{dag_id}/dagRuns", {"logical_date": None}))
                stack.wait_for_runs(DAG_IDS, count, timeout=300)
            rows = stack.query(
                "SELECT dag_id, run_id, start_date, end_date FROM task_instance ORDER BY start_date"
            )
        finally:
            stack.stop()
        for dag_id, run_id, start, end in rows:
            print(f"{dag_id} {run_id}: {(when(end) - when(start)).total_seconds():.3f} s")
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
