"""A worker SIGKILLed at any task of an incremental run, then retried, leaves exactly the tables an
undisturbed run leaves, and the watermarks move once.

Each case restores the same committed state (day 1 run in full, the bridge day delivered) and runs
the DAG with ``airflow dags test`` in a subprocess whose engine SIGKILLs the process inside one
task: no cleanup, no XCom, no state written by the task, the writer lease still held, DuckDB's
write-ahead log left behind. The test process then does what the scheduler does when a task's
heartbeat stops and it has retries left (the try marked ``up_for_retry``) and lets ``dag.test()``
carry on with the same DAG run. Afterwards every output table must equal a full rebuild of the
default directory over the same rows. File tasks are killed at their last statement (the ones
before it have run) and, for the tasks that change tables in place, just after it (all done, the
answer lost); the other tasks at their first statement or query. tests/incremental/test_retries.py
covers the same tasks with a transient error instead of a kill (no process death).
About 15 minutes on 2 cores (``make incremental-runs``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pendulum
import pytest

from airflow_idu.plan.statements import split_statements
from tests.e2e.runner import dag_from_file
from tests.faults import injector
from tests.faults.harness import KILLED, dags_test_killed, retry_orphan, task_states
from tests.incremental import driver
from tests.incremental.case import IncrementalCase
from tests.incremental.test_retries import AFTER, FILE_TASKS

pytestmark = [pytest.mark.e2e, pytest.mark.beyond_test]

DAG_ID = "idu_incremental_kill"
DAG_SOURCE = """
from datetime import timedelta
from airflow_idu import create_unification_dag
from tests.faults.injector import install_from_env
install_from_env()
dag = create_unification_dag(
    {dag_id!r}, {sql_dir!r}, default_args={{"retries": 1, "retry_delay": timedelta(0)}},
)
"""
# Tasks that send our own statements (no file of the directory): killed at the first one they send.
OWN_TASKS = (
    "incremental.prepare",
    "canonicalize.restore_loop_final",
    "canonicalize.keep_previous_lookup",
    "canonicalize.drop_old_loop_tables",
    "gate.identity_health",
    "incremental_commit",
    "report",
)


def _cases(sql_dir: Path) -> list[tuple[str, str, tuple[injector.Fault, ...]]]:
    cases = []
    for task_id in FILE_TASKS:
        name = task_id.split(".", 1)[1]
        last = len(split_statements((sql_dir / f"{name}.sql").read_text(encoding="utf-8")))
        label = rf"^{name}\.sql$"
        cases.append((f"{task_id} at its last statement", task_id, (
            injector.Fault(kind="kill", task_id=task_id, label=label, statement=last),
        )))  # fmt: skip
        if task_id in AFTER:
            cases.append((f"{task_id} after its last statement", task_id, (
                injector.Fault(kind="kill", task_id=task_id, label=label, statement=last, after=True),
            )))  # fmt: skip
    cases.append(("the loop in iteration 2", "loop.unify_loop", (
        injector.Fault(kind="kill", task_id="loop.unify_loop", label=r"iteration 2\b", statement=4),
    )))  # fmt: skip
    for task_id in OWN_TASKS:  # whichever comes first: a script's statement or a query
        cases.append((f"{task_id} at its first statement", task_id, (
            injector.Fault(kind="kill", task_id=task_id, statement=1),
            injector.Fault(kind="kill", task_id=task_id, query=r"(?s)."),
        )))  # fmt: skip
    return cases


def test_a_worker_killed_in_any_task_and_retried_leaves_the_tables_of_an_undisturbed_run(
    airflow_db: Path, tmp_path: Path, case: IncrementalCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(injector.ENV, raising=False)
    sql_dir = driver.generate(tmp_path / "inc", incremental=True)
    dag = dag_from_file(DAG_ID, DAG_SOURCE.format(dag_id=DAG_ID, sql_dir=str(sql_dir)))
    start = pendulum.datetime(2026, 11, 1, tz="UTC")
    state = driver.bridge_day_state(case, dag, start, tmp_path)
    committed, snapshot, reference = state.committed, state.snapshot, state.reference

    problems = {}
    for n, (name, task_id, faults) in enumerate(_cases(sql_dir), start=1):
        shutil.copyfile(snapshot, case.database)
        Path(f"{case.database}.wal").unlink(missing_ok=True)
        logical_date = start.add(days=n)
        killed = dags_test_killed(DAG_ID, logical_date, *faults)
        if killed.returncode != KILLED:
            tail = (killed.stdout + killed.stderr)[-1500:]
            problems[name] = f"not killed (rc {killed.returncode}): {tail}"
            continue
        left = task_states(DAG_ID, logical_date).get(task_id)
        if left != ("running", 1):
            problems[name] = f"the killed try was left {left}, not running"
            continue
        result = retry_orphan(dag, logical_date, task_id)
        found = driver.differences(case.database, reference) if result.state == "success" else {}
        moved = driver.watermarks(case.database) != committed
        retried = {t: c for t, c in result.tries.items() if c != 1}
        if result.state != "success" or retried != {task_id: 2}:
            problems[name] = f"run {result.state}, tries above 1 {retried}, failed tasks {result.failed()}"
        elif found or not moved:
            problems[name] = f"tables differ from a full rebuild: {found}; watermarks moved: {moved}"
    assert problems == {}
