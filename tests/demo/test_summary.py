"""``read_summary``: a run's state, failures and iterations, and whose rows the tables hold."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from airflow_idu.demo.summary import read_summary
from airflow_idu.loop.state import run_key
from airflow_idu.runstatus import FAILURE_XCOM_KEY
from airflow_idu.ui.model import RunData, TaskRow

DAG, RUN, EARLIER = "idu_example", "manual__2026-01-02", "manual__2026-01-01"
LOOP = "loop.unify_loop"


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An earlier run's tables and converged loop, and this run's loop that stopped at iteration 1."""
    path = tmp_path_factory.mktemp("summary") / "idu.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA unified")
        con.execute("CREATE TABLE unified.p_lookup AS SELECT 1 AS x")
        con.execute(
            "CREATE TABLE unified.p_unify_loop_log (run_key VARCHAR, iteration BIGINT, updated_count BIGINT, "
            "row_count BIGINT, seconds DOUBLE, source VARCHAR, recorded_at DOUBLE, graph_rows BIGINT)"
        )
        earlier, this = run_key(DAG, EARLIER, LOOP, -1), run_key(DAG, RUN, LOOP, -1)
        con.execute(
            "INSERT INTO unified.p_unify_loop_log VALUES (?, 1, 7, 10, 0.5, 'file', 1.0, 3), "
            "(?, 2, 0, 10, 0.5, 'file', 2.0, 3), (?, 1, 9, 10, 0.5, 'file', 3.0, 3)",
            [earlier, earlier, this],
        )
    return path


def run_data(state: str, tasks: dict[str, str], xcoms: dict[tuple[str, str], Any] | None = None) -> RunData:
    rows = tuple(TaskRow(task_id=t, state=s) for t, s in tasks.items())
    return RunData(dag_id=DAG, run_id=RUN, state=state, tasks=rows, xcoms=xcoms or {})


SQL_ERROR = {"error": "CatalogException: Table x does not exist", "causes": ["AirflowFailException"]}
NOT_CONVERGED = {"error": "unify loop did not converge in 1 iterations", "causes": ["LoopNotConvergedError"]}


@pytest.mark.parametrize(
    ("run", "present", "absent"),
    [
        (
            run_data(
                "failed", {"lease_acquire": "success", LOOP: "failed"}, {(LOOP, FAILURE_XCOM_KEY): SQL_ERROR}
            ),
            [
                f"Run {DAG} / {RUN}: failed",
                f"Failed: {LOOP} failed: CatalogException: Table x does not exist",
                "iteration  1 (file): updated_count=9",
                "Tables: (as the file holds them now: this run is failed",
            ],
            ["did not converge", "updated_count=7"],
        ),
        (
            run_data("failed", {LOOP: "failed"}, {(LOOP, FAILURE_XCOM_KEY): NOT_CONVERGED}),
            ["The unify loop did not converge within 1 iteration(s)", f"Failed: {LOOP} failed: unify loop"],
            ["updated_count=7"],
        ),
        (
            run_data("running", {"lease_acquire": "success", LOOP: "running"}),
            ["This run is running", "this run is running and did not finish writing them"],
            ["Failed:", "did not converge"],
        ),
        (
            run_data("success", {LOOP: "success"}),
            ["Tables:\n", "p_lookup"],
            ["earlier run", "Failed:", "!"],
        ),
    ],
    ids=["failed_loop_sql_error", "loop_out_of_iterations", "running", "success"],
)
def test_summary_of_a_run_says_how_it_ended_and_whose_tables_it_shows(
    database: Path, run: RunData, present: list[str], absent: list[str]
) -> None:
    text = read_summary(database, schema="unified", canonical_id="p", run=run).to_text()
    for part in present:
        assert part in text, text
    for part in absent:
        assert part not in text, text


def test_summary_from_the_file_alone_marks_a_loop_that_has_not_converged(database: Path) -> None:
    text = read_summary(database, schema="unified", canonical_id="p").to_text()
    assert "Run state unknown: pass --dag-id" in text
    assert "The last recorded loop has not converged (iteration 1 updated 9 rows)" in text
    assert "Tables: (as the file holds them now: not written by the run whose loop is shown)" in text
