"""The deferrable unify loop on a ``databricks`` connection against the local warehouse.

``dag.test()`` runs each deferral's trigger in-process: the loop task defers once per iteration,
``UnifyLoopTrigger`` sends the iteration's statements through the Statement Execution API with the
provider's ``DatabricksHook`` (real HTTP to the local warehouse), and ``execute_complete`` records the
iteration with the loop runner. Tables are compared with a DuckDB-direct run of the same DAG.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
import pytest

from airflow_idu.demo.data import create_demo_data
from airflow_idu.plan import read_plan
from tests.conftest import EXAMPLE_SQL
from tests.e2e.runner import RunResult, dag_from_file, run_dag
from tests.warehouse.compare import assert_same_tables
from tests.warehouse.fixture import DEMO, LocalWarehouse, local_warehouse  # noqa: F401

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
def dbx(local_warehouse: LocalWarehouse, monkeypatch: pytest.MonkeyPatch) -> LocalWarehouse:  # noqa: F811
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
    assert (
        "04_unify_loop_iteration_02.sql (iteration 2): statement 3 failed (CREATE OR REPLACE TABLE "
        "idu_demo.unified.unified_customer_id_graph_unify_loop_2" in console
    )
    assert "in iteration 2: TABLE_OR_VIEW_NOT_FOUND: [TABLE_OR_VIEW_NOT_FOUND]" in console
    assert "not retried" in console
    assert console.count("Deferring iteration 2 ") == 1  # failed at once: no retry sent it again
