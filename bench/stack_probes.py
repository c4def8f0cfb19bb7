"""Two probes of the Airflow stack that ``bench.warehouse_scheduled`` starts (issue 24's analysis).

``first-task``: three runs of a three-task DAG on one fresh stack; prints each task's seconds. The
stack's first task pays the API server's one-off build of its execution API; no other task does.

``stack-cpu``: one run of a DAG whose only task sleeps (as a task waits on a long warehouse
statement); prints the CPU each process of the stack used over 30 s of that wait.

    .venv/bin/python -m bench.stack_probes first-task
    .venv/bin/python -m bench.stack_probes stack-cpu --idle-sleep 0.25

Timings, not checks: run them on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

CHAIN_SOURCE = (
    "import pendulum\n"
    "from airflow.sdk import DAG, chain, task\n"
    "with DAG({dag_id!r}, schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz='UTC')) as dag:\n"
    "    @task\n"
    "    def step():\n"
    "        pass\n"
    "    chain(*[step.override(task_id=f'step_{{i}}')() for i in range(3)])\n"
)
SLEEP_SOURCE = (
    "import time\n"
    "import pendulum\n"
    "from airflow.sdk import DAG, task\n"
    "with DAG({dag_id!r}, schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz='UTC')) as dag:\n"
    "    @task\n"
    "    def wait():\n"
    "        time.sleep({seconds})\n"
    "    wait()\n"
)


def first_task(home: Path) -> None:
    from tests.scheduler.stack import Stack, when

    dags = {d: CHAIN_SOURCE.format(dag_id=d) for d in ("probe_a", "probe_b")}
    stack = Stack.prepare(home, dags, conn={"conn_type": "generic"})
    stack.start()
    try:
        time.sleep(5)  # as bench.warehouse_scheduled lets the scheduler settle
        for count, dag_id in enumerate(("probe_a", "probe_b", "probe_a"), start=1):
            stack.post_together((f"dags/{dag_id}/dagRuns", {"logical_date": None}))
            stack.wait_for_runs(["probe_a", "probe_b"], count, timeout=300)
        rows = stack.query(
            "SELECT dag_id, run_id, task_id, start_date, end_date FROM task_instance ORDER BY start_date"
        )
    finally:
        stack.stop()
    for dag_id, run_id, task_id, start, end in rows:
        print(f"{dag_id} {run_id} {task_id} {(when(end) - when(start)).total_seconds():.3f} s")


def _cpu_ticks(home: Path) -> dict[int, tuple[int, str]]:
    """utime + stime (clock ticks) and command line of every process started with this home."""
    found: dict[int, tuple[int, str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if str(home) not in Path(f"/proc/{entry}/environ").read_text(errors="replace"):
                continue
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            command = Path(f"/proc/{entry}/cmdline").read_text(errors="replace").replace("\0", " ")
        except OSError:  # ended meanwhile
            continue
        found[int(entry)] = (int(fields[11]) + int(fields[12]), command[:90])
    return found


def stack_cpu(home: Path, idle_sleep: str, window: float) -> None:
    from tests.scheduler.stack import Stack

    source = SLEEP_SOURCE.format(dag_id="probe_sleep", seconds=int(window) + 30)
    stack = Stack.prepare(home, {"probe_sleep": source}, conn={"conn_type": "generic"}, idle_sleep=idle_sleep)
    stack.start()
    try:
        time.sleep(5)
        stack.post_together(("dags/probe_sleep/dagRuns", {"logical_date": None}))
        time.sleep(15)  # the task is running and its supervisor settled
        before, start = _cpu_ticks(home), time.monotonic()
        time.sleep(window)
        after, seconds = _cpu_ticks(home), time.monotonic() - start
    finally:
        stack.stop()
    hz = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid, (ticks, command) in sorted(after.items()):
        share = (ticks - before.get(pid, (ticks, ""))[0]) / hz / seconds * 100
        total += share
        if share:
            print(f"{share:5.1f}% of a core  {command}")
    print(f"{total:5.1f}% of a core in all (scheduler idle sleep {idle_sleep} s)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("probe", choices=("first-task", "stack-cpu"))
    parser.add_argument("--idle-sleep", default="0.25", help="the scheduler loop's idle sleep (s)")
    parser.add_argument("--window", type=float, default=30.0, help="stack-cpu: seconds measured")
    args = parser.parse_args(argv)
    home = Path(tempfile.mkdtemp(prefix="idu-probe-"))
    try:
        if args.probe == "first-task":
            first_task(home)
        else:
            stack_cpu(home, args.idle_sleep, args.window)
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
