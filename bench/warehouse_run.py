"""One measured run on the local SQL warehouse, in a process of its own (``bench.warehouse_e2e``'s child).

The warehouse (``airflow_idu.warehouse``, with the given per-statement and per-fetch latency)
serves on a loopback port inside this process; the client is the replaced script's sequence
(``bench.script_warehouse``, real connector), our DAG under ``dag.test()`` on a ``databricks``
connection (real ``DatabricksSqlHook`` and connector), or our DAG run by a real scheduler
(``bench.warehouse_scheduled``). The warehouse stamps every
statement and session with the wall clock, so each is attributed to the task running then.

    .venv/bin/python -m bench.warehouse_run SPEC.json    (written by bench.warehouse_e2e)
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from airflow_idu.plan import contract
from airflow_idu.warehouse.core import Statement, Warehouse

TOKEN = "dapi-bench-e2e"
DAG_SOURCE = (
    "from airflow_idu import create_unification_dag\n"
    "dag = create_unification_dag({dag_id!r}, {sql!r}, conn_id='idu_databricks', max_iterations=100)\n"
)
FLOOR_TASKS = 21  # as many tasks as our DAG runs on these directories
FLOOR_SOURCE = (  # Airflow's floor: the same number of no-op Python tasks (bench/floor_dags explains why Python)
    "import pendulum\n"
    "from airflow.providers.standard.operators.python import PythonOperator\n"
    "from airflow.sdk import DAG, chain\n"
    "with DAG({dag_id!r}, schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz='UTC')) as dag:\n"
    "    chain(*[PythonOperator(task_id=f'noop_{{i:02d}}', python_callable=lambda: None) for i in range({tasks})])\n"
)


class StampedWarehouse(Warehouse):
    """The warehouse, plus the wall-clock end of every statement and the start of every session."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stamped: list[tuple[float, float, str]] = []  # (finished at, seconds in warehouse, sql)
        self.session_times: list[float] = []

    def open_session(self, catalog: str | None = None, schema: str | None = None) -> str:
        self.session_times.append(time.time())
        return super().open_session(catalog, schema)

    def _finish(self, statement: Statement) -> None:
        self.stamped.append((time.time(), time.monotonic() - statement.started, statement.sql))
        super()._finish(statement)


def kind(sql: str) -> str:
    """What a statement is for, as far as its text tells (ours vs the directory's SQL)."""
    code = " ".join(x for x in sql.splitlines() if not x.strip().startswith("--"))
    head = " ".join(code.split()).upper()
    if head.startswith("USE "):
        return "USE"
    if contract.WRITER_LEASE_TABLE.upper() in head:
        return "writer lease"
    if head.startswith("OPTIMIZE"):
        return "OPTIMIZE"
    if "_UNIFY_LOOP_LOG" in head:
        return "loop log"
    if head.startswith("SELECT COUNT(*) AS UPDATED_COUNT") or head.startswith("SELECT COUNT(*) FROM (SELECT"):
        return "convergence check"
    if head.startswith(("SELECT", "WITH", "SHOW", "DESCRIBE")):
        return "query (ours)"
    return "directory SQL"


def attribute(stamped: list[tuple[float, float, str]], tasks: list[dict[str, Any]]) -> None:
    """Add to each task the statements that finished while it ran: count, seconds, by kind."""
    for task in tasks:
        task.update(statements=0, statement_seconds=0.0, kinds=defaultdict(float), sessions=0)
    for finished, seconds, sql in stamped:
        for task in tasks:
            if task["start"] <= finished <= task["end"]:
                task["statements"] += 1
                task["statement_seconds"] += seconds
                task["kinds"][kind(sql)] += seconds
                break


def run_dag(spec: dict[str, Any], connection: dict[str, Any]) -> dict[str, Any]:
    os.environ["AIRFLOW_CONN_IDU_DATABRICKS"] = json.dumps(connection)
    path = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"]) / f"{spec['dag_id']}.py"
    source = FLOOR_SOURCE if spec["client"] == "floor" else DAG_SOURCE
    path.write_text(source.format(dag_id=spec["dag_id"], sql=spec["sql_dir"], tasks=FLOOR_TASKS))
    t0 = time.perf_counter()
    module_spec = importlib.util.spec_from_file_location(spec["dag_id"], path)
    assert module_spec and module_spec.loader
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    dr = module.dag.test()
    wall = time.perf_counter() - t0
    tasks = [
        {"task": ti.task_id, "start": ti.start_date.timestamp(), "end": ti.end_date.timestamp(),
         "seconds": (ti.end_date - ti.start_date).total_seconds(), "state": str(ti.state)}
        for ti in dr.get_task_instances() if ti.start_date and ti.end_date
    ]  # fmt: skip
    return {"state": str(getattr(dr.state, "value", dr.state)), "wall_seconds": wall, "tasks": tasks}


def run_script(spec: dict[str, Any], connection: dict[str, Any]) -> dict[str, Any]:
    from bench.script_warehouse import run

    t0 = time.perf_counter()
    result, _ = run(connection, Path(spec["sql_dir"]), sleep=spec["sleep"])
    return {
        "state": "success",
        "wall_seconds": time.perf_counter() - t0,
        "sleep_seconds": result.sleep_seconds,
        "iterations": result.iterations,
        "tasks": [],
    }


def main(spec_file: str) -> None:
    from airflow_idu.warehouse.faults import Auth
    from airflow_idu.warehouse.latency import Latency
    from airflow_idu.warehouse.server import WarehouseServer

    spec = json.loads(Path(spec_file).read_text())
    latency = Latency(statement_ms=spec["statement_ms"], fetch_ms=spec["fetch_ms"])
    warehouse = StampedWarehouse(spec["db"], latency=latency)
    server = WarehouseServer(warehouse, auth=Auth(token=TOKEN)).start()
    try:
        if spec["client"].startswith("sched"):
            from bench.warehouse_scheduled import run_scheduled

            result = run_scheduled({**spec, "tasks": FLOOR_TASKS}, server.connection(), FLOOR_SOURCE)
        else:
            runner = run_script if spec["client"] == "script" else run_dag
            result = runner(spec, server.connection())
    finally:
        server.stop()
        warehouse.close()
    attribute(warehouse.stamped, result["tasks"])
    for task in result["tasks"]:
        task["sessions"] = sum(task["start"] <= t <= task["end"] for t in warehouse.session_times)
    by_kind: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for _, seconds, sql in warehouse.stamped:
        by_kind[kind(sql)][0] += 1
        by_kind[kind(sql)][1] += seconds
    result.update(
        statements=len(warehouse.stamped),
        statement_seconds=sum(s for _, s, _ in warehouse.stamped),
        sessions=len(warehouse.session_times),
        by_kind=dict(by_kind),
    )
    Path(spec["result"]).write_text(json.dumps(result, default=float))
    # every statement, for reading where a run's time went (kept beside the result, not in docs)
    Path(spec["result"]).with_suffix(".statements.json").write_text(
        json.dumps([{"end": t, "seconds": s, "sql": sql} for t, s, sql in warehouse.stamped])
    )


if __name__ == "__main__":
    main(sys.argv[1])
