"""The deferrable loop under a real ``airflow triggerer`` process (not ``dag.test()``'s inline trigger),
on a generated case of 50,000 people (setup + loop of the example directory).

``dag.test()`` runs the tasks; the loop task defers, and the execution API records the trigger and
the task instance as ``deferred`` in the metadata DB. Instead of running the trigger inline,
``dag.test()`` here leaves it to an ``airflow triggerer`` subprocess on the same metadata DB, which
fires the event that makes the task ``scheduled`` again; ``dag.test()`` then resumes it.

- While the warehouse works on a (deliberately slow) iteration statement, the task instance is
  ``deferred``, its trigger is assigned to the triggerer, no task code runs anywhere in the test
  process, and the default pool counts no occupied slot.
- SIGKILL to the triggerer (its process group) mid-iteration: nothing cancels anything then. A new
  triggerer takes the trigger over; the trigger first cancels the statement the dead one left running
  on the iteration's table (the warehouse records it CANCELED), runs that iteration again from its
  first statement, and the run ends with the same tables as a DuckDB-direct run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pendulum
import pytest

from airflow_idu.demo.data import create_demo_data
from airflow_idu.plan import read_plan
from airflow_idu.warehouse.core import StatementState, Warehouse
from airflow_idu.warehouse.faults import Auth
from airflow_idu.warehouse.server import WarehouseServer
from tests.conftest import EXAMPLE_SQL, REPO
from tests.e2e.runner import dag_from_file, run_dag
from tests.warehouse.compare import assert_same_tables
from tests.warehouse.fixture import DEMO, TOKEN, LocalWarehouse

pytestmark = pytest.mark.e2e

LOOP = "loop.unify_loop"
DAG_ID = "idu_trig"  # the DuckDB-direct run (idu_trig_direct) has a loop task of the same id
OUTPUT_SCHEMA = "unified"
ITERATION_2_INSERT = "INSERT INTO idu_demo.unified.unified_customer_id_graph_unify_loop_2\n"
_dates = iter(pendulum.datetime(2026, 7, 1, tz="UTC") + timedelta(days=i) for i in range(1000))


def _loop_only(work: Path) -> Path:
    """The example's setup and loop files only: the DAG is setup >> loop (what the loop needs)."""
    sql = work / "sql"
    sql.mkdir(parents=True, exist_ok=True)
    for f in EXAMPLE_SQL.glob("0[1-4]_*.sql"):
        shutil.copyfile(f, sql / f.name)
    return sql


def _source(dag_id: str, sql: Path, conn_id: str) -> str:
    return f"""
from datetime import timedelta
from airflow_idu import create_unification_dag
dag = create_unification_dag(
    {dag_id!r}, {str(sql)!r}, conn_id={conn_id!r}, deferrable=True,
    default_args={{"retries": 2, "retry_delay": timedelta(0)}},
)
"""


@dataclass
class Triggerer:
    """``airflow triggerer`` subprocesses on the test's metadata DB (one at a time)."""

    log: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            # a killed triggerer's triggers move to the next one within seconds, not 30 s
            "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "1",
            "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": "4",
        }
        airflow = str(Path(sys.executable).with_name("airflow"))
        with self.log.open("ab") as out:
            proc = subprocess.Popen(
                [airflow, "triggerer", "--capacity", "10"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def _drop_earlier_triggers() -> None:
    """Triggers earlier tests left in the shared metadata DB (their workers were killed on purpose).
    A triggerer runs every trigger it finds, and ``idu_databricks`` now names this test's warehouse,
    so an old loop trigger would run its iteration statements here while this run is still in setup."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.trigger import Trigger
    from airflow.utils.session import create_session

    with create_session() as session:
        session.query(TaskInstance).filter(TaskInstance.trigger_id.is_not(None)).update(
            {TaskInstance.trigger_id: None}, synchronize_session=False
        )
        session.query(Trigger).delete(synchronize_session=False)


@pytest.fixture
def triggerer(airflow_db: Path, tmp_path: Path) -> Iterator[Triggerer]:
    _drop_earlier_triggers()
    t = Triggerer(log=tmp_path / "triggerer.log")
    yield t
    t.stop_all()


@dataclass
class Seen:
    ti_states: set[str] = field(default_factory=set)
    trigger_classpaths: set[str] = field(default_factory=set)
    assigned: set[bool] = field(default_factory=set)
    task_code_running: bool = False
    pool_occupied: set[int] = field(default_factory=set)
    statement_id: str | None = None


def _look_while_running(wh: LocalWarehouse, needle: str, seen: Seen, stop: threading.Event) -> None:
    """From another thread, while a statement containing ``needle`` runs: what does Airflow record?"""
    from airflow.models.pool import Pool
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.trigger import Trigger
    from airflow.utils.session import create_session

    while not stop.is_set():
        running = [
            s
            for s in list(wh.warehouse._statements.values())
            if needle in s.sql and s.state is StatementState.RUNNING
        ]
        if running:
            seen.statement_id = running[0].statement_id
            with create_session() as session:
                ti = (
                    session.query(TaskInstance)
                    .filter_by(dag_id=DAG_ID, task_id=LOOP)
                    .order_by(TaskInstance.start_date.desc())
                    .first()
                )
                if ti is not None:
                    seen.ti_states.add(str(getattr(ti.state, "value", ti.state)))
                    if ti.trigger_id is not None:
                        trig = session.get(Trigger, ti.trigger_id)
                        seen.trigger_classpaths.add(trig.classpath)
                        seen.assigned.add(trig.triggerer_id is not None)
                pool = Pool.get_default_pool(session=session)
                seen.pool_occupied.add(int(pool.occupied_slots(session=session)))
            frames = sys._current_frames().values()
            names = {f.f_code.co_name for frame in frames for f in _stack(frame)}
            seen.task_code_running |= bool(names & {"execute_complete", "_advance", "poke", "_poke"})
            return
        time.sleep(0.05)


def _stack(frame: Any) -> Iterator[Any]:
    while frame is not None:
        yield frame
        frame = frame.f_back


# The acceptance case; IDU_DEFERRABLE_PEOPLE can shrink it for a quick local run.
PEOPLE = int(os.environ.get("IDU_DEFERRABLE_PEOPLE", "50000"))


@pytest.fixture
def big(tmp_path: Path) -> Iterator[tuple[LocalWarehouse, Path]]:
    """A warehouse of its own on a generated case of 50,000 people, and a copy of the same source
    data for the DuckDB-direct run (the shared warehouse's small demo stays as other tests need it)."""
    source = tmp_path / "source.duckdb"
    create_demo_data(source, schema=str(DEMO["schema"]), people=PEOPLE, seed=11)
    direct = tmp_path / "direct.duckdb"
    shutil.copyfile(source, direct)
    warehouse = Warehouse(source)
    server = WarehouseServer(warehouse, auth=Auth(token=TOKEN)).start()
    try:
        yield LocalWarehouse(warehouse=warehouse, server=server, database=source), direct
    finally:
        server.stop()
        warehouse.close()


def _direct(sql: Path, database: Path) -> dict[str, Any]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AIRFLOW_CONN_IDU_DIRECT_T", json.dumps({"conn_type": "duckdb", "host": str(database)}))
        result = run_dag(
            dag_from_file("idu_trig_direct", _source("idu_trig_direct", sql, "idu_direct_t")),
            logical_date=next(_dates),
        )
    assert result.state == "success", result.failed()
    loop: dict[str, Any] = result.xcom(LOOP)
    return loop


def test_deferred_under_a_real_triggerer_and_triggerer_killed_mid_iteration(
    airflow_db: Path,
    big: tuple[LocalWarehouse, Path],
    monkeypatch: pytest.MonkeyPatch,
    triggerer: Triggerer,
    tmp_path: Path,
) -> None:
    local_warehouse, direct_db = big
    sql = _loop_only(tmp_path)
    direct_loop = _direct(sql, direct_db)
    assert direct_loop["iterations"] >= 2  # the kill lands in iteration 2
    local_warehouse.use(monkeypatch, "idu_databricks")
    monkeypatch.setattr("airflow.sdk.definitions.dag._run_task", _no_inline())
    local_warehouse.warehouse.slow_statements[ITERATION_2_INSERT] = 60
    triggerer.start()

    seen, stop = Seen(), threading.Event()
    killed: list[str] = []

    def watch_then_kill() -> None:
        _look_while_running(local_warehouse, ITERATION_2_INSERT, seen, stop)
        if stop.is_set():
            return
        local_warehouse.warehouse.slow_statements.clear()  # the re-run of iteration 2 is not slow
        os.killpg(triggerer.procs[0].pid, signal.SIGKILL)  # the triggerer dies mid-iteration, no cleanup
        triggerer.procs[0].wait(60)
        killed.append(str(seen.statement_id))
        triggerer.start()  # another triggerer takes the trigger over

    watcher = threading.Thread(target=watch_then_kill, daemon=True)
    watcher.start()
    mark = local_warehouse.mark()
    try:
        result = run_dag(
            dag_from_file(DAG_ID, _source(DAG_ID, sql, "idu_databricks")), logical_date=next(_dates)
        )
    finally:
        stop.set()
        watcher.join(90)
    log = triggerer.log.read_text(errors="replace")
    assert result.state == "success", (result.failed(), log[-3000:])

    # While the warehouse worked: deferred, trigger held by the triggerer, no task code, no pool slot.
    assert seen.ti_states == {"deferred"}, seen
    assert seen.trigger_classpaths == {"airflow_idu.triggers.unify_loop.UnifyLoopTrigger"}
    assert seen.assigned == {True}
    assert seen.task_code_running is False
    assert seen.pool_occupied == {0}

    # The statement left in flight was cancelled; iteration 2 ran again from its first statement.
    assert killed, "the triggerer was not killed mid-iteration"
    states = {h.statement_id: h.state for h in local_warehouse.warehouse.history}
    assert states.get(killed[0]) is StatementState.CANCELED, (
        killed,
        local_warehouse.warehouse.get(killed[0]).state,
        [(i, s) for i, s in states.items() if s is not StatementState.SUCCEEDED],
    )
    statements = local_warehouse.statements(mark)
    plan = read_plan(sql)
    assert statements.count(plan.loop.convergence_sql(1)) == 1  # iteration 1 was not run again
    assert statements.count(plan.loop.convergence_sql(2)) == 1
    assert sum(ITERATION_2_INSERT in s for s in statements) == 2  # cancelled + the re-run

    loop = result.xcom(LOOP)
    assert [(h["iteration"], h["updated_count"]) for h in loop["history"]] == [
        (h["iteration"], h["updated_count"]) for h in direct_loop["history"]
    ]
    assert_same_tables(local_warehouse.warehouse, direct_db, OUTPUT_SCHEMA)  # graph, loop 1..K, final
    with duckdb.connect(str(direct_db), read_only=True) as con:
        final = con.execute(
            "SELECT COUNT(*) FROM unified.unified_customer_id_graph_unify_loop_final"
        ).fetchone()
    assert final is not None and final[0] > PEOPLE


def _no_inline() -> Any:
    from airflow.sdk.definitions import dag as dag_module

    real = dag_module._run_task

    def run_task(*, ti: Any, task: Any, run_triggerer: bool = False) -> Any:
        return real(ti=ti, task=task, run_triggerer=False)

    return run_task
