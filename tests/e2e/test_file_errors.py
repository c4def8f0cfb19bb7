"""A failing SQL file: the default stops downstream; ``on_file_error="continue"`` runs later phases
but the run still ends failed, and nothing runs past a loop that did not converge."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pendulum
import pytest

from tests.conftest import EXAMPLE_SQL
from tests.e2e.runner import dag_from_file, run_dag

pytestmark = pytest.mark.e2e


@pytest.fixture
def broken_sql_dir(tmp_path: Path) -> Path:
    target = tmp_path / "sql"
    shutil.copytree(EXAMPLE_SQL, target)
    enrich = target / "10_enrich_orders.sql"
    enrich.write_text(
        enrich.read_text().replace(
            "FROM idu_demo.customer_db.orders", "FROM idu_demo.customer_db.no_such_table", 1
        )
    )
    return target


def source(dag_id: str, sql_dir: Path, policy: str) -> str:
    return f"""
from datetime import timedelta
from airflow_idu import create_unification_dag
dag = create_unification_dag({dag_id!r}, {str(sql_dir)!r}, on_file_error={policy!r},
                             default_args={{"retries": 1, "retry_delay": timedelta(0)}})
"""


def tables(database: Path) -> set[str]:
    with duckdb.connect(str(database), read_only=True) as con:
        return {
            t
            for (t,) in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'unified'"
            ).fetchall()
        }


@pytest.mark.parametrize("policy", ["stop", "continue"])
def test_failing_file(
    airflow_db: Path, demo_db: Path, broken_sql_dir: Path, policy: str, capfd: pytest.CaptureFixture[str]
) -> None:
    dag = dag_from_file(f"idu_err_{policy}", source(f"idu_err_{policy}", broken_sql_dir, policy))
    result = run_dag(dag, logical_date=pendulum.datetime(2026, 7, 1, tz="UTC"))
    states = result.task_states
    assert result.state == "failed"
    assert states["enrichment.10_enrich_orders"] == "failed"
    assert states["enrichment.10_enrich_web_sessions"] == "success"  # same phase, independent
    console = capfd.readouterr().out
    # The error names the file, the statement number and first line, and the engine's message.
    assert "10_enrich_orders.sql: statement" in console and "no_such_table" in console
    assert "not retried: the same SQL would fail again" in console
    if policy == "stop":
        assert states["metadata.30_unification_metadata"] == "upstream_failed"
        assert states["report"] == "upstream_failed"
    else:
        assert states["metadata.30_unification_metadata"] == "success"
        assert states["report"] == "failed"
        assert "the run continued past failed tasks: enrichment.10_enrich_orders" in console
        assert "unification_metadata" in tables(demo_db)


def test_continue_never_runs_past_an_unconverged_loop(airflow_db: Path, demo_db: Path) -> None:
    dag = dag_from_file("idu_err_loop", source("idu_err_loop", EXAMPLE_SQL, "continue"))
    # One iteration never converges (its count compares loop_1 with the unmerged loop_0).
    result = run_dag(dag, logical_date=pendulum.datetime(2026, 7, 2, tz="UTC"), conf={"max_iterations": 1})
    states = result.task_states
    assert result.state == "failed"
    assert states["loop.unify_loop"] == "failed"
    assert states["canonicalize.05_canonicalize"] == "upstream_failed"
    later = [t for t in states if t.split(".")[0] in ("stats", "enrichment", "master", "metadata")]
    assert later and all(states[t] == "skipped" for t in later), {t: states[t] for t in later}
    assert states["report"] == "failed"
    published = tables(demo_db)
    assert not [t for t in published if t.startswith("enriched_") or t.endswith(("_lookup", "_master"))]
