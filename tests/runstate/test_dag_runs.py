"""Real Airflow (``dag.test()``) on a DuckDB file: persistent ids survive a second run over changed
data, and a failing commit leaves the state as it was."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pendulum
import pytest

from airflow_idu.demo.summary import read_summary
from airflow_idu.operators.report import render_markdown
from airflow_idu.plan.contract import PERSISTENT_IDS_COMMIT_TASK_ID, PERSISTENT_IDS_STAGE_TASK, REPORT_TASK_ID
from tests.e2e.runner import dag_from_file, run_dag
from tests.faults import injector
from tests.ground_truth import canonical_id_of
from tests.runstate.checks import History, check_components, check_transition
from tests.runstate.conftest import read_day
from tests.runstate.days import BRIDGE_DAY, NEW_FIRST_EMAIL, DailyCase, build_daily_case
from tests.runstate.test_crash_safety import snapshot

pytestmark = pytest.mark.e2e

DAG_SOURCE = """
from datetime import timedelta
from airflow_idu import create_unification_dag
dag = create_unification_dag(
    {dag_id!r}, {sql_dir!r}, persistent_ids={mode!r},
    default_args={{"retries": 1, "retry_delay": timedelta(0)}},
)
"""


@pytest.fixture
def case(tmp_path: Path, duckdb_conn) -> DailyCase:
    built = build_daily_case(tmp_path / "idu.duckdb", people=40, seed=13)
    duckdb_conn(built.database)
    return built


@pytest.fixture(autouse=True)
def _clean_injector() -> Iterator[None]:
    injector.reset()
    yield
    injector.reset()


def _dag(dag_id: str, mode: str = "beside") -> object:
    from tests.conftest import EXAMPLE_SQL

    return dag_from_file(dag_id, DAG_SOURCE.format(dag_id=dag_id, sql_dir=str(EXAMPLE_SQL), mode=mode))


def _profile_ids(database: Path, email: str) -> set[str]:
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "SELECT DISTINCT unified_customer_id FROM unified.enriched_customer_profiles WHERE email_std = ?",
            [email],
        ).fetchall()
    return {r[0] for r in rows}


def test_persistent_ids_survive_a_second_run(airflow_db: Path, case: DailyCase) -> None:
    dag = _dag("idu_persistent_ids")
    first_graph = case.deliver(1)
    first = run_dag(dag, logical_date=pendulum.datetime(2026, 7, 1, tz="UTC"))
    assert first.failed() == {}, first.failed()
    before = read_day(case.database, first_graph, first.run_id)
    check_components(before)
    assert first.xcom(PERSISTENT_IDS_COMMIT_TASK_ID)["changes"]["new"] == first_graph.number_of_nodes()

    second_graph = case.deliver(BRIDGE_DAY)  # new people, the new-first email, the bridge (a merge)
    second = run_dag(dag, logical_date=pendulum.datetime(2026, 7, 2, tz="UTC"))
    assert second.failed() == {}, second.failed()
    after = read_day(case.database, second_graph, second.run_id)
    check_components(after)
    history = History(given=set(before.ids.values()))
    check_transition(before, after, history)
    assert {"new", "merged"} <= set(history.reasons), history.reasons
    kept = sum(after.ids[n] == pid for n, pid in before.ids.items() if n in after.ids)
    assert kept > len(before.ids) // 2, "most identifiers keep their id"
    committed = second.xcom(PERSISTENT_IDS_COMMIT_TASK_ID)
    assert second.xcom(PERSISTENT_IDS_STAGE_TASK)["changes"] == committed["changes"]
    assert committed["changes"] == {
        r: history.reasons.get(r, 0) for r in ("new", "merged", "split", "removed")
    }
    report = second.xcom(REPORT_TASK_ID)
    assert report["persistent_ids"] == committed
    assert f"{committed['total']:,} identifiers changed id this run" in render_markdown(report)
    summary = read_summary(case.database, schema="unified", canonical_id="unified_customer_id").to_text()
    assert (
        f"Persistent ids: committed by {second.run_id}: merged {committed['changes']['merged']:,}" in summary
    )


def test_a_failing_commit_leaves_the_state(
    airflow_db: Path, case: DailyCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    dag = _dag("idu_persistent_ids_fault", mode="replace")  # downstream tables carry the persistent ids
    case.deliver(1)
    assert run_dag(dag, logical_date=pendulum.datetime(2026, 7, 3, tz="UTC")).failed() == {}
    map_before = snapshot(case.database)[0]
    (first_id,) = {pid for i, _t, pid, *_ in map_before if i == case.new_first_partner}
    case.deliver(BRIDGE_DAY)
    # the last statement of the commit (the map replace, its commit point) fails on every try
    fault = injector.Fault(
        kind="sql", task_id=PERSISTENT_IDS_COMMIT_TASK_ID, label="persistent ids: commit", statement=3
    )
    injector.install(monkeypatch, fault)
    result = run_dag(dag, logical_date=pendulum.datetime(2026, 7, 4, tz="UTC"))
    assert result.state == "failed"
    assert result.task_states[PERSISTENT_IDS_COMMIT_TASK_ID] == "failed"
    assert [f.task_id for f in injector.FIRED] == [PERSISTENT_IDS_COMMIT_TASK_ID]
    assert snapshot(case.database)[0] == map_before, "a failed run moved the persistent-id state"
    # the new email sorts first: the canonical id of its cluster changed, its persistent id did not
    assert _profile_ids(case.database, NEW_FIRST_EMAIL) == {first_id}
    assert first_id != canonical_id_of(NEW_FIRST_EMAIL, 1)
