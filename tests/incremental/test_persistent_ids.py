"""Incremental runs with persistent ids give the tables the default directory gives with the same
persistent-id mode over the same sequence of runs (``beside``: a column beside the canonical id;
``replace``: the canonical id column holds the persistent id, so enriched and master rows carry it).

Two DuckDB files with the same generated data; each day both get the same delivery, one runs the
incremental directory, the other the default one (real Airflow, ``dag.test()``); then every output
table of the two is compared row for row, the lookup with its persistent ids included.
"""

from __future__ import annotations

from pathlib import Path

import pendulum
import pytest

from tests.e2e.runner import dag_from_file, run_dag
from tests.incremental import driver
from tests.incremental.case import BRIDGE_DAY, NEW_FIRST_DAY, build_incremental_case

pytestmark = [pytest.mark.e2e, pytest.mark.beyond_test]

DAG_SOURCE = """
from datetime import timedelta
from airflow_idu import create_unification_dag
dag = create_unification_dag(
    {dag_id!r}, {sql_dir!r}, persistent_ids={mode!r},
    default_args={{"retries": 1, "retry_delay": timedelta(0)}},
)
"""


@pytest.mark.parametrize("mode", ["beside", "replace"])
def test_incremental_runs_with_persistent_ids_equal_the_default_directorys(
    airflow_db: Path, tmp_path: Path, duckdb_conn, mode: str
) -> None:
    cases = {
        kind: build_incremental_case(tmp_path / f"{kind}.duckdb", people=24, seed=5, days=7)
        for kind in ("incremental", "default")
    }
    dirs = {
        "incremental": driver.generate(tmp_path / "inc", incremental=True),
        "default": driver.generate(tmp_path / "full", incremental=False),
    }
    start = pendulum.datetime(2026, 11, 1, tz="UTC")
    for n, day in enumerate((1, NEW_FIRST_DAY, BRIDGE_DAY)):
        for kind, case in cases.items():
            case.deliver(day)
            duckdb_conn(case.database)
            dag_id = f"idu_{kind}_{mode}"
            # parsed for every run, as a worker does (see test_large.py)
            dag = dag_from_file(dag_id, DAG_SOURCE.format(dag_id=dag_id, sql_dir=str(dirs[kind]), mode=mode))
            result = run_dag(dag, logical_date=start.add(days=n))
            assert result.failed() == {}, (kind, day, result.failed())
        found = driver.differences(cases["incremental"].database, cases["default"].database)
        assert found == {}, (day, found)
