"""One writer per target schema under a real scheduler: a backfill with Airflow's default settings,
a manual trigger and a second DAG on the same schema, all started at the same moment.

Airflow 3 backfills have their own ``max_active_runs`` (10 by default), which ignores the DAG's
``max_active_runs=1``, so the two backfill runs and the manual run are all *started* together,
and a second DAG is not limited by the first one's settings at all. The writer lease must make
them take turns: every run succeeds, no two runs' writing tasks overlap in time (task-instance
start and end times from the metadata DB), the backfill writes its dates in logical-date order,
and the tables left behind equal a single run's
(the fault suite's undisturbed baseline run, of the same directory on the same source data).
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from airflow_idu.factory import LEASE_ACQUIRE_TASK_ID, LEASE_RELEASE_TASK_ID
from airflow_idu.preload import TASK_MODULES
from tests.faults.harness import Baseline, Rows, snapshot
from tests.scheduler.stack import Stack, TaskSpan, reschedules, task_spans

pytestmark = [pytest.mark.scheduler, pytest.mark.faults]

DAG_A = "idu_lease_a"
DAG_B = "idu_lease_b"
LEASE_TASKS = {LEASE_ACQUIRE_TASK_ID, LEASE_RELEASE_TASK_ID}


def dag_source(dag_id: str, sql_dir: Path) -> str:
    # end_date: the scheduler creates no run of its own; only the backfill and the triggers do.
    return f"""
from datetime import timedelta
import pendulum
from airflow_idu import create_unification_dag
from airflow_idu.factory import LeaseSettings

dag = create_unification_dag(
    {dag_id!r},
    {str(sql_dir)!r},
    conn_id="idu_default",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    end_date=pendulum.datetime(2026, 1, 10, tz="UTC"),
    writer_lease=LeaseSettings(poke_interval=10),
    default_args={{"retries": 1, "retry_delay": timedelta(seconds=2)}},
)
"""


@dataclass
class Outcome:
    runs: list[tuple[str, str, str]]
    spans: list[TaskSpan]
    waits: dict[tuple[str, str], int]  # reschedules of lease_acquire per run
    tables: dict[str, Rows]
    single_run_tables: dict[str, Rows]
    logs: str
    scheduler_log: str

    def writing_window(self, dag_id: str, run_id: str) -> tuple[datetime, datetime]:
        spans = [
            s for s in self.spans if (s.dag_id, s.run_id) == (dag_id, run_id) and s.task_id not in LEASE_TASKS
        ]
        assert spans, f"no finished writing task in {dag_id} / {run_id}"
        return min(s.start for s in spans), max(s.end for s in spans)

    def in_writing_order(self) -> list[tuple[str, str]]:
        return sorted(((d, r) for d, r, _ in self.runs), key=lambda run: self.writing_window(*run))


@pytest.fixture(scope="module")
def outcome(
    tmp_path_factory: pytest.TempPathFactory, source_db: Path, fault_sql_dir: Path, baseline: Baseline
) -> Iterator[Outcome]:
    work = tmp_path_factory.mktemp("lease")
    shared = work / "shared.duckdb"
    shutil.copy(source_db, shared)
    conn = {"conn_type": "duckdb", "host": str(shared)}
    stack = Stack.prepare(work / "airflow", {d: dag_source(d, fault_sql_dir) for d in (DAG_A, DAG_B)}, conn)
    stack.start(scheduler=False)  # the runs are created first, then the scheduler starts them together
    try:
        # A backfill of 2 dates with Airflow's defaults (what `airflow backfill create --dag-id idu_lease_a
        # --from-date 2026-01-04 --to-date 2026-01-05` creates), a manual trigger of the same DAG
        # and one of a second DAG on the same schema, all at the same moment, through the REST API.
        stack.post_together(
            (
                "backfills",
                {"dag_id": DAG_A, "from_date": "2026-01-04T00:00:00Z", "to_date": "2026-01-05T00:00:00Z"},
            ),
            (f"dags/{DAG_A}/dagRuns", {"logical_date": None}),
            (f"dags/{DAG_B}/dagRuns", {"logical_date": None}),
        )
        stack.start_scheduler()
        runs = stack.wait_for_runs([DAG_A, DAG_B], count=4, timeout=1500)
        spans = task_spans(stack, [DAG_A, DAG_B])
        waits = reschedules(stack, LEASE_ACQUIRE_TASK_ID)
    finally:
        stack.stop()
    yield Outcome(
        runs=runs,
        spans=spans,
        waits=waits,
        tables=snapshot(shared),
        single_run_tables=baseline.tables,
        logs=stack.logs(),
        scheduler_log=(stack.logs_dir / "scheduler.log").read_text(errors="replace"),
    )


def test_every_run_succeeds(outcome: Outcome) -> None:
    kinds = sorted((dag, run.split("__")[0]) for dag, run, _ in outcome.runs)
    assert kinds == [(DAG_A, "backfill")] * 2 + [(DAG_A, "manual"), (DAG_B, "manual")]
    assert all(state == "success" for _, _, state in outcome.runs), outcome.runs


def test_the_scheduler_preloaded_the_task_modules_before_forking(outcome: Outcome) -> None:
    """The stack deploys warm task processes as docker-compose.yaml does (airflow_idu.preload)."""
    count = sum(len(modules) for modules in TASK_MODULES.values())
    assert f"airflow-idu preload: {count} task modules imported" in outcome.scheduler_log


def test_no_two_runs_write_at_the_same_time(outcome: Outcome) -> None:
    windows = sorted(outcome.writing_window(dag, run) for dag, run, _ in outcome.runs)
    for (_, end), (start, _) in itertools.pairwise(windows):
        assert end <= start, f"writing windows overlap: {windows}"


def test_a_backfill_writes_its_dates_in_logical_date_order(outcome: Outcome) -> None:
    """Whatever order Airflow starts the backfill's runs in, the lease goes to the earliest date
    first: the writing tasks' start times follow the logical dates (run ids ``backfill__<date>``)."""
    backfill = [(dag, run) for dag, run, _ in outcome.runs if run.startswith("backfill__")]
    assert len(backfill) == 2
    by_date = sorted(backfill, key=lambda run: run[1])
    by_writing = sorted(backfill, key=lambda run: outcome.writing_window(*run)[0])
    assert by_writing == by_date, [(run, outcome.writing_window(dag, run)) for dag, run in by_writing]


def test_runs_started_together_and_waited_visibly_for_the_lease(outcome: Outcome) -> None:
    """Airflow started the runs together (max_active_runs did not keep them apart): the runs after
    the first waited in lease_acquire, rescheduled (no worker slot held) until the lease was free."""
    order = outcome.in_writing_order()
    assert all(outcome.waits.get(run, 0) >= 1 for run in order[1:3]), (order, outcome.waits)
    assert sum(1 for run in order if outcome.waits.get(run, 0)) >= 3, outcome.waits


def test_second_dag_on_the_same_schema_waits_for_the_first(outcome: Outcome) -> None:
    (b_run,) = [(dag, run) for dag, run, _ in outcome.runs if dag == DAG_B]
    b_start, b_end = outcome.writing_window(*b_run)
    a_runs = [(dag, run) for dag, run, _ in outcome.runs if dag == DAG_A]
    for a_run in a_runs:
        a_start, a_end = outcome.writing_window(*a_run)
        assert a_end <= b_start or b_end <= a_start
    # One waited for the other: B waited, or (B went first) the first A run did.
    first_a = min(a_runs, key=lambda run: outcome.writing_window(*run))
    waiter = b_run if outcome.writing_window(*first_a) < (b_start, b_end) else first_a
    assert outcome.waits.get(waiter, 0) >= 1, outcome.waits


# What the schema held before the last run (the previous lookup, the churn against it): a single
# run on a fresh file has no earlier run to keep, so these are checked on their own below.
_HISTORY = ("_lookup_previous", "_id_history")


def test_final_tables_equal_a_single_runs(outcome: Outcome) -> None:
    tables = {t: rows for t, rows in outcome.tables.items() if not t.endswith(_HISTORY)}
    single = {t: rows for t, rows in outcome.single_run_tables.items() if not t.endswith(_HISTORY)}
    assert set(tables) == set(single)
    differing = [t for t in tables if tables[t] != single[t]]
    assert not differing, differing
    # Every run read the same input: each run's previous lookup is the published one, and no id moved.
    previous = next(t for t in outcome.tables if t.endswith("_lookup_previous"))
    assert outcome.tables[previous] == outcome.tables[previous.removesuffix("_previous")]
    assert next(rows for t, rows in outcome.tables.items() if t.endswith("_id_history")) == []
    assert outcome.tables["idu_writer_lease"] == []  # every run gave the lease back
