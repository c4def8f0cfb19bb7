"""The Databricks path for real: ``DatabricksSqlHook`` and ``databricks-sql-connector`` speak Thrift
over HTTP to the local SQL warehouse (``airflow_idu.warehouse``, one per test process, on a free
loopback port). Nothing in the driver is replaced; the warehouse records every statement, session
and cancel, and its tables are compared with a DuckDB-direct run of the same DAG.
"""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
import pytest

from airflow_idu.demo.data import create_demo_data
from airflow_idu.links import QUERY_HISTORY_XCOM_KEY
from airflow_idu.plan import first_line, read_plan, split_statements
from airflow_idu.warehouse.core import StatementState
from airflow_idu.warehouse.faults import FaultKind, FaultRule
from tests.conftest import EXAMPLE_SQL, EXAMPLE_YML
from tests.e2e.runner import RunResult, dag_from_file, run_dag
from tests.ground_truth import assert_lookup_matches, load_identifier_graph
from tests.warehouse.compare import assert_same_tables
from tests.warehouse.fixture import DEMO, TOKEN, LocalWarehouse

pytestmark = pytest.mark.e2e

OUTPUT_SCHEMA = "unified"
DAG_SOURCE = f"""
from datetime import timedelta
from airflow_idu import create_unification_dag
dag = create_unification_dag("idu_databricks_path", {str(EXAMPLE_SQL)!r}, conn_id="idu_databricks")
"""
ITERATION_2 = "idu_demo.unified.unified_customer_id_graph_unify_loop_2 "
_dates = iter(pendulum.datetime(2026, 3, 1, tz="UTC") + timedelta(days=i) for i in range(1000))


@pytest.fixture(scope="module")
def direct_run(airflow_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The same DAG on the same demo data, DuckDB-direct: the tables every warehouse run must equal."""
    database = tmp_path_factory.mktemp("direct") / "direct.duckdb"
    create_demo_data(database, **DEMO)  # type: ignore[arg-type]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AIRFLOW_CONN_IDU_DIRECT", json.dumps({"conn_type": "duckdb", "host": str(database)}))
        dag = dag_from_file(
            "idu_direct_path",
            DAG_SOURCE.replace('"idu_databricks_path"', '"idu_direct_path"').replace(
                "idu_databricks", "idu_direct"
            ),
        )
        result = run_dag(dag, logical_date=next(_dates))
    assert result.state == "success", result.failed()
    return {"database": database, "loop": result.xcom("loop.unify_loop")}


@pytest.fixture
def dbx(local_warehouse: LocalWarehouse, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalWarehouse]:
    local_warehouse.use(monkeypatch, "idu_databricks")
    yield local_warehouse


def _run(source: str = DAG_SOURCE, dag_id: str = "idu_databricks_path", **kwargs: Any) -> RunResult:
    dag = dag_from_file(dag_id, source.replace('"idu_databricks_path"', f'"{dag_id}"'))
    return run_dag(dag, logical_date=next(_dates), **kwargs)


def _same_tables_as_direct(
    wh: LocalWarehouse, direct: dict[str, Any], tmp_path: Path, result: RunResult
) -> None:
    compared = assert_same_tables(wh.warehouse, direct["database"], OUTPUT_SCHEMA)
    assert "unified_customer_id_lookup" in compared and len(compared) >= 10
    loop = result.xcom("loop.unify_loop")
    counts = [h["updated_count"] for h in loop["history"]]
    assert counts == [h["updated_count"] for h in direct["loop"]["history"]]


def _with_retries(retries: int = 2) -> str:
    return DAG_SOURCE.replace(
        'conn_id="idu_databricks"',
        f'conn_id="idu_databricks", default_args={{"retries": {retries}, "retry_delay": timedelta(0)}}',
    )


def _tries(result: RunResult, task_id: str) -> int:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        ti = session.query(TaskInstance).filter_by(run_id=result.run_id, task_id=task_id).one()
        return int(ti.try_number)


def _no_token_anywhere(airflow_db: Path, console: str, result: RunResult, token: str = TOKEN) -> None:
    everything = json.dumps([result.xcom(t) for t in result.task_states], default=str)
    assert token not in everything
    assert token not in console
    written = "".join(p.read_text(errors="replace") for p in airflow_db.rglob("*.log") if p.is_file())
    assert token not in written


def test_example_runs_on_the_local_warehouse_like_duckdb_direct(
    airflow_db: Path,
    dbx: LocalWarehouse,
    direct_run: dict[str, Any],
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    mark, sessions = dbx.mark(), len(dbx.warehouse.sessions_opened)
    result = _run()
    assert result.state == "success", result.failed()

    # Every task opened sessions in the directory's catalog and schema, and closed them.
    opened = dbx.warehouse.sessions_opened[sessions:]
    assert opened and {(c, s) for _, c, s in opened} == {("idu_demo", "unified")}
    assert {sid for sid, _, _ in opened} <= set(dbx.warehouse.sessions_closed)

    statements = dbx.statements(mark)
    assert not [s for s in statements if re.match(r"\s*USE\s", s, re.I)]  # the session already uses them
    assert not [s for s in statements if first_line(s).upper().startswith("OPTIMIZE")]  # optimize is off
    heads = [first_line(s, width=1000).upper() for s in statements]
    # The writer lease is taken before anything is written; then the setup files run.
    assert "IDU_DEMO.UNIFIED.IDU_WRITER_LEASE" in heads[0]
    work = [h for h in heads if "IDU_WRITER_LEASE" not in h]
    assert work[0].startswith("CREATE") and "UNIFIED_CUSTOMER_ID_GRAPH_UNIFY_LOOP_0" in work[0]
    assert heads[-1].startswith("SELECT TOKEN") and any(
        h.startswith("DELETE FROM IDU_DEMO.UNIFIED.IDU_WRITER_LEASE WHERE TOKEN") for h in heads[-3:]
    )

    # The loop: per iteration CREATE + INSERT of loop_K, then exactly the contract's convergence query.
    plan = read_plan(EXAMPLE_SQL)
    k = result.xcom("loop.unify_loop")["iterations"]
    for i in range(1, k + 1):
        check = plan.loop.convergence_sql(i)
        assert statements.count(check) == 1, f"convergence query of iteration {i}"
        at = statements.index(check)
        table = f"idu_demo.unified.unified_customer_id_graph_unify_loop_{i}"
        assert heads[at - 2].startswith("CREATE OR REPLACE TABLE " + table.upper()), heads[at - 2]
        assert heads[at - 1].startswith("INSERT INTO " + table.upper()), heads[at - 1]
    assert statements.index(plan.loop.final_sql(k)) > statements.index(plan.loop.convergence_sql(k))

    _same_tables_as_direct(dbx, direct_run, tmp_path, result)
    copy = tmp_path / "warehouse_copy.duckdb"
    dbx.warehouse.snapshot(copy, [OUTPUT_SCHEMA, DEMO["schema"]])  # type: ignore[list-item]
    graph = load_identifier_graph(copy, EXAMPLE_YML, source_schema=DEMO["schema"])  # type: ignore[arg-type]
    assert_lookup_matches(
        copy,
        lookup_table="unified.unified_customer_id_lookup",
        graph=graph,
        merge_by_keys=["email", "customer_id", "phone_number"],
    )

    # The extra link opens the warehouse's history at the task's first statement id. The task runner
    # stores it once, under the key the report tab reads (docs/ui.md), for files and the loop alike.
    ids = {h.statement_id for h in dbx.warehouse.history[mark:]}
    for task_id in ("canonicalize.05_canonicalize", "loop.unify_loop"):
        link = result.xcom(task_id, key=QUERY_HISTORY_XCOM_KEY)
        assert link.startswith(f"http://127.0.0.1:{dbx.server.port}/sql/history?queryId="), task_id
        assert link.rsplit("=", 1)[1] in ids
        assert result.xcom(task_id, key="_link_DatabricksQueryHistoryLink") is None

    captured = capfd.readouterr()
    console = captured.out + captured.err + caplog.text
    assert "Unify loop converged" in console  # the logs were captured, so the token check can fail
    _no_token_anywhere(airflow_db, console, result)


@pytest.mark.parametrize(
    ("resume_loop", "added"), [(True, 2), (False, 1)], ids=["with_loop_log", "without_loop_log"]
)
def test_round_trips_per_loop_iteration(
    airflow_db: Path, dbx: LocalWarehouse, resume_loop: bool, added: int
) -> None:
    """Statements per iteration: the iteration's own (its SQL without the USE statements: the label
    rounds of the default loop, CREATE and INSERT of loop_K), then the check (+ the loop-log row that
    makes a retry resume); nothing else."""
    mark = dbx.mark()
    source = DAG_SOURCE.replace(
        'conn_id="idu_databricks"', f'conn_id="idu_databricks", resume_loop={resume_loop}'
    )
    result = _run(source)
    assert result.state == "success", result.failed()
    plan = read_plan(EXAMPLE_SQL)
    k = result.xcom("loop.unify_loop")["iterations"]
    assert k >= 2
    own = [
        s for s in split_statements(plan.loop.sql_for_iteration(2)[0]) if not re.match(r"\s*USE\s", s, re.I)
    ]
    assert len(own) >= 2  # CREATE and INSERT of loop_K at least
    statements = dbx.statements(mark)
    first = statements.index(plan.loop.convergence_sql(1))
    last = statements.index(plan.loop.convergence_sql(k))
    assert len(statements[first + 1 : last + 1]) == (len(own) + added) * (k - 1)
    assert bool([s for s in statements if "unify_loop_log" in s]) is resume_loop


@pytest.mark.parametrize(
    ("fault", "loop_tries"),
    [
        (
            FaultRule(
                kind=FaultKind.STATUS, status=503, retry_after=1, method="ExecuteStatement", match=ITERATION_2
            ),
            1,
        ),
        (FaultRule(kind=FaultKind.DROP, method="ExecuteStatement", match=ITERATION_2, times=4), 2),
    ],
    ids=[
        "503_retried_by_the_connector",
        "dropped_connection_retried_by_airflow",
    ],
)
def test_transient_faults_mid_iteration_resume_with_identical_tables(
    airflow_db: Path,
    dbx: LocalWarehouse,
    direct_run: dict[str, Any],
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    fault: FaultRule,
    loop_tries: int,
) -> None:
    """A fault on iteration 2's CREATE. One 503 (429 alike, tests/warehouse/test_server.py): the connector waits and sends it again. The
    connection dropped four times: the connector gives up, the task is retried and resumes at 2."""
    dbx.faults.add(fault)
    mark = dbx.mark()
    result = _run(_with_retries(), dag_id="idu_databricks_faults")
    assert len(dbx.faults.fired) == fault.times, dbx.faults.fired
    assert result.state == "success", result.failed()
    assert _tries(result, "loop.unify_loop") == loop_tries
    plan = read_plan(EXAMPLE_SQL)
    assert dbx.statements(mark).count(plan.loop.convergence_sql(1)) == 1  # iteration 1 ran once: resumed at 2
    _same_tables_as_direct(dbx, direct_run, tmp_path, result)
    console = "".join(capfd.readouterr())
    if loop_tries == 2:
        assert "transient, Airflow retries the task" in console and "MaxRetryError" in console
    assert TOKEN not in console


def test_sql_error_fails_at_once_naming_file_iteration_and_error_class(
    airflow_db: Path, dbx: LocalWarehouse, capfd: pytest.CaptureFixture[str]
) -> None:
    """Iteration 2's CREATE meets a real engine error in the warehouse (it runs a query on a missing table)."""
    dbx.warehouse.sabotage(ITERATION_2.strip(), "SELECT * FROM idu_demo.unified.table_that_is_not_there")
    result = _run(_with_retries(), dag_id="idu_databricks_sqlerror")
    assert result.state == "failed"
    assert _tries(result, "loop.unify_loop") == 1
    assert result.task_states["canonicalize.05_canonicalize"] == "upstream_failed"
    console = "".join(capfd.readouterr())
    assert "04_unify_loop_iteration_02.sql (iteration 2): statement" in console
    assert "[TABLE_OR_VIEW_NOT_FOUND]" in console and "SQLSTATE: 42P01" in console
    assert "not retried" in console and TOKEN not in console


def test_token_expiring_mid_loop_is_refreshed_and_the_run_succeeds(
    airflow_db: Path,
    local_warehouse: LocalWarehouse,
    monkeypatch: pytest.MonkeyPatch,
    direct_run: dict[str, Any],
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """OAuth service principal: the hook gets tokens from the warehouse; each is refused as expired
    after 5 requests, so the loop task (about 20 statements) needs several mid-loop."""
    local_warehouse.oauth(monkeypatch, "idu_databricks", tokens_last=5)
    issued = local_warehouse.auth.issued
    result = _run(dag_id="idu_databricks_oauth")
    assert result.state == "success", result.failed()
    assert _tries(result, "loop.unify_loop") == 1
    console = "".join(capfd.readouterr()) + caplog.text
    assert "Databricks token refreshed" in console
    assert local_warehouse.auth.issued - issued > len(result.task_states)  # refreshed within tasks
    _same_tables_as_direct(local_warehouse, direct_run, tmp_path, result)


def test_wrong_token_fails_the_first_task_at_once_with_an_auth_error(
    airflow_db: Path,
    local_warehouse: LocalWarehouse,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    wrong = "dapi-this-token-is-wrong-42"
    local_warehouse.use(monkeypatch, "idu_databricks", password=wrong)
    started = time.monotonic()
    result = _run(_with_retries(), dag_id="idu_databricks_badtoken")
    assert time.monotonic() - started < 60  # the whole failed run; the connector's default budget is 15 min
    assert result.state == "failed"
    first = "lease_acquire"  # the run's first task, the first to connect
    assert result.task_states[first] == "failed" and _tries(result, first) == 1
    console = "".join(capfd.readouterr())
    assert (
        "refused the credentials of connection 'idu_databricks' (HTTP 403: Invalid access token)" in console
    )
    assert wrong not in console and TOKEN not in console


def test_killing_the_task_cancels_its_statement_in_the_warehouse(
    airflow_db: Path, dbx: LocalWarehouse, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """SIGTERM while iteration 2's CREATE runs: Airflow's handler calls ``on_kill``, the engine sends
    CancelOperation through the connector, and the warehouse interrupts and records it canceled."""
    dbx.warehouse.slow_statements[ITERATION_2.strip()] = 60
    previous = signal.getsignal(signal.SIGTERM)
    found: list[Any] = []

    def kill_when_running() -> None:
        deadline = time.monotonic() + 120
        while not found and time.monotonic() < deadline:
            found.extend(
                s
                for s in list(dbx.warehouse._statements.values())
                if ITERATION_2.strip() in s.sql and s.state is StatementState.RUNNING
            )
            time.sleep(0.05)
        time.sleep(1.0)  # past ExecuteStatement's answer: the connector knows the statement id
        if found:
            os.kill(os.getpid(), signal.SIGTERM)

    killer = threading.Thread(target=kill_when_running, daemon=True)
    killer.start()
    started = time.monotonic()
    try:
        result = _run(dag_id="idu_databricks_kill")
    finally:
        signal.signal(signal.SIGTERM, previous)
    killer.join(5)
    assert found, "the slow statement never ran"
    assert time.monotonic() - started < 60  # not the 60 s the statement would have taken
    assert result.task_states["loop.unify_loop"] == "failed"
    entry = next(h for h in dbx.warehouse.history if h.statement_id == found[0].statement_id)
    assert entry.state is StatementState.CANCELED
    assert "Cancelling the running Databricks statement" in "".join(capfd.readouterr()) + caplog.text


BIG_PEOPLE = 50_000


def test_generated_50k_people_case_equals_duckdb_direct_and_networkx(
    airflow_db: Path,
    dbx: LocalWarehouse,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A directory generated for other schemas, 50,000 people (about 600,000 source records)."""
    from airflow_idu.generate.config import load_unify_config
    from airflow_idu.generate.sql import generate_sql_directory

    sql_dir = tmp_path / "sql"
    generate_sql_directory(
        load_unify_config(EXAMPLE_YML),
        catalog="idu_big",
        schema="big_unified",
        source_catalog="idu_big",
        source_schema="big_src",
        out_dir=sql_dir,
    )
    direct = tmp_path / "direct.duckdb"
    create_demo_data(direct, schema="big_src", people=BIG_PEOPLE, seed=7)
    raw = dbx.warehouse._db.cursor()  # untranslated DuckDB: copy the same source rows in
    raw.execute("ATTACH ? AS big_direct (READ_ONLY)", [str(direct)])
    raw.execute("CREATE SCHEMA IF NOT EXISTS big_src")
    for table in ("customer_profiles", "orders", "support_tickets", "web_sessions"):
        raw.execute(f"CREATE OR REPLACE TABLE big_src.{table} AS SELECT * FROM big_direct.big_src.{table}")
    raw.execute("DETACH big_direct")
    raw.close()
    monkeypatch.setenv(
        "AIRFLOW_CONN_IDU_BIG_DIRECT", json.dumps({"conn_type": "duckdb", "host": str(direct)})
    )
    source = f"""
from airflow_idu import create_unification_dag
dag = create_unification_dag("DAG_ID", {str(sql_dir)!r}, conn_id="CONN", deferrable=DEFER)
"""

    def run_big(dag_id: str, conn: str, deferrable: bool = False) -> list[int]:
        text = source.replace("DAG_ID", dag_id).replace("CONN", conn).replace("DEFER", str(deferrable))
        result = run_dag(dag_from_file(dag_id, text), logical_date=next(_dates))
        assert result.state == "success", result.failed()
        return [h["updated_count"] for h in result.xcom("loop.unify_loop")["history"]]

    # deferrable=True: the loop's iterations go through the Statement Execution API via the trigger
    # (dag.test() runs it), the other tasks over Thrift (the example-size tests cover the loop over
    # Thrift); the same tables and update counts as DuckDB-direct.
    mark = dbx.mark()
    loops = [
        run_big("idu_big_warehouse", "idu_databricks", deferrable=True),
        run_big("idu_big_direct", "idu_big_direct"),
    ]
    assert loops[0] == loops[1]
    checks = {read_plan(sql_dir).loop.convergence_sql(i) for i in range(1, len(loops[1]) + 1)}
    ran = {h.statement_id for h in dbx.warehouse.history[mark:]}
    by_rest = {s.sql for i, s in list(dbx.warehouse._statements.items()) if i in ran and s.session_id is None}
    assert checks <= by_rest, "an iteration did not go through the Statement Execution API"

    # The warehouse wrote the same tables as DuckDB-direct (sources included), so checking the
    # direct run's lookup against networkx checks the warehouse's too.
    assert set(assert_same_tables(dbx.warehouse, direct, "big_src")) >= {"orders", "web_sessions"}
    compared = assert_same_tables(dbx.warehouse, direct, "big_unified")
    assert "unified_customer_id_lookup" in compared and len(compared) >= 10

    graph = load_identifier_graph(direct, EXAMPLE_YML, source_schema="big_src")
    assert graph.number_of_nodes() > BIG_PEOPLE
    assert_lookup_matches(
        direct,
        lookup_table="big_unified.unified_customer_id_lookup",
        graph=graph,
        merge_by_keys=["email", "customer_id", "phone_number"],
    )
