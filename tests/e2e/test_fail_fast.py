"""Errors that will never heal fail on the first try, cause first; a syntax error reads well in the log.

Each case runs the example DAG with ``dag.test()`` and ``retries=2``: the failing task must end
``failed`` on try 1, within seconds. For the syntax error, the same task instance then runs once more
under Airflow's real supervisor, which writes the task log file the UI shows; the test reads that file.
"""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
import pytest

from tests.conftest import EXAMPLE_SQL
from tests.e2e.runner import dag_from_file, run_dag
from tests.e2e.supervised import log_records, rerun_with_log_file

pytestmark = pytest.mark.e2e

FIRST_TASK = "setup.01_create_graph"
LEASE_TASK = "lease_acquire"  # the run's first task: it is the first to open the connection
BROKEN = "CREATE TABLE idu_demo.unified.broken AS SELECT id, FROM WHERE id = (1"


def source(dag_id: str, sql_dir: Path, conn_id: str) -> str:
    return f"""
from datetime import timedelta
from airflow_idu import create_unification_dag
dag = create_unification_dag({dag_id!r}, {str(sql_dir)!r}, conn_id={conn_id!r},
                             default_args={{"retries": 2, "retry_delay": timedelta(seconds=1)}})
"""


def task_instance(result: Any, task_id: str) -> Any:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        ti = session.query(TaskInstance).filter_by(run_id=result.run_id, task_id=task_id).one()
        session.expunge(ti)
        return ti


def failure(path: Path) -> dict[str, Any]:
    """The log record of the task's exception (what the log viewer renders)."""
    records = [r for r in log_records(path) if r.get("event") == "Task failed with exception"]
    assert len(records) == 1, [r.get("event") for r in log_records(path)]
    return records[0]


def run_failing(dag_id: str, sql_dir: Path, conn_id: str, day: int, failing_task: str = FIRST_TASK) -> Any:
    dag = dag_from_file(dag_id, source(dag_id, sql_dir, conn_id))
    result = run_dag(dag, logical_date=pendulum.datetime(2026, 8, day, tz="UTC"))
    assert result.state == "failed"
    assert result.task_states[failing_task] == "failed"
    ti = task_instance(result, failing_task)
    assert ti.try_number == 1, "retried: the error was classified transient"
    # Seconds, not the minutes three tries took; generous for a loaded CI machine (imports dominate).
    assert (ti.end_date - ti.start_date) < timedelta(seconds=60)
    return result


def exception_lines(console: str) -> list[str]:
    """The first line of each task exception in a ``dag.test()`` console log (its task log)."""
    marker = "airflow.sdk.exceptions.AirflowFailException: "
    return [line.split(marker, 1)[1] for line in console.splitlines() if marker in line]


@pytest.mark.parametrize(
    ("case", "cause"),
    [
        ("missing_connection", "connection 'idu_does_not_exist' is not defined"),
        ("missing_directory", "cannot open the database file"),
    ],
)
def test_fails_on_the_first_try_with_the_cause_first(
    airflow_db: Path,
    tmp_path: Path,
    duckdb_conn: Any,
    case: str,
    cause: str,
    capfd: pytest.CaptureFixture[str],
) -> None:
    if case == "missing_connection":
        conn_id = "idu_does_not_exist"
    else:
        conn_id = "idu_default"
        duckdb_conn(tmp_path / "nonexistent_dir" / "x.duckdb")
    # The writer lease's task opens the connection first; it fails at once, with nothing written.
    result = run_failing(
        f"idu_ff_{case}",
        EXAMPLE_SQL,
        conn_id,
        day=1 if case == "missing_connection" else 2,
        failing_task=LEASE_TASK,
    )
    assert result.task_states[FIRST_TASK] == "upstream_failed"
    console = capfd.readouterr().out
    first_lines = exception_lines(console)
    assert len(first_lines) == 1, first_lines  # one try, one exception
    assert cause in first_lines[0]
    # The connection or file is blamed, not the SQL: no statement is named.
    assert "statement 1 failed" not in console and "the same SQL would fail again" not in console


@pytest.fixture
def syntax_error_dir(tmp_path: Path) -> Path:
    target = tmp_path / "sql"
    shutil.copytree(EXAMPLE_SQL, target)
    graph = target / "01_create_graph.sql"
    graph.write_text(graph.read_text().replace("USE SCHEMA unified;", f"USE SCHEMA unified;\n{BROKEN};", 1))
    return target


def test_a_syntax_error_log_says_the_cause_once_without_escape_codes(
    airflow_db: Path, demo_db: Path, syntax_error_dir: Path
) -> None:
    result = run_failing("idu_ff_syntax", syntax_error_dir, "idu_default", day=3)
    log = rerun_with_log_file(result.dag_id, result.run_id, FIRST_TASK)
    text = log.read_text(encoding="utf-8")
    assert "\\u001b" not in text and "\x1b" not in text  # JSON-escaped or raw ANSI codes
    record = failure(log)
    message = record["error_detail"][0]["exc_value"]
    lines = message.splitlines()
    cause = "Expected table name but got 'WHERE'"
    # The cause once, first and short; then the file, the statement number and its first line.
    assert cause in lines[0] and len(lines[0]) <= 160, lines
    assert lines[1].startswith(f"01_create_graph.sql: statement 3 failed ({BROKEN})")
    assert "not retried" in lines[1]
    assert json.dumps(record).count("Expected table name") == 1
    assert "Expecting )" not in text  # the parser's follow-on error after the first one
    # On DuckDB the task stores no Databricks XComs, and rendering its link logs no error.
    assert "XCom not found" not in text
    assert result.xcom(FIRST_TASK, key="databricks_query_history_url") is None
    assert result.xcom(FIRST_TASK, key="_link_DatabricksQueryHistoryLink") is None
