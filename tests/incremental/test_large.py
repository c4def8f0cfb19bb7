"""The issue's exactness case at size: 50,000 people fed as ten daily deliveries, each run as a
scheduled DAG run (``dag.test()``, real Airflow) on an incremental-capable directory.

After every run, every output table equals a full rebuild of the default directory over the same
source rows, and the lookup equals networkx components. The deliveries carry new people, an
identifier that sorts first, a record joining two clusters, a duplicate delivery, and late rows
inside and outside the look-back (tests/incremental/case.py); day 7 is a requested full refresh.
Last, a backfill: a run for an interval older than every other run, which reads the sources as
they are now and must leave the tables exact. About 12 minutes on 2 cores (``make incremental-runs``).
"""

from __future__ import annotations

from pathlib import Path

import pendulum
import pytest

from airflow_idu.plan.contract import INCREMENTAL_PREPARE_TASK
from tests.e2e.runner import dag_from_file, run_dag
from tests.ground_truth import assert_lookup_matches
from tests.incremental import driver
from tests.incremental.case import LATE_DAY, IncrementalCase, build_incremental_case
from tests.incremental.test_dag_runs import DAG_SOURCE
from tests.incremental.test_exactness import LATE_OUTSIDE_TABLES, MERGE_BY

pytestmark = [pytest.mark.e2e, pytest.mark.beyond_test]

PEOPLE, DAYS, FULL_REFRESH_DAY = 50_000, 10, 7
START = pendulum.datetime(2026, 9, 1, tz="UTC")


@pytest.fixture
def case(tmp_path: Path, duckdb_conn) -> IncrementalCase:
    built = build_incremental_case(tmp_path / "idu.duckdb", people=PEOPLE, seed=13, days=DAYS)
    duckdb_conn(built.database)
    return built


def _run_day(sql_dir: Path, day: int, *, full_refresh: bool = False) -> str:
    """A scheduled run of ``day``'s interval; a full refresh is a manual run with the trigger-form param.

    The DAG file is parsed for every run, as a worker does: ``dag.test()`` in one process keeps a
    manual run's conf in the DAG object's params, so later runs of the same object would see it."""
    dag = dag_from_file(
        "idu_incremental_large", DAG_SOURCE.format(dag_id="idu_incremental_large", sql_dir=str(sql_dir))
    )
    start = START.add(days=day - 1)
    if full_refresh:
        result = run_dag(dag, logical_date=start, conf={"full_refresh": True})
    else:
        result = run_dag(dag, logical_date=start, scheduled_interval=(start, start.add(days=1)))
    assert result.failed() == {}, (day, result.failed())
    return str(result.xcom(INCREMENTAL_PREPARE_TASK)["reason"])


def _check(
    case: IncrementalCase, tmp_path: Path, full_dir: Path, graph, *, late_outside_pending: bool
) -> None:
    reference = tmp_path / "ref.duckdb"
    driver.rebuild(case.database, reference, full_dir)
    found = driver.differences(case.database, reference)
    assert_lookup_matches(
        case.database, lookup_table="unified.unified_customer_id_lookup", graph=graph, merge_by_keys=MERGE_BY
    )
    if late_outside_pending:
        # only a full refresh reads a row older than the watermark minus the look-back
        assert set(found) <= LATE_OUTSIDE_TABLES, found
    else:
        assert found == {}, found


def test_fifty_thousand_people_over_ten_daily_runs_and_a_backfill(
    airflow_db: Path, tmp_path: Path, case: IncrementalCase
) -> None:
    sql_dir = driver.generate(tmp_path / "inc", incremental=True)
    full_dir = driver.generate(tmp_path / "full", incremental=False)
    reasons = {}
    for day in range(1, DAYS + 1):
        pending = LATE_DAY <= day < FULL_REFRESH_DAY
        graph = case.deliver(day, without_late_outside=pending)
        reasons[day] = _run_day(sql_dir, day, full_refresh=day == FULL_REFRESH_DAY)
        _check(case, tmp_path, full_dir, graph, late_outside_pending=pending)
    assert reasons == {
        **{d: "incremental" for d in range(2, DAYS + 1)},
        1: "no_state",
        FULL_REFRESH_DAY: "requested",
    }
    # a backfill of an interval before every other run: watermarks are data time, so it reads the
    # rows after them (none new) and the tables stay exact
    graph = case.deliver(DAYS)
    assert _run_day(sql_dir, 0) == "incremental"
    _check(case, tmp_path, full_dir, graph, late_outside_pending=False)
