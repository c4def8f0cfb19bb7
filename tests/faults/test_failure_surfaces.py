"""Every surface names the task that failed, its state and its first error line.

Each kind of task fails in turn in a real ``dag.test()`` run on a copy of the baseline's file (whose
tables an earlier, successful run wrote): the lease (a mistyped connection id), setup (a syntax error),
the loop (out of iterations at ``max_iterations`` 1), the identity-health gate (``max_cluster_size``
1) and an enrichment file (a syntax error). The Identity report page and ``airflow-idu summary`` must
both say which task failed, in which state, with the first line of the exception the task raised
(read from the task's own log output), say "did not converge" only for the loop case, and say that
the tables are not this run's.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from airflow_idu.cli import main
from airflow_idu.runstatus import FAILURE_XCOM_KEY
from tests.conftest import EXAMPLE_SQL
from tests.faults.conftest import use_connection
from tests.faults.harness import Baseline, FaultDag, fault_dag_source, run

pytestmark = pytest.mark.e2e

BROKEN = "CREATE TABLE idu_demo.unified.broken AS SELECT id, FROM WHERE id = (1"
# The first line of a task's exception as dag.test() prints its log: "airflow.sdk.exceptions.X: <line>".
EXCEPTION = re.compile(r"airflow\.sdk\.exceptions\.\w+: (.+)$", re.M)


@dataclass(frozen=True, kw_only=True)
class Case:
    task_id: str
    error: str  # a part of the first error line the task must have raised
    conn_id: str = "idu_default"
    broken_file: str | None = None
    conf: dict[str, Any] | None = None


CASES = {
    "lease": Case(task_id="lease_acquire", error="connection 'idu_typo' is not defined", conn_id="idu_typo"),
    "setup": Case(
        task_id="setup.01_create_graph",
        error="Expected table name but got 'WHERE'",
        broken_file="01_create_graph.sql",
    ),
    "loop": Case(
        task_id="loop.unify_loop", error="did not converge in 1 iterations", conf={"max_iterations": 1}
    ),
    "gate": Case(
        task_id="gate.identity_health", error="max_cluster_size 1 breached", conf={"max_cluster_size": 1}
    ),
    "enrichment": Case(
        task_id="enrichment.10_enrich_orders",
        error="Expected table name but got 'WHERE'",
        broken_file="10_enrich_orders.sql",
    ),
}


def case_dag(name: str, case: Case, tmp_path: Path) -> Any:
    sql_dir = EXAMPLE_SQL
    if case.broken_file:
        sql_dir = tmp_path / "sql"
        shutil.copytree(EXAMPLE_SQL, sql_dir)
        broken = sql_dir / case.broken_file
        broken.write_text(broken.read_text() + f"\n{BROKEN};\n")
    source = fault_dag_source(f"idu_surfaces_{name}", sql_dir).replace(
        'conn_id="idu_default"', f"conn_id={case.conn_id!r}"
    )
    return FaultDag.load(f"idu_surfaces_{name}", source).dag


def report_page_text(dag_id: str, run_id: str) -> str:
    from html.parser import HTMLParser

    from airflow.utils.session import create_session

    from airflow_idu.ui.collect import load_run
    from airflow_idu.ui.model import build_view
    from airflow_idu.ui.page import render_page

    with create_session() as session:
        stored = load_run(session, dag_id, run_id)
    assert stored is not None
    parts: list[str] = []
    parser = HTMLParser()
    parser.handle_data = parts.append  # type: ignore[method-assign]
    parser.feed(render_page(build_view(stored)))
    return " ".join(parts)


@pytest.mark.parametrize("name", list(CASES))
def test_report_and_summary_name_the_failed_task_its_state_and_first_error_line(
    name: str,
    baseline: Baseline,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    case = CASES[name]
    database = use_connection(monkeypatch, tmp_path / "idu.duckdb")
    shutil.copy(baseline.database, database)  # an earlier run's tables are in the file
    dag = case_dag(name, case, tmp_path)
    capfd.readouterr()
    result = run(dag, conf=case.conf)
    assert result.state == "failed" and result.task_states[case.task_id] == "failed", result.failed()
    raised = EXCEPTION.findall(capfd.readouterr().out)
    recorded = result.xcom(case.task_id, key=FAILURE_XCOM_KEY)
    assert recorded is not None and case.error in recorded["error"]
    assert recorded["error"] in [line.strip() for line in raised], raised  # what the task really raised
    expected = f"Failed: {case.task_id} failed: {recorded['error']}"

    page = report_page_text(result.dag_id, result.run_id)
    args = ["--database", str(database), "--schema", "unified", "--canonical-id", "unified_customer_id"]
    assert main(["summary", *args, "--dag-id", result.dag_id]) == 0
    summary = capfd.readouterr().out
    assert f"Run {result.dag_id} / {result.run_id}: failed" in summary
    assert "as the file holds them now: this run is failed" in summary  # the baseline's tables
    for text in (page, summary):
        assert expected in text, text
        assert ("did not converge" in text) is (name == "loop"), text
