"""A task of an incremental run that dies part-way and is retried leaves exactly the tables an
undisturbed run leaves: every task's statements are safe to repeat from the start.

Each case restores the same committed state (day 1 run in full, the bridge day delivered), then
runs the DAG (``dag.test()``, retries 1) with one task failing transiently at its last statement:
the statements before it have run, as when a worker is killed there. The retry runs the task from
its first statement. ``after`` cases run the last statement too and then lose the answer (the task
did everything but did not report it). After each run every output table must equal a full
rebuild of the default directory over the same rows, and the watermarks must have moved once.
SIGKILL itself (the process dying, the scheduler's heartbeat timeout) is exercised for the loop by
tests/faults/test_kill_resume.py; what matters for the tables is which statements ran before the
retry, which these cases set exactly. About 4 minutes on 2 cores (``make incremental-runs``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pendulum
import pytest

from airflow_idu.plan.statements import split_statements
from tests.e2e.runner import dag_from_file, run_dag
from tests.faults import injector
from tests.incremental import driver
from tests.incremental.case import IncrementalCase
from tests.incremental.test_dag_runs import DAG_SOURCE

pytestmark = [pytest.mark.e2e, pytest.mark.beyond_test]

DAG_ID = "idu_incremental_retries"
FILE_TASKS = (
    "setup.01_create_graph",
    "setup.02_extract_merge",
    "setup.03_source_key_stats",
    "canonicalize.05_canonicalize",
    "stats.06_result_key_stats",
    "enrichment.10_enrich_customer_profiles",
    "enrichment.10_enrich_orders",
    "enrichment.10_enrich_support_tickets",
    "enrichment.10_enrich_web_sessions",
    "master.20_master_customer_master",
    "metadata.30_unification_metadata",
    "metadata.31_filter_lookup",
    "metadata.32_column_lookup",
)
# the tasks whose statements change tables in place (not a whole-table swap): also with the answer lost
AFTER = ("canonicalize.05_canonicalize", "enrichment.10_enrich_orders", "master.20_master_customer_master")


def _faults(sql_dir: Path) -> list[tuple[str, injector.Fault]]:
    faults = []
    for task_id in FILE_TASKS:
        name = task_id.split(".", 1)[1]
        last = len(split_statements((sql_dir / f"{name}.sql").read_text(encoding="utf-8")))
        faults.append((f"{task_id} before its last statement", injector.Fault(
            kind="transient", task_id=task_id, label=rf"^{name}\.sql$", statement=last
        )))  # fmt: skip
        if task_id in AFTER:
            faults.append((f"{task_id} after its last statement", injector.Fault(
                kind="transient", task_id=task_id, label=rf"^{name}\.sql$", statement=last, after=True
            )))  # fmt: skip
    faults.append(("the loop in iteration 2", injector.Fault(
        kind="transient", task_id="loop.unify_loop", label=r"iteration 2\b", statement=4
    )))  # fmt: skip
    faults.append(("the commit after merging the links", injector.Fault(
        kind="transient", task_id="incremental_commit", label="commit watermarks", statement=1
    )))  # fmt: skip
    return faults


def test_every_task_retried_part_way_leaves_the_tables_of_an_undisturbed_run(
    airflow_db: Path, tmp_path: Path, case: IncrementalCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    sql_dir = driver.generate(tmp_path / "inc", incremental=True)
    dag = dag_from_file(DAG_ID, DAG_SOURCE.format(dag_id=DAG_ID, sql_dir=str(sql_dir)))
    start = pendulum.datetime(2026, 10, 1, tz="UTC")
    state = driver.bridge_day_state(case, dag, start, tmp_path)
    committed, snapshot, reference = state.committed, state.snapshot, state.reference

    problems = {}
    for n, (name, fault) in enumerate(_faults(sql_dir), start=1):
        shutil.copyfile(snapshot, case.database)
        injector.reset()
        injector.install(monkeypatch, fault)
        result = run_dag(dag, logical_date=start.add(days=n))
        fired = [(f.task_id, f.try_number) for f in injector.FIRED]
        found = driver.differences(case.database, reference) if result.state == "success" else {}
        moved = driver.watermarks(case.database) != committed
        # the fault fires on the first try only, so a successful run retried the task
        if result.state != "success" or fired != [(fault.task_id, 1)]:
            problems[name] = f"run {result.state}, fired {fired}, failed tasks {result.failed()}"
        elif found or not moved:
            problems[name] = f"tables differ from a full rebuild: {found}; watermarks moved: {moved}"
    assert problems == {}
