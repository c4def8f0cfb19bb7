"""Where a run's time goes under a real scheduler (LocalExecutor), beside Airflow's own floor.

A real stack (API server + scheduler, LocalExecutor, SQLite metadata DB, 127.0.0.1; the test
suite's ``tests/scheduler/stack.py``) runs, one at a time: ``idu_floor_1`` and ``idu_floor_16``
(no-op Python tasks, ``bench/floor_dags``) and our DAG on the incremental directory for the
example unify.yml. From the metadata DB, per run: wall time (run start to end), the sum of the
task tries' durations, and the time between tasks (queueing, process start-up: the scheduler's).

    .venv/bin/python -m bench.scheduler_overhead --sizes 10000,100000 --repeat 2
"""

from __future__ import annotations

import shutil
import time
from datetime import datetime
from typing import Any

from bench.common import (
    REPO,
    base_parser,
    command_line,
    compile_package,
    median,
    parse_sizes,
    table,
    write_results,
)
from bench.speed import sql_dirs
from bench.workspace import count_records, duckdb_conn, fresh_copy, source_db

FLOOR = REPO / "bench" / "floor_dags" / "idu_floor.py"
DAGS = ("idu_floor_1", "idu_floor_16", "idu_speed")
OUR_DAG = """
from airflow_idu import create_unification_dag
dag = create_unification_dag("idu_speed", {sql!r}, conn_id="idu_default")
"""


def measure_run(stack: Any, dag_id: str) -> dict[str, float]:
    from tests.scheduler.stack import when

    before = len(stack.query("SELECT run_id FROM dag_run WHERE dag_id = ?", dag_id))
    stack.post_together((f"dags/{dag_id}/dagRuns", {"logical_date": None}))
    runs = stack.wait_for_runs([dag_id], before + 1, timeout=1800)
    dag, run_id, state = runs[-1]
    if state != "success":
        raise RuntimeError(f"{dag} {run_id} ended {state}\n{stack.logs()}")
    ((start, end),) = stack.query("SELECT start_date, end_date FROM dag_run WHERE run_id = ?", run_id)
    spans = stack.query(
        "SELECT start_date, end_date FROM task_instance WHERE run_id = ? AND start_date IS NOT NULL", run_id
    )
    wall = (when(end) - when(start)).total_seconds()
    intervals = sorted((when(s), when(e)) for s, e in spans)
    busy = sum((e - s).total_seconds() for s, e in intervals)
    return {
        "wall": wall,
        "tasks": len(spans),
        "task_seconds": busy,
        "between_tasks": wall - _covered(intervals),
        "shortest_task": min((e - s).total_seconds() for s, e in intervals),
    }


def _covered(intervals: list[tuple[datetime, datetime]]) -> float:
    """Seconds in which at least one task ran (parallel tasks overlap)."""
    total, end = 0.0, None
    for s, e in intervals:
        if end is None or s > end:
            total += (e - s).total_seconds()
            end = e
        elif e > end:
            total += (e - end).total_seconds()
            end = e
    return total


def main(argv: list[str] | None = None) -> None:
    from tests.scheduler.stack import Stack

    parser = base_parser(__doc__ or "", sizes="10000,100000", repeat=2)
    args = parser.parse_args(argv)
    compile_package()  # task processes import the package with bytecode, as from an installed wheel
    sql = sql_dirs(args.work)["incremental"]
    rows, data = [], {}
    for people in parse_sizes(args.sizes):
        src = source_db(args.work, people)
        home = args.work / "scheduler" / f"p{people}"
        shutil.rmtree(home, ignore_errors=True)
        db = fresh_copy(src, home / "db.duckdb")
        files = {"idu_floor": FLOOR.read_text(), "idu_speed": OUR_DAG.format(sql=str(sql))}
        stack = Stack.prepare(home, files, conn=duckdb_conn(db))
        stack.start()
        runs: dict[str, list[dict[str, float]]] = {d: [] for d in DAGS}
        try:
            time.sleep(5)  # let the scheduler settle after start-up
            for r in range(args.repeat):
                for dag_id in DAGS:
                    runs[dag_id].append(measure_run(stack, dag_id))
                    print(f"people={people} r={r} {dag_id}: {runs[dag_id][-1]}")
        finally:
            stack.stop()
        for dag_id, measured in runs.items():
            rows.append(
                [
                    f"{count_records(src):,}",
                    dag_id,
                    int(measured[0]["tasks"]),
                    median(m["wall"] for m in measured),
                    median(m["task_seconds"] for m in measured),
                    median(m["between_tasks"] for m in measured),
                    median(m["shortest_task"] for m in measured),
                ]
            )
        data[str(people)] = runs
    body = (
        "Under a real scheduler (LocalExecutor, one task process per task, SQLite metadata DB, all on "
        "this machine), runs triggered one at a time through the REST API; seconds, medians of "
        f"{args.repeat} runs. `wall` = run start to run end; `in tasks` = the sum of the task tries' "
        "durations (process start-up inside a try included; parallel tasks add up); `between tasks` = "
        "wall minus the time in which some task ran (scheduling and queueing); `shortest task` = the "
        "quickest try (what a task costs when it does nothing much). `idu_floor_N`: N no-op Python "
        "tasks, Airflow's own floor; "
        "`idu_speed`: our DAG on the incremental directory of the example unify.yml.\n\n"
        + table(
            ["records", "DAG", "tasks", "wall s", "in tasks s", "between tasks s", "shortest task s"], rows
        )
    )
    write_results(
        args.out,
        "scheduler_overhead",
        "11. A run under a real scheduler (LocalExecutor) against Airflow's floor",
        body,
        {"runs": data},
        command=command_line("bench.scheduler_overhead", argv),
    )


if __name__ == "__main__":
    main()
