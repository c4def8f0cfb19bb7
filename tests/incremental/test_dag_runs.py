"""Real Airflow (``dag.test()``) on an incremental-capable directory: a first full run, a run that
fails in a late task (the watermarks stay), its successor (incremental, exact), and ``full_refresh``
from the trigger form."""

from __future__ import annotations

from pathlib import Path

import pendulum
import pytest

from airflow_idu.operators.report import render_markdown
from airflow_idu.plan.contract import INCREMENTAL_COMMIT_TASK_ID, INCREMENTAL_PREPARE_TASK, REPORT_TASK_ID
from tests.e2e.runner import dag_from_file, run_dag
from tests.faults import injector
from tests.ground_truth import assert_lookup_matches
from tests.incremental import driver
from tests.incremental.case import BRIDGE_DAY, IncrementalCase

pytestmark = [pytest.mark.e2e, pytest.mark.beyond_test]

DAG_SOURCE = """
from datetime import timedelta
from airflow_idu import create_unification_dag
dag = create_unification_dag(
    {dag_id!r}, {sql_dir!r}, default_args={{"retries": 1, "retry_delay": timedelta(0)}},
)
"""
LATE_FILE = "metadata.30_unification_metadata"


def test_incremental_dag_runs(
    airflow_db: Path, tmp_path: Path, case: IncrementalCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    sql_dir = driver.generate(tmp_path / "inc", incremental=True)
    dag = dag_from_file(
        "idu_incremental_runs", DAG_SOURCE.format(dag_id="idu_incremental_runs", sql_dir=str(sql_dir))
    )
    case.deliver(1)
    first = run_dag(dag, logical_date=pendulum.datetime(2026, 8, 1, tz="UTC"))
    assert first.failed() == {}, first.failed()
    assert first.xcom(INCREMENTAL_PREPARE_TASK)["reason"] == "no_state"
    state = driver.watermarks(case.database)
    assert {r for *_, r in state} == {first.run_id}

    graph = case.deliver(BRIDGE_DAY)
    injector.install(
        monkeypatch, injector.Fault(kind="sql", task_id=LATE_FILE, label="30_unification_metadata")
    )
    failed = run_dag(dag, logical_date=pendulum.datetime(2026, 8, 2, tz="UTC"))
    assert failed.state == "failed" and failed.task_states[INCREMENTAL_COMMIT_TASK_ID] != "success"
    assert driver.watermarks(case.database) == state, "a failed run moved the watermarks"
    assert [f.task_id for f in injector.FIRED] == [LATE_FILE]
    injector.reset()  # no fault is active any more

    second = run_dag(dag, logical_date=pendulum.datetime(2026, 8, 3, tz="UTC"))
    assert second.failed() == {}, second.failed()
    assert second.xcom(INCREMENTAL_PREPARE_TASK)["reason"] == "incremental"
    report = second.xcom(REPORT_TASK_ID)
    assert report["run_mode"] == {"full_refresh": False, "reason": "incremental"}
    assert "- run: incremental (incremental)" in render_markdown(report)
    driver.rebuild(
        case.database, tmp_path / "ref.duckdb", driver.generate(tmp_path / "full", incremental=False)
    )
    assert driver.differences(case.database, tmp_path / "ref.duckdb") == {}
    assert_lookup_matches(
        case.database,
        lookup_table="unified.unified_customer_id_lookup",
        graph=graph,
        merge_by_keys=["email", "customer_id", "phone_number"],
    )

    third = run_dag(dag, logical_date=pendulum.datetime(2026, 8, 4, tz="UTC"), conf={"full_refresh": True})
    assert third.failed() == {}, third.failed()
    assert third.xcom(INCREMENTAL_PREPARE_TASK)["reason"] == "requested"
    assert driver.differences(case.database, tmp_path / "ref.duckdb") == {}
