"""How users run it: manual triggers with params, scheduled runs, backfill-style runs, reschedule mode."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pendulum
import pytest

from tests.conftest import EXAMPLE_SQL, EXAMPLE_YML
from tests.e2e.runner import dag_from_file, run_dag
from tests.ground_truth import assert_lookup_matches, load_identifier_graph
from tests.sqldir import append_chain, generate_example

pytestmark = pytest.mark.e2e

AUDIT_SQL = """USE CATALOG idu_demo;
USE SCHEMA unified;
CREATE TABLE IF NOT EXISTS idu_demo.unified.run_audit (ds STRING, interval_end STRING, run_id STRING);
-- Rendered per run: a backfill of several dates writes one row per logical date.
INSERT INTO idu_demo.unified.run_audit VALUES ('{{ ds }}', '{{ data_interval_end }}', '{{ run_id }}');
"""


@pytest.fixture
def templated_sql_dir(tmp_path: Path) -> Path:
    target = tmp_path / "sql"
    shutil.copytree(EXAMPLE_SQL, target)
    (target / "40_run_audit.sql").write_text(AUDIT_SQL)
    return target


def dag_source(dag_id: str, sql_dir: Path, extra: str = "", after: str = "") -> str:
    return f"""
from datetime import timedelta
from airflow_idu import create_unification_dag
dag = create_unification_dag(
    {dag_id!r}, {str(sql_dir)!r}, default_args={{"retries": 1, "retry_delay": timedelta(0)}}, {extra}
)
{after}
"""


def audit_rows(database: Path) -> list[tuple[str, str, str]]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute("SELECT ds, interval_end, run_id FROM unified.run_audit ORDER BY ds").fetchall()


def test_manual_trigger_param_max_iterations_is_a_hard_limit(
    airflow_db: Path, demo_db: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    dag = dag_from_file("idu_params", dag_source("idu_params", EXAMPLE_SQL))
    # One iteration never converges (its count compares loop_1 with the unmerged loop_0).
    result = run_dag(dag, logical_date=pendulum.datetime(2026, 4, 1, tz="UTC"), conf={"max_iterations": 1})
    assert result.state == "failed"
    assert result.task_states["loop.unify_loop"] == "failed"
    # Nothing downstream reads a graph that has not converged.
    assert result.task_states["canonicalize.05_canonicalize"] == "upstream_failed"
    assert result.task_states["report"] == "upstream_failed"
    captured = capfd.readouterr()
    console = captured.out + captured.err
    assert "did not converge in 1 iterations (max_iterations); last updated_count" in console
    assert "raise max_iterations" in console
    # Failed at once, without the retry the DAG allows for transient errors.
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        ti = (
            session.query(TaskInstance)
            .filter_by(dag_id="idu_params", run_id=result.run_id, task_id="loop.unify_loop")
            .one()
        )
        assert ti.try_number == 1


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        ({"max_iterations": -1}, "max_iterations"),
        ({"max_iterations": "ten"}, "max_iterations"),
        ({"min_coverage": 1.5}, "min_coverage"),
        ({"optimize": "yes please"}, "optimize"),
    ],
    ids=["negative", "not_a_number", "coverage_above_one", "optimize_not_bool"],
)
def test_invalid_trigger_params_are_rejected_before_anything_runs(
    airflow_db: Path, demo_db: Path, conf: dict, message: str
) -> None:
    dag = dag_from_file("idu_bad_params", dag_source("idu_bad_params", EXAMPLE_SQL))
    with pytest.raises(Exception, match=message):
        run_dag(dag, logical_date=pendulum.datetime(2026, 4, 2, tz="UTC"), conf=conf)
    with duckdb.connect(str(demo_db), read_only=True) as con:
        assert (
            con.execute(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'unified'"
            ).fetchone()[0]
            == 0
        )


def test_backfill_style_runs_render_each_logical_date(
    airflow_db: Path, demo_db: Path, templated_sql_dir: Path
) -> None:
    dag = dag_from_file("idu_backfill", dag_source("idu_backfill", templated_sql_dir, 'schedule="@daily",'))
    dates = [pendulum.datetime(2026, 1, d, tz="UTC") for d in (1, 2)]
    for date in dates:
        result = run_dag(dag, logical_date=date)
        assert result.state == "success", result.failed()
    rows = audit_rows(demo_db)
    assert [r[0] for r in rows] == ["2026-01-01", "2026-01-02"]
    assert len({r[2] for r in rows}) == 2  # one run each
    graph = load_identifier_graph(demo_db, EXAMPLE_YML, source_schema="customer_db")
    assert_lookup_matches(
        demo_db,
        lookup_table="unified.unified_customer_id_lookup",
        graph=graph,
        merge_by_keys=["email", "customer_id", "phone_number"],
    )


def test_scheduled_run_uses_the_timetables_interval(
    airflow_db: Path, demo_db: Path, templated_sql_dir: Path
) -> None:
    dag = dag_from_file(
        "idu_scheduled",
        dag_source(
            "idu_scheduled",
            templated_sql_dir,
            'schedule="0 3 * * *", start_date=__import__("pendulum").datetime(2026, 5, 1, tz="UTC"),',
        ),
    )
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import TimeRestriction

    info = coerce_to_core_timetable(dag.timetable).next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(earliest=dag.start_date, latest=None, catchup=True),
    )
    assert info.logical_date == pendulum.datetime(2026, 5, 1, 3, tz="UTC")
    interval = (info.data_interval.start, info.data_interval.end)
    result = run_dag(dag, logical_date=info.logical_date, scheduled_interval=interval)
    assert result.state == "success", result.failed()
    assert result.run_id.startswith("scheduled__")
    (row,) = audit_rows(demo_db)
    assert row[0] == "2026-05-01"
    assert row[1].startswith(str(info.data_interval.end.date()))
    assert row[2] == result.run_id


def test_reschedule_mode_keeps_history_between_pokes(airflow_db: Path, demo_db: Path, tmp_path: Path) -> None:
    """One iteration per poke, each poke a new process reading the loop log: the same history as in
    poke mode. The default loop with two iteration files, on the demo data plus a chain of 1,000
    identifiers: three pokes, the last one a derived iteration."""
    sql_dir = generate_example(tmp_path / "sql", merge_iterations=2)
    append_chain(demo_db, 1000)
    poke = dag_from_file("idu_poke", dag_source("idu_poke", sql_dir))
    poke_history = run_dag(poke, logical_date=pendulum.datetime(2026, 6, 1, tz="UTC")).xcom("loop.unify_loop")
    reschedule = dag_from_file(
        "idu_reschedule",
        dag_source("idu_reschedule", sql_dir, after='dag.get_task("loop.unify_loop").mode = "reschedule"'),
    )
    assert reschedule.get_task("loop.unify_loop").mode == "reschedule"
    result = run_dag(reschedule, logical_date=pendulum.datetime(2026, 6, 2, tz="UTC"))
    assert result.state == "success", result.failed()
    loop = result.xcom("loop.unify_loop")
    strip = [{k: v for k, v in h.items() if k != "seconds"} for h in loop["history"]]
    assert strip == [{k: v for k, v in h.items() if k != "seconds"} for h in poke_history["history"]]
    assert loop["history"][-1]["updated_count"] == 0 and loop["iterations"] > 2  # past the two files
    assert loop["history"][-1]["source"] == "derived"


def test_optimize_is_a_logged_no_op_on_duckdb(
    airflow_db: Path, demo_db: Path, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    dag = dag_from_file("idu_optimize", dag_source("idu_optimize", EXAMPLE_SQL))
    result = run_dag(dag, logical_date=pendulum.datetime(2026, 6, 3, tz="UTC"), conf={"optimize": True})
    assert result.state == "success", result.failed()
    captured = capfd.readouterr()
    # Engine lines go through stdlib logging (caplog here; the task log in a real worker).
    console = captured.out + captured.err + caplog.text
    assert (
        "OPTIMIZE idu_demo.unified.unified_customer_id_graph_unify_loop_1 — skipped: OPTIMIZE is a no-op on DuckDB"
        in console
    )
