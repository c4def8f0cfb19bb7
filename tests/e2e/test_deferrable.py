"""The deferrable unify loop on a ``databricks`` connection against the local warehouse.

``dag.test()`` runs each deferral's trigger in-process: the loop task defers once per iteration,
``UnifyLoopTrigger`` sends the iteration's statements through the Statement Execution API with the
provider's ``DatabricksHook`` (real HTTP to the local warehouse), and ``execute_complete`` records the
iteration with the loop runner. Tables are compared with a DuckDB-direct run of the same DAG.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pendulum
import pytest

from airflow_idu.demo.data import create_demo_data
from airflow_idu.plan import read_plan, split_statements
from airflow_idu.warehouse.core import StatementState
from tests.conftest import EXAMPLE_SQL, REPO
from tests.e2e.runner import RunResult, dag_from_file, run_dag
from tests.warehouse.compare import assert_same_tables
from tests.warehouse.fixture import DEMO, LocalWarehouse

pytestmark = pytest.mark.e2e

OUTPUT_SCHEMA = "unified"
LOOP = "loop.unify_loop"
DAG_SOURCE = f"""
from datetime import timedelta
from airflow_idu import create_unification_dag
dag = create_unification_dag(
    "idu_deferrable", {str(EXAMPLE_SQL)!r}, conn_id="idu_databricks", deferrable=True,
    default_args={{"retries": 2, "retry_delay": timedelta(0)}},
)
"""
ITERATION_2 = "idu_demo.unified.unified_customer_id_graph_unify_loop_2 "
_dates = iter(pendulum.datetime(2026, 5, 1, tz="UTC") + timedelta(days=i) for i in range(1000))


def _source(dag_id: str, conn_id: str = "idu_databricks", **kwargs: Any) -> str:
    source = DAG_SOURCE.replace('"idu_deferrable"', f'"{dag_id}"').replace("idu_databricks", conn_id)
    extra = "".join(f", {k}={v!r}" for k, v in kwargs.items())
    return source.replace("deferrable=True,", f"deferrable=True{extra},")


def _run(dag_id: str, **kwargs: Any) -> RunResult:
    return run_dag(dag_from_file(dag_id, _source(dag_id, **kwargs)), logical_date=next(_dates))


@pytest.fixture(scope="module")
def direct_run(airflow_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The same DAG on the same demo data, DuckDB-direct (deferrable=True does not apply there)."""
    database = tmp_path_factory.mktemp("direct") / "direct.duckdb"
    create_demo_data(database, **DEMO)  # type: ignore[arg-type]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AIRFLOW_CONN_IDU_DIRECT_D", json.dumps({"conn_type": "duckdb", "host": str(database)}))
        dag = dag_from_file("idu_deferrable_direct", _source("idu_deferrable_direct", conn_id="idu_direct_d"))
        result = run_dag(dag, logical_date=next(_dates))
    assert result.state == "success", result.failed()
    return {"database": database, "loop": result.xcom(LOOP)}


@pytest.fixture
def dbx(local_warehouse: LocalWarehouse, monkeypatch: pytest.MonkeyPatch) -> LocalWarehouse:
    local_warehouse.use(monkeypatch, "idu_databricks")
    return local_warehouse


def _counts(loop: dict[str, Any]) -> list[tuple[int, int, str]]:
    return [(h["iteration"], h["updated_count"], h["source"]) for h in loop["history"]]


def test_example_deferrable_equals_duckdb_direct(
    airflow_db: Path,
    dbx: LocalWarehouse,
    direct_run: dict[str, Any],
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    mark = dbx.mark()
    result = _run("idu_deferrable")
    assert result.state == "success", result.failed()
    loop = result.xcom(LOOP)
    assert loop["converged"] is True
    assert _counts(loop) == _counts(direct_run["loop"])
    assert loop["final_table"] == direct_run["loop"]["final_table"]

    # Every iteration's statements went through the Statement API (no session), the rest over Thrift.
    plan = read_plan(EXAMPLE_SQL)
    k = loop["iterations"]
    ran = {h.statement_id for h in dbx.warehouse.history[mark:]}
    rest = {s.sql for i, s in list(dbx.warehouse._statements.items()) if i in ran and s.session_id is None}
    for i in range(1, k + 1):
        assert plan.loop.convergence_sql(i) in rest, f"iteration {i}'s check did not go through the REST API"
    assert not [s for s in rest if re.match(r"\s*USE\s", s, re.I)]  # the namespace goes with each request

    compared = assert_same_tables(dbx.warehouse, direct_run["database"], OUTPUT_SCHEMA)
    assert "unified_customer_id_lookup" in compared

    console = "".join(capfd.readouterr())
    assert console.count("Deferring iteration") == k
    assert "Unify loop converged" in console


def _loop_only(tmp_path: Path) -> Path:
    sql = tmp_path / "sql"
    sql.mkdir()
    for f in EXAMPLE_SQL.glob("0[1-4]_*.sql"):
        shutil.copyfile(f, sql / f.name)
    return sql


def test_duckdb_runs_as_today_and_says_deferral_does_not_apply(
    airflow_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "duck.duckdb"
    create_demo_data(database, **DEMO)  # type: ignore[arg-type]
    monkeypatch.setenv("AIRFLOW_CONN_IDU_DUCK_D", json.dumps({"conn_type": "duckdb", "host": str(database)}))
    source = _source("idu_deferrable_duck", conn_id="idu_duck_d").replace(
        repr(str(EXAMPLE_SQL)), repr(str(_loop_only(tmp_path)))
    )
    result = run_dag(dag_from_file("idu_deferrable_duck", source), logical_date=next(_dates))
    assert result.state == "success", result.failed()
    assert result.xcom(LOOP)["converged"] is True
    console = "".join(capfd.readouterr())
    assert "Unify loop converged" in console  # the task log was captured
    assert "deferrable=True does not apply on connection 'idu_duck_d'" in console
    assert "Deferring iteration" not in console


def _tries(result: RunResult) -> int:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        ti = session.query(TaskInstance).filter_by(run_id=result.run_id, task_id=LOOP).one()
        return int(ti.try_number)


def test_sql_error_in_iteration_fails_at_once_naming_file_iteration_and_error_class(
    airflow_db: Path, dbx: LocalWarehouse, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Setup + loop files only (the failure is in the loop; later phases would not run anyway)."""
    sql = _loop_only(tmp_path)
    dbx.warehouse.sabotage(ITERATION_2.strip(), "SELECT * FROM idu_demo.unified.table_that_is_not_there")
    source = _source("idu_deferrable_sqlerror").replace(repr(str(EXAMPLE_SQL)), repr(str(sql)))
    result = run_dag(dag_from_file("idu_deferrable_sqlerror", source), logical_date=next(_dates))
    assert result.state == "failed"
    assert result.task_states[LOOP] == "failed"
    assert _tries(result) == 1  # retries=2 in the DAG: a SQL error is not retried
    console = "".join(capfd.readouterr())
    # the sabotaged statement: the first of iteration 2 naming loop_2, its CREATE
    iteration_2 = split_statements((sql / "04_unify_loop_iteration_02.sql").read_text())
    n = next(i for i, s in enumerate(iteration_2, start=1) if ITERATION_2.strip() in s)
    assert (
        f"04_unify_loop_iteration_02.sql (iteration 2): statement {n} failed (CREATE OR REPLACE TABLE "
        "idu_demo.unified.unified_customer_id_graph_unify_loop_2" in console
    )
    assert "in iteration 2: TABLE_OR_VIEW_NOT_FOUND: [TABLE_OR_VIEW_NOT_FOUND]" in console
    assert "not retried" in console
    assert console.count("Deferring iteration 2 ") == 1  # failed at once: no retry sent it again


# --- the worker killed mid-loop ----------------------------------------------------------------
KILLED = -9  # return code of a process ended by SIGKILL
_LOG_INSERT = re.compile(r"_unify_loop_log VALUES \('([0-9a-f]+)', 1, ")


def _wait_for(what: str, find: Callable[[], Any], proc: subprocess.Popen[bytes], seconds: float = 120) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        if found := find():
            return found
        time.sleep(0.01)
    raise AssertionError(f"{what}: not seen (worker rc {proc.poll()})")


def _retry_after_the_kill(
    dag: Any, dag_id: str, logical_date: datetime, capfd: pytest.CaptureFixture[str]
) -> tuple[Any, str]:
    """Mark the killed try for retry as the scheduler would, carry the same run on; the run must
    succeed with the loop task's second try (and no other task retried). Returns the console too."""
    from tests.faults.harness import continue_run

    (run_id,) = _run_ids(dag_id, logical_date)
    _retry_like_the_scheduler(dag_id, run_id)
    capfd.readouterr()
    result = continue_run(dag, logical_date)
    console = "".join(capfd.readouterr())
    assert result.state == "success", result.failed()
    assert result.tries[LOOP] == 2 and {t: c for t, c in result.tries.items() if c != 1} == {LOOP: 2}
    return result, console


@contextlib.contextmanager
def _worker(dag_id: str, logical_date: datetime, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``airflow dags test`` of ``dag_id`` in its own process group: the worker a test kills."""
    airflow = str(Path(sys.executable).with_name("airflow"))
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [airflow, "dags", "test", dag_id, logical_date.isoformat()],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield worker
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(30)


def _running(dbx: LocalWarehouse, needle: str) -> Callable[[], Any]:
    """Finds the warehouse statement containing ``needle`` while it runs."""
    return lambda: next(
        (
            s
            for s in list(dbx.warehouse._statements.values())
            if needle in s.sql and s.state is StatementState.RUNNING
        ),
        None,
    )


def _logged_iterations(dbx: LocalWarehouse, key: str) -> list[int]:
    cursor = dbx.warehouse._db.cursor()
    try:
        rows = cursor.execute(
            "SELECT iteration FROM unified.unified_customer_id_unify_loop_log WHERE run_key = ? "
            "ORDER BY recorded_at",
            [key],
        ).fetchall()
    finally:
        cursor.close()
    return [int(r[0]) for r in rows]


def _retry_like_the_scheduler(dag_id: str, run_id: str) -> None:
    """The killed try is left ``running`` with no heartbeat: do what the scheduler's heartbeat-timeout
    path does with retries left (``handle_failure``: next method cleared, ``up_for_retry``)."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        ti = session.query(TaskInstance).filter_by(dag_id=dag_id, run_id=run_id, task_id=LOOP).one()
        ti.task = None  # eligibility from try_number <= max_tries (retries=2)
        TaskInstance.fetch_handle_failure_context(ti, "heartbeat timeout (worker killed)", session=session)
        assert str(ti.state) == "up_for_retry", ti.state
        ti.end_date = datetime.now(tz=UTC) - timedelta(seconds=1)  # retry_delay 0: due now
        session.merge(ti)


FINAL = "CREATE OR REPLACE TABLE idu_demo.unified.unified_customer_id_graph_unify_loop_final AS"


@pytest.mark.parametrize(
    ("slow", "recorded_at_kill"),
    [
        (lambda key: f"VALUES ('{key}', 2, ", lambda k: [1]),
        (lambda key: FINAL, lambda k: list(range(1, k + 1))),
    ],
    ids=["recording_iteration_2", "final_script"],
)
def test_worker_killed_mid_loop_resumes_at_that_iteration_and_its_statement_is_cancelled(
    airflow_db: Path,
    dbx: LocalWarehouse,
    direct_run: dict[str, Any],
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    slow: Callable[[str], str],
    recorded_at_kill: Callable[[int], list[int]],
) -> None:
    """SIGKILL of the worker (``airflow dags test`` in a subprocess) while its own statement runs.

    In deferrable mode the worker runs no iteration statement: the trigger sends them, and the worker
    only reads the loop log, records each finished iteration (one INSERT) and runs the final script.
    So the kill lands while the worker's loop-log INSERT of iteration 2 (after the trigger ran
    iteration 2), or the final script, runs in the warehouse (made slow). Nothing cancels on SIGKILL:
    the retry (same DAG run) first cancels what the killed try left running on its run's loop log and
    final table, resumes after the last recorded iteration, and the run ends with the DuckDB-direct
    run's tables."""
    dag_id = "idu_deferrable_kill"
    dag = dag_from_file(dag_id, _source(dag_id))  # the file the worker subprocess parses too
    logical_date = next(_dates)
    mark = dbx.mark()
    with _worker(dag_id, logical_date, tmp_path / "worker.log") as worker:
        key = _wait_for(
            "iteration 1 recorded in the loop log",
            lambda: next(
                (m[1] for h in dbx.warehouse.history[mark:] if (m := _LOG_INSERT.search(h.sql))), None
            ),
            worker,
        )
        needle = slow(key)
        dbx.warehouse.slow_statements[needle] = 120
        stale = _wait_for(
            f"the worker's statement {needle!r} running",
            _running(dbx, needle),
            worker,
        )
        in_flight = [s for s in list(dbx.warehouse._statements.values()) if not s.state.terminal]
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(30)
        dbx.warehouse.slow_statements.clear()  # the retry's own statements are not slow
    assert worker.returncode == KILLED, (tmp_path / "worker.log").read_text(errors="replace")[-3000:]

    # At the kill the worker's own statement was the only one in flight (over its Thrift session);
    # the iterations' statements (the trigger's, over the Statement API, no session) had all finished.
    assert [s.statement_id for s in in_flight] == [stale.statement_id]
    assert stale.session_id is not None
    plan = read_plan(EXAMPLE_SQL)
    n = direct_run["loop"]["iterations"]
    recorded = recorded_at_kill(n)
    ran = {h.sql: h.state for h in dbx.warehouse.history[mark:]}
    assert ran[plan.loop.convergence_sql(2)] is StatementState.SUCCEEDED
    assert dbx.warehouse.get(stale.statement_id).state is StatementState.RUNNING  # SIGKILL cancels nothing
    assert _logged_iterations(dbx, key) == recorded
    result, console = _retry_after_the_kill(dag, dag_id, logical_date, capfd)
    # The statement the killed worker left running was cancelled by the retry; the warehouse says so.
    assert dbx.warehouse.get(stale.statement_id).state is StatementState.CANCELED
    assert f"Cancelling statement {stale.statement_id} left running on {key}" in console
    # Resumed after the last recorded iteration; no recorded iteration was run again.
    assert f"Resuming the unify loop at iteration {recorded[-1] + 1}" in console
    statements = dbx.statements(mark)
    runs = [statements.count(plan.loop.convergence_sql(i)) for i in range(1, n + 1)]
    assert runs == [1 if i in recorded or i > recorded[-1] + 1 else 2 for i in range(1, n + 1)]
    loop = result.xcom(LOOP)
    assert _counts(loop) == _counts(direct_run["loop"])
    assert _logged_iterations(dbx, key) == list(range(1, n + 1))  # each exactly once
    assert "unified_customer_id_lookup" in assert_same_tables(
        dbx.warehouse, direct_run["database"], OUTPUT_SCHEMA
    )


def _run_ids(dag_id: str, logical_date: datetime) -> list[str]:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        runs = session.query(DagRun).filter_by(dag_id=dag_id, logical_date=logical_date).all()
        return [r.run_id for r in runs]


def test_worker_killed_in_poke_mode_mid_iteration_has_its_statement_cancelled_by_the_retry(
    airflow_db: Path,
    dbx: LocalWarehouse,
    direct_run: dict[str, Any],
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """The same kill with ``deferrable=False``: here the worker runs the iterations itself, so the kill
    lands while its iteration-2 statement runs (made slow). The retry cancels that statement before it
    resumes at iteration 2, so the two tries never write loop table 2 at the same time."""
    dag_id = "idu_poke_kill"
    dag = dag_from_file(dag_id, _source(dag_id).replace("deferrable=True", "deferrable=False"))
    logical_date = next(_dates)
    mark = dbx.mark()
    needle = ITERATION_2.strip()
    dbx.warehouse.slow_statements[needle] = 120
    with _worker(dag_id, logical_date, tmp_path / "worker.log") as worker:
        stale = _wait_for(
            "the worker's iteration-2 statement running",
            _running(dbx, needle),
            worker,
        )
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(30)
        dbx.warehouse.slow_statements.clear()
    assert worker.returncode == KILLED, (tmp_path / "worker.log").read_text(errors="replace")[-3000:]
    assert dbx.warehouse.get(stale.statement_id).state is StatementState.RUNNING  # SIGKILL cancels nothing
    key = _LOG_INSERT.search("\n".join(h.sql for h in dbx.warehouse.history[mark:]))
    assert key is not None, "iteration 1 was recorded before the kill"
    assert _logged_iterations(dbx, key[1]) == [1]
    result, console = _retry_after_the_kill(dag, dag_id, logical_date, capfd)
    assert dbx.warehouse.get(stale.statement_id).state is StatementState.CANCELED
    assert f"Cancelling statement {stale.statement_id} left running on" in console
    assert "Resuming the unify loop at iteration 2" in console
    assert _counts(result.xcom(LOOP)) == _counts(direct_run["loop"])
    n = direct_run["loop"]["iterations"]
    assert _logged_iterations(dbx, key[1]) == list(range(1, n + 1))  # each exactly once
    assert "unified_customer_id_lookup" in assert_same_tables(
        dbx.warehouse, direct_run["database"], OUTPUT_SCHEMA
    )
