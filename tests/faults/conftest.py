"""Fixtures of the fault suite: demo data made once and copied, the suite's SQL directory, one
undisturbed baseline run."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_idu.demo.data import create_demo_data
from tests.faults import injector
from tests.faults.harness import Baseline, FaultDag, fault_dag_source, run, snapshot
from tests.faults.reliability import Collector
from tests.sqldir import append_chain, generate_example

PEOPLE = 200
SEED = 7
# The default (incremental) loop settles the demo's chains (13-40 identifiers) in two iterations; one
# chain of 1,000 identifiers takes it to a third, which the directory's two iteration files make a
# derived one.
CHAIN = 1000
MERGE_ITERATIONS = 2


@pytest.fixture(scope="session")
def source_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Demo source data plus one long chain, generated once; every test works on its own copy."""
    database = tmp_path_factory.mktemp("source") / "source.duckdb"
    create_demo_data(database, schema="customer_db", people=PEOPLE, seed=SEED)
    append_chain(database, CHAIN)
    return database


@pytest.fixture(scope="session")
def fault_sql_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example unify.yml as ``airflow-idu generate`` writes it by default (the incremental loop),
    with two iteration files instead of three: iteration 3 on is derived."""
    return generate_example(tmp_path_factory.mktemp("fault_sql"), merge_iterations=MERGE_ITERATIONS)


def use_connection(mp: pytest.MonkeyPatch, database: Path) -> Path:
    mp.setenv("AIRFLOW_CONN_IDU_DEFAULT", json.dumps({"conn_type": "duckdb", "host": str(database)}))
    return database


@pytest.fixture
def fault_db(source_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the source data behind ``idu_default``."""
    database = tmp_path / "idu.duckdb"
    shutil.copy(source_db, database)
    return use_connection(monkeypatch, database)


@pytest.fixture(scope="session")
def fault_dag(airflow_db: Path, fault_sql_dir: Path) -> FaultDag:
    """The suite's SQL directory as a DAG with fast retries (2, no delay)."""
    return FaultDag.load("idu_faults", fault_dag_source("idu_faults", fault_sql_dir))


@pytest.fixture(scope="session")
def baseline(fault_dag: FaultDag, source_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Baseline:
    """One undisturbed run: the tables every disturbed run must reproduce row for row."""
    database = tmp_path_factory.mktemp("baseline") / "idu.duckdb"
    shutil.copy(source_db, database)
    with pytest.MonkeyPatch.context() as mp:
        use_connection(mp, database)
        injector.reset()
        result = run(fault_dag.dag)
    assert result.state == "success", result.failed()
    loop = result.xcom("loop.unify_loop")
    assert [h["source"] for h in loop["history"]][:3] == ["file", "file", "derived"], (
        "the fault suite needs a derived iteration (iteration 3: the directory has two iteration files)"
    )
    return Baseline(database=database, tables=snapshot(database), loop=loop, task_states=result.task_states)


@pytest.fixture(autouse=True)
def _clean_injector() -> Iterator[None]:
    injector.reset()
    yield
    injector.reset()


@pytest.fixture(scope="session")
def collector() -> Iterator[Collector]:
    """Counts of what the suite did; written to docs/reliability.md with IDU_WRITE_RELIABILITY_DOC=1."""
    coll = Collector()
    yield coll
    coll.write_if_requested()
