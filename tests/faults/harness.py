"""Running the fault DAG and comparing what it left behind."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from unittest import mock

import duckdb
import pendulum

from tests.conftest import EXAMPLE_SQL, REPO
from tests.e2e.runner import RunResult, dag_from_file, run_dag
from tests.faults import injector

LOG_TABLE_SUFFIX = "_unify_loop_log"
# Run bookkeeping (which run snapshotted the previous lookup): holds the run id, so it differs per run.
HEALTH_STATE_SUFFIX = "_lookup_previous_state"
OUTPUT_SCHEMA = "unified"
Rows = list[tuple[Any, ...]]
_DAG_MODULE = "/sdk/definitions/dag.py"

# Every run gets its own logical date, so runs never share a run id (the loop log is keyed by run).
_dates = itertools.count()


def next_date() -> datetime:
    return pendulum.datetime(2025, 1, 1, tz="UTC").add(hours=next(_dates))


def fault_dag_source(dag_id: str, sql_dir: Path = EXAMPLE_SQL, extra: str = "") -> str:
    return f"""
from datetime import timedelta
from airflow_idu import create_unification_dag
{extra}
dag = create_unification_dag(
    {dag_id!r},
    {str(sql_dir)!r},
    conn_id="idu_default",
    default_args={{"retries": 2, "retry_delay": timedelta(0), "retry_exponential_backoff": False}},
)
"""


@dataclass
class FaultDag:
    dag: Any

    @classmethod
    def load(cls, name: str, source: str) -> FaultDag:
        return cls(dag_from_file(name, source))


@dataclass
class FaultRun:
    result: RunResult
    tries: dict[str, int] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.result, name)


def run(
    dag: Any,
    *,
    conf: dict[str, Any] | None = None,
    logical_date: datetime | None = None,
    **test_kwargs: Any,
) -> FaultRun:
    with _fast_idle_loop():
        if test_kwargs:
            dr = dag.test(logical_date=logical_date or next_date(), run_conf=conf, **test_kwargs)
            result = result_of(dag, dr)
        else:
            result = run_dag(dag, logical_date=logical_date or next_date(), conf=conf)
    return FaultRun(result, tries=try_numbers(result))


def result_of(dag: Any, dr: Any) -> RunResult:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        fresh = session.get(DagRun, dr.id)
        states = {ti.task_id: _text(ti.state) for ti in fresh.get_task_instances(session=session)}
        return RunResult(
            dag_id=dag.dag_id, run_id=dr.run_id, state=str(_text(fresh.state)), task_states=states
        )


def _text(state: Any) -> str | None:
    return None if state is None else str(getattr(state, "value", state))


@contextmanager
def _fast_idle_loop() -> Iterator[None]:
    """``dag.test()`` sleeps 1 s per loop while a failure propagates ``upstream_failed`` one level at a
    time; shorten only that sleep (called from ``DAG.test`` itself), nothing else."""
    real_sleep = time.sleep

    def sleep(seconds: float) -> None:
        caller = sys._getframe(1).f_code
        if seconds == 1 and caller.co_name == "test" and caller.co_filename.endswith(_DAG_MODULE):
            seconds = 0.02
        real_sleep(seconds)

    time.sleep = sleep
    try:
        yield
    finally:
        time.sleep = real_sleep


def continue_run(dag: Any, logical_date: datetime) -> FaultRun:
    """Let ``dag.test()`` carry on with the existing run of ``logical_date`` (what the scheduler does
    after a retry is due or task instances were cleared) instead of clearing or recreating it."""
    from airflow.models import dagrun as dagrun_module
    from airflow.models.dagrun import DagRun
    from airflow.serialization.definitions.dag import SerializedDAG
    from airflow.utils.state import DagRunState
    from sqlalchemy import select

    def existing_run(*, dag: Any, session: Any, **_: Any) -> Any:
        dr = session.scalar(
            select(DagRun).where(DagRun.dag_id == dag.dag_id, DagRun.logical_date == logical_date)
        )
        dr.state = DagRunState.RUNNING
        dr.dag = dag
        session.commit()
        return dr

    # dag.test() clears the run's task instances first; the scheduler does not.
    with (
        _fast_idle_loop(),
        mock.patch.object(SerializedDAG, "clear_dags", return_value=0),
        mock.patch.object(dagrun_module, "get_or_create_dagrun", existing_run),
    ):
        dr = dag.test(logical_date=logical_date)
    result = result_of(dag, dr)
    return FaultRun(result, tries=try_numbers(result))


KILLED = -9  # subprocess return code of a process ended by SIGKILL


def dags_test_killed(
    dag_id: str, logical_date: datetime, *faults: injector.Fault
) -> subprocess.CompletedProcess[str]:
    """``airflow dags test`` of ``dag_id`` in a subprocess whose injected ``kill`` faults SIGKILL it
    (the DAG file calls ``install_from_env()``)."""
    env = {**os.environ, injector.ENV: injector.to_env(*faults), "PYTHONPATH": str(REPO)}
    airflow = str(Path(sys.executable).with_name("airflow"))
    return subprocess.run(
        [airflow, "dags", "test", dag_id, logical_date.isoformat()],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def task_states(dag_id: str, logical_date: datetime) -> dict[str, tuple[str | None, int]]:
    """(state, try_number) of each task instance of the run of ``logical_date`` (e.g. the one a killed
    process left behind)."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        dr = session.scalar(
            select(DagRun).where(DagRun.dag_id == dag_id, DagRun.logical_date == logical_date)
        )
        assert dr is not None, "the killed process created no DAG run"
        tis = {ti.task_id: (ti.state, int(ti.try_number)) for ti in dr.get_task_instances(session=session)}
        return {t: (None if s is None else str(getattr(s, "value", s)), n) for t, (s, n) in tis.items()}


def retry_orphan(dag: Any, logical_date: datetime, task_id: str) -> FaultRun:
    """Mark the orphaned try of ``task_id`` up_for_retry (what the scheduler does on a heartbeat
    timeout with retries left), then let ``dag.test()`` continue that same run."""
    from datetime import UTC, timedelta

    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState
    from sqlalchemy import select

    with create_session() as session:
        dr = session.scalar(
            select(DagRun).where(DagRun.dag_id == dag.dag_id, DagRun.logical_date == logical_date)
        )
        ti = session.scalar(
            select(TaskInstance).filter_by(dag_id=dag.dag_id, run_id=dr.run_id, task_id=task_id)
        )
        ti.state = TaskInstanceState.UP_FOR_RETRY
        ti.end_date = datetime.now(tz=UTC) - timedelta(seconds=1)  # retry_delay is 0: ready for retry now
    return continue_run(dag, logical_date)


def try_numbers(result: RunResult) -> dict[str, int]:
    return tries_of(result.dag_id, result.run_id)


def tries_of(dag_id: str, run_id: str) -> dict[str, int]:
    """Each task instance's try number in one run."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        tis = session.query(TaskInstance).filter_by(dag_id=dag_id, run_id=run_id).all()
        return {ti.task_id: int(ti.try_number) for ti in tis}


@dataclass
class Baseline:
    database: Path
    tables: dict[str, Rows]
    loop: dict[str, Any]
    task_states: dict[str, str | None]


def _sort_key(row: tuple[Any, ...]) -> str:
    return repr(row)


def snapshot(database: Path, schema: str = OUTPUT_SCHEMA) -> dict[str, Rows]:
    """Every table of ``schema`` except the loop log and health state, rows sorted: what a run published."""
    with duckdb.connect(str(database), read_only=True) as con:
        names = [
            name
            for (name,) in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY 1",
                [schema],
            ).fetchall()
            if not name.endswith((LOG_TABLE_SUFFIX, HEALTH_STATE_SUFFIX))
        ]
        return {
            name: sorted(con.execute(f'SELECT * FROM "{schema}"."{name}"').fetchall(), key=_sort_key)
            for name in names
        }


def loop_log(database: Path, schema: str = OUTPUT_SCHEMA) -> list[tuple[str, int, int]]:
    """(run_key, iteration, updated_count) of every loop-log row, in insertion order."""
    with duckdb.connect(str(database), read_only=True) as con:
        (table,) = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_name LIKE ?",
            [schema, f"%{LOG_TABLE_SUFFIX}"],
        ).fetchone()
        return [
            (k, int(i), int(u))
            for k, i, u in con.execute(
                f'SELECT run_key, iteration, updated_count FROM "{schema}"."{table}" ORDER BY recorded_at'
            ).fetchall()
        ]


def table_exists(database: Path, table: str, schema: str = OUTPUT_SCHEMA) -> bool:
    with duckdb.connect(str(database), read_only=True) as con:
        return bool(
            con.execute(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                [schema, table],
            ).fetchone()[0]
        )


def diff_tables(expected: dict[str, Rows], actual: dict[str, Rows]) -> list[str]:
    """Human-readable differences (empty when the runs left identical tables)."""
    problems = []
    for name in sorted(set(expected) | set(actual)):
        if name not in actual:
            problems.append(f"{name}: missing")
        elif name not in expected:
            problems.append(f"{name}: unexpected table")
        elif expected[name] != actual[name]:
            problems.append(
                f"{name}: {len(expected[name])} rows expected, {len(actual[name])} found, contents differ"
            )
    return problems
