"""The Databricks path: real ``DatabricksSqlHook``; only the driver's ``connect`` is replaced.

The replacement records every statement and answers from a local DuckDB file (see
``tests/fake_databricks.py``), so the workflow converges for real and the statements,
their order, the session's catalog/schema and the loop's queries can be checked.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pendulum
import pytest

from airflow_idu.demo.data import create_demo_data
from airflow_idu.links import DatabricksQueryHistoryLink
from airflow_idu.plan import first_line, read_plan
from tests.conftest import EXAMPLE_SQL, EXAMPLE_YML
from tests.e2e.runner import dag_from_file, run_dag
from tests.fake_databricks import Recorder
from tests.ground_truth import assert_lookup_matches, load_identifier_graph

pytestmark = pytest.mark.e2e

FAKE_TOKEN = "dapi0123456789abcdefFAKEidu"
HOST = "dbc-fake-1234.cloud.databricks.com"
HTTP_PATH = "/sql/1.0/warehouses/fakewarehouse"

DAG_SOURCE = f"""
from datetime import timedelta
from airflow_idu import create_unification_dag
dag = create_unification_dag("idu_databricks_path", {str(EXAMPLE_SQL)!r}, conn_id="idu_databricks")
"""


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Recorder:
    database = tmp_path / "warehouse.duckdb"
    create_demo_data(database, schema="customer_db", people=300, seed=5)
    monkeypatch.setenv(
        "AIRFLOW_CONN_IDU_DATABRICKS",
        json.dumps(
            {
                "conn_type": "databricks",
                "host": HOST,
                "password": FAKE_TOKEN,
                "extra": {"http_path": HTTP_PATH},
            }
        ),
    )
    rec = Recorder(database=str(database))
    from airflow.providers.databricks.hooks import databricks_sql

    monkeypatch.setattr(databricks_sql.sql, "connect", rec.connect)
    return rec


def test_workflow_runs_through_databricks_sql_hook(
    airflow_db: Path, recorder: Recorder, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    dag = dag_from_file("idu_databricks_path", DAG_SOURCE)
    result = run_dag(dag, logical_date=pendulum.datetime(2026, 3, 1, tz="UTC"))
    assert result.state == "success", result.failed()

    # Every task opened one session with the directory's catalog and schema and the PAT.
    plan = read_plan(EXAMPLE_SQL)
    assert recorder.connects, "the hook never reached the driver"
    for connect in recorder.connects:
        assert (connect["host"], connect["http_path"], connect["token"]) == (HOST, HTTP_PATH, FAKE_TOKEN)
        assert (connect["catalog"], connect["schema"]) == ("idu_demo", "unified")
    assert recorder.closed == len(recorder.connects)

    statements = recorder.statements
    # The session already uses the catalog/schema: the files' USE lines are not sent again.
    assert not [s for s in statements if re.match(r"\s*USE\s", s, re.I)]
    assert not [s for s in statements if first_line(s).upper().startswith("OPTIMIZE")]  # optimize is off

    # Setup files ran first, in order, statement by statement.
    heads = [first_line(s, width=1000).upper() for s in statements]
    # The writer lease is taken before anything is written; then the setup files run.
    assert "IDU_DEMO.UNIFIED.IDU_WRITER_LEASE" in heads[0]
    work = [h for h in heads if "IDU_WRITER_LEASE" not in h]
    assert work[0].startswith("CREATE") and "UNIFIED_CUSTOMER_ID_GRAPH_UNIFY_LOOP_0" in work[0]
    assert heads[-1].startswith("SELECT TOKEN") and any(
        h.startswith("DELETE FROM IDU_DEMO.UNIFIED.IDU_WRITER_LEASE WHERE TOKEN") for h in heads[-3:]
    )

    # The loop: per iteration CREATE + INSERT of loop_K, then exactly the contract's convergence query.
    loop = result.xcom("loop.unify_loop")
    k = loop["iterations"]
    for i in range(1, k + 1):
        check = plan.loop.convergence_sql(i)
        assert statements.count(check) == 1, f"convergence query of iteration {i}"
        at = statements.index(check)
        table = f"idu_demo.unified.unified_customer_id_graph_unify_loop_{i}"
        assert heads[at - 2].startswith("CREATE OR REPLACE TABLE " + table.upper()), heads[at - 2]
        assert heads[at - 1].startswith("INSERT INTO " + table.upper()), heads[at - 1]
    assert plan.loop.final_sql(k) in statements
    assert statements.index(plan.loop.final_sql(k)) > statements.index(plan.loop.convergence_sql(k))
    assert loop["history"][-1]["updated_count"] == 0

    graph = load_identifier_graph(recorder.database, EXAMPLE_YML, source_schema="customer_db")
    assert_lookup_matches(
        recorder.database,
        lookup_table="unified.unified_customer_id_lookup",
        graph=graph,
        merge_by_keys=["email", "customer_id", "phone_number"],
    )

    # Extra link rendered from the recorded query ids.
    link = result.xcom("canonicalize.05_canonicalize", key=DatabricksQueryHistoryLink().xcom_key)
    assert link and link.startswith(f"https://{HOST}/sql/history?queryId=01ef-fake-")

    # The token never reaches XCom, task logs (dag.test() logs to the console) or log files.
    everything = json.dumps([result.xcom(t) for t in result.task_states], default=str)
    assert FAKE_TOKEN not in everything
    captured = capfd.readouterr()
    console = captured.out + captured.err + caplog.text
    assert "Unify loop converged" in console
    assert (
        "Databricks query id" in console or "query_id=01ef-fake-" in console
    )  # the logs were captured, so the check below can fail
    assert FAKE_TOKEN not in console
    written = "".join(p.read_text(errors="replace") for p in airflow_db.rglob("*.log") if p.is_file())
    assert FAKE_TOKEN not in written


@pytest.mark.parametrize(
    ("resume_loop", "per_iteration"),
    [(True, 4), (False, 3)],
    ids=["with_loop_log", "without_loop_log"],
)
def test_round_trips_per_loop_iteration(
    airflow_db: Path, recorder: Recorder, resume_loop: bool, per_iteration: int
) -> None:
    """Statements per iteration: CREATE, INSERT, check (+ the loop-log row that makes a retry resume).

    The seed's script sent six (USE x2, CREATE, INSERT, check, OPTIMIZE).
    """
    source = DAG_SOURCE.replace(
        'conn_id="idu_databricks"', f'conn_id="idu_databricks", resume_loop={resume_loop}'
    )
    dag = dag_from_file("idu_databricks_path", source)
    result = run_dag(dag, logical_date=pendulum.datetime(2026, 3, 2, tz="UTC"))
    assert result.state == "success", result.failed()
    plan = read_plan(EXAMPLE_SQL)
    k = result.xcom("loop.unify_loop")["iterations"]
    assert k >= 3
    statements = recorder.statements
    first = statements.index(plan.loop.convergence_sql(1))
    last = statements.index(plan.loop.convergence_sql(k))
    between = statements[first + 1 : last + 1]
    assert len(between) == per_iteration * (k - 1), between
    log_statements = [s for s in statements if "unify_loop_log" in s]
    assert bool(log_statements) is resume_loop


def test_optimize_param_issues_delta_optimize(airflow_db: Path, recorder: Recorder) -> None:
    dag = dag_from_file("idu_databricks_path", DAG_SOURCE)
    result = run_dag(dag, logical_date=pendulum.datetime(2026, 3, 3, tz="UTC"), conf={"optimize": True})
    assert result.state == "success", result.failed()
    k = result.xcom("loop.unify_loop")["iterations"]
    optimized = {s for s in recorder.statements if s.startswith("OPTIMIZE ")}
    expected = {
        f"OPTIMIZE idu_demo.unified.unified_customer_id_graph_unify_loop_{i}" for i in range(1, k + 1)
    }
    expected |= {
        f"OPTIMIZE idu_demo.unified.{t}"
        for t in ("unified_customer_id_lookup", "customer_master", "enriched_orders", "enriched_web_sessions")
    }
    assert expected <= optimized, expected - optimized


def _databricks_error(kind: str) -> Exception:
    from databricks.sql import exc

    if kind == "dropped_connection":
        return exc.RequestError("Error during request to server: connection reset by peer")
    return exc.ServerOperationError(
        "[TABLE_OR_VIEW_NOT_FOUND] The table or view `missing_table` cannot be found."
    )


@pytest.mark.parametrize(
    ("kind", "expected_state", "loop_tries"),
    [("dropped_connection", "success", 2), ("sql_error", "failed", 1)],
    ids=["dropped_connection_is_retried", "sql_error_fails_at_once"],
)
def test_failures_in_the_loop_close_every_session_and_retry_only_transient_errors(
    airflow_db: Path,
    recorder: Recorder,
    capfd: pytest.CaptureFixture[str],
    kind: str,
    expected_state: str,
    loop_tries: int,
) -> None:
    """A Databricks error in iteration 2's CREATE: retried if the connection dropped, not if the SQL failed."""
    target = "IDU_DEMO.UNIFIED.UNIFIED_CUSTOMER_ID_GRAPH_UNIFY_LOOP_2 "
    fired: list[str] = []

    def fail_once(statement: str) -> Exception | None:
        if not fired and first_line(statement, width=1000).upper().startswith(
            "CREATE OR REPLACE TABLE " + target
        ):
            fired.append(statement)
            return _databricks_error(kind)
        return None

    recorder.fail_on = fail_once
    source = DAG_SOURCE.replace(
        'conn_id="idu_databricks"',
        'conn_id="idu_databricks", default_args={"retries": 2, "retry_delay": timedelta(0)}',
    )
    dag = dag_from_file("idu_databricks_faults", source)
    result = run_dag(dag, logical_date=pendulum.datetime(2026, 3, 4, tz="UTC"))
    assert fired, "the fault never fired"
    assert result.state == expected_state, result.failed()

    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        ti = session.query(TaskInstance).filter_by(run_id=result.run_id, task_id="loop.unify_loop").one()
        assert ti.try_number == loop_tries
    # Every session the tasks opened (one per try) was closed, after success and after failure.
    assert recorder.closed == len(recorder.connects)
    console = "".join(capfd.readouterr())
    assert FAKE_TOKEN not in console
    if kind == "sql_error":
        assert result.task_states["canonicalize.05_canonicalize"] == "upstream_failed"
        assert "04_unify_loop_iteration_02.sql (iteration 2): statement" in console
        assert "TABLE_OR_VIEW_NOT_FOUND" in console and "not retried" in console
    else:
        # The retry resumed at iteration 2: iteration 1 ran once.
        plan = read_plan(EXAMPLE_SQL)
        assert recorder.statements.count(plan.loop.convergence_sql(1)) == 1
        assert result.xcom("loop.unify_loop")["history"][-1]["updated_count"] == 0
