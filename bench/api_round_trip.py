"""Probe: what one request to the API server costs a task (issue 24's "our share of a task").

A task reaches Airflow's database only through the API server: each XCom it pushes and each
connection stored in the metadata DB that it looks up is a request from the task process, through
its supervisor, to the API server and its database. This probe runs one task under the real stack
(API server and scheduler with the LocalExecutor on 127.0.0.1, SQLite, warm task processes, as the
scheduled benchmarks run it); the task times ``--calls`` XCom pushes and as many lookups of a
connection stored in the metadata DB, three DAG runs, and the probe prints each run's medians.

    .venv/bin/python -m bench.api_round_trip [--calls 40]

Timings, not checks: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from bench.common import median

DAG_ID = "api_round_trip"
CONN_ID = "idu_stored"  # in the metadata DB, not an environment variable: a lookup asks the API server
DAG_SOURCE = """
import json
import time

import pendulum
from airflow.sdk import DAG, BaseHook, task

with DAG({dag_id!r}, schedule=None, start_date=pendulum.datetime(2026, 1, 1)):

    @task
    def probe(**context):
        ti = context["ti"]
        pushes, lookups = [], []
        for i in range({calls}):
            started = time.perf_counter()
            ti.xcom_push(key=f"k{{i}}", value="https://example.cloud.databricks.com/sql/history?queryId=q")
            pushes.append(time.perf_counter() - started)
        for _ in range({calls}):
            started = time.perf_counter()
            BaseHook.get_connection({conn_id!r})
            lookups.append(time.perf_counter() - started)
        with open({out!r}, "a", encoding="utf-8") as f:
            f.write(json.dumps({{"xcom_push": pushes, "connection_lookup": lookups}}) + "\\n")

    probe()
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=40, help="XCom pushes and lookups per task")
    parser.add_argument("--runs", type=int, default=3, help="DAG runs, one at a time")
    args = parser.parse_args(argv)
    from tests.scheduler.stack import Stack

    home = Path(tempfile.mkdtemp(prefix="idu-api-round-trip-"))
    out = home / "times.jsonl"
    try:
        source = DAG_SOURCE.format(dag_id=DAG_ID, calls=args.calls, conn_id=CONN_ID, out=str(out))
        stack = Stack.prepare(home, {DAG_ID: source}, conn={"conn_type": "generic"})
        stack.cli("connections", "add", CONN_ID, "--conn-type", "databricks", "--conn-host", "127.0.0.1")
        stack.start()
        try:
            time.sleep(5)  # as bench.warehouse_scheduled lets the scheduler settle
            for count in range(1, args.runs + 1):
                stack.post_together((f"dags/{DAG_ID}/dagRuns", {"logical_date": None}))
                stack.wait_for_runs([DAG_ID], count, timeout=300)
        finally:
            stack.stop()
        for n, line in enumerate(out.read_text(encoding="utf-8").splitlines(), start=1):
            times = json.loads(line)
            print(
                f"run {n}: "
                + "; ".join(
                    f"{name.replace('_', ' ')} {1000 * median(v):.1f} ms (median of {len(v)}, "
                    f"{1000 * min(v):.1f}-{1000 * max(v):.1f})"
                    for name, v in times.items()
                )
            )
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
