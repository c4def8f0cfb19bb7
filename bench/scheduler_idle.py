"""The scheduler loop's idle sleep: what it costs a chain of tasks, and what the scheduler burns idle.

Airflow 3 has no mini scheduler: when a task ends, its successor is queued by the scheduler's next
loop, and a loop that found nothing to do sleeps ``[scheduler] scheduler_idle_sleep_time`` first
(1 s by default). A DAG of chained short tasks (ours: 14 stages) pays up to that sleep per stage.
A shorter sleep costs CPU: the scheduler queries the metadata DB on every loop.

For each sleep, a real stack (API server + scheduler, LocalExecutor, SQLite metadata DB, 127.0.0.1;
``tests/scheduler/stack.py``) starts, sits idle while the scheduler's processes' CPU time is read
(``--idle-seconds``), then runs ``idu_floor_16`` (16 chained no-op Python tasks, ``bench/floor_dags``)
``--repeat`` times, one run at a time, triggered through the REST API.

    .venv/bin/python -m bench.scheduler_idle --idle-sleeps 1,0.25,0.1 --repeat 3
"""

from __future__ import annotations

import argparse
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import (
    DEFAULT_OUT,
    DEFAULT_WORK,
    command_line,
    compile_package,
    median,
    table,
    write_results,
)
from bench.scheduler_overhead import FLOOR, measure_run
from bench.workspace import duckdb_conn

DAG_ID = "idu_floor_16"
# one task that sleeps: what the scheduler (and the task's supervisor) burn while a long task runs,
# as while our loop or a big file runs on the warehouse
SLEEPER_ID = "idu_sleep_20"
SLEEPER = f"""
import time

import pendulum
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG


def _sleep() -> None:
    time.sleep(20)


with DAG({SLEEPER_ID!r}, schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")) as dag:
    PythonOperator(task_id="sleep", python_callable=_sleep)
"""


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children (the executor's workers)."""
    import psutil

    root = psutil.Process(pid)
    total = 0.0
    for proc in (root, *root.children(recursive=True)):
        try:
            times = proc.cpu_times()
        except psutil.Error:  # a child that ended between the listing and the read
            continue
        total += times.user + times.system
    return total


def cpu_share(pid: int, action: Callable[[], Any]) -> tuple[float, Any]:
    """The CPU (cores) the process tree of ``pid`` used while ``action`` ran, and its result."""
    before, started = cpu_seconds(pid), time.monotonic()
    result = action()
    return (cpu_seconds(pid) - before) / (time.monotonic() - started), result


def measure(work: Path, idle_sleep: str, idle_seconds: float, repeat: int) -> dict[str, Any]:
    from tests.scheduler.stack import Stack

    home = work / "scheduler_idle" / idle_sleep
    shutil.rmtree(home, ignore_errors=True)
    stack = Stack.prepare(
        home,
        {"idu_floor": FLOOR.read_text(), "idu_sleep": SLEEPER},
        conn=duckdb_conn(work / "unused.duckdb"),
        idle_sleep=idle_sleep,
    )
    stack.start()
    try:
        time.sleep(5)  # let the scheduler settle after start-up
        pid = stack.procs["scheduler"].pid
        idle_share, _ = cpu_share(pid, lambda: time.sleep(idle_seconds))
        runs = [measure_run(stack, DAG_ID) for _ in range(repeat)]
        busy_share, sleeper = cpu_share(pid, lambda: measure_run(stack, SLEEPER_ID))
    finally:
        stack.stop()
    print(
        f"idle sleep {idle_sleep}: scheduler CPU idle {idle_share:.3f}, beside a sleeping task {busy_share:.3f} "
        f"of a core; runs {runs}; sleeper {sleeper}",
        flush=True,
    )
    return {
        "idle_sleep": idle_sleep,
        "idle_cpu_share": idle_share,
        "busy_cpu_share": busy_share,
        "runs": runs,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--idle-sleeps", default="1,0.25,0.1", help="seconds, comma-separated")
    parser.add_argument("--idle-seconds", type=float, default=30.0, help="how long the idle CPU is read")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the chain per sleep (median)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    args = parser.parse_args(argv)
    compile_package()
    results = [
        measure(args.work, s.strip(), args.idle_seconds, args.repeat) for s in args.idle_sleeps.split(",")
    ]
    rows = []
    for r in results:
        between = median(x["between_tasks"] for x in r["runs"])
        hand_overs = r["runs"][0]["tasks"] - 1  # a chain of n tasks hands over n - 1 times
        rows.append(
            [
                r["idle_sleep"],
                f"{100 * r['idle_cpu_share']:.1f}",
                f"{100 * r['busy_cpu_share']:.1f}",
                median(x["wall"] for x in r["runs"]),
                between,
                between / hand_overs,
            ]
        )
    body = (
        f"`{DAG_ID}` (16 chained no-op Python tasks) under a real scheduler (LocalExecutor, SQLite "
        f"metadata DB), medians of {args.repeat} runs triggered one at a time; the scheduler's CPU "
        f"(its process and the executor's workers) read over {args.idle_seconds:.0f} s with no run, and "
        f"during a run of `{SLEEPER_ID}` (one task sleeping 20 s: the scheduler, the executor and the "
        "task's supervisor, from trigger to end).\n\n"
        + table(
            [
                "idle sleep (s)",
                "idle scheduler CPU (% of a core)",
                "CPU beside a running task (% of a core)",
                "run wall (s)",
                "between tasks (s)",
                "per hand-over (s)",
            ],
            rows,
        )
    )
    write_results(
        args.out,
        "scheduler_idle",
        "13_idle. The scheduler loop's idle sleep: chained tasks against idle CPU (issue 24)",
        body,
        {"results": results},
        command=command_line("bench.scheduler_idle", argv),
    )


if __name__ == "__main__":
    main()
