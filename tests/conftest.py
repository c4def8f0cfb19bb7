"""Test session setup: a private AIRFLOW_HOME with a fresh metadata DB, set before Airflow is imported."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

# one Spark session for tests/spark and tests/fidelity; one Spark Connect server for the spark_connect engine
pytest_plugins = ["tests.spark_session", "tests.spark_connect_server"]

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_DIR = REPO / "examples" / "customer_unification"
EXAMPLE_SQL = EXAMPLE_DIR / "sql"
EXAMPLE_YML = EXAMPLE_DIR / "unify.yml"

_HOME = Path(tempfile.mkdtemp(prefix="idu-airflow-home-"))
_SESSION_PID = os.getpid()


def _remove_home() -> None:
    # a forked child (an executor's worker) inherits this handler: only the session's own process removes
    if os.getpid() == _SESSION_PID:
        shutil.rmtree(_HOME, ignore_errors=True)


atexit.register(_remove_home)  # 8 MB a session (metadata DB, logs, DAG files), else left in /tmp
# dag.test() only runs DAGs that its bundle (the dags folder) contains, so tests write DAG files here.
DAGS_DIR = _HOME / "dags"
DAGS_DIR.mkdir()
os.environ["AIRFLOW_HOME"] = str(_HOME)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS_DIR)
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "False"
os.environ["IDU_EXAMPLE_SQL_DIR"] = str(EXAMPLE_SQL)  # example DAG files are copied into DAGS_DIR
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO")
# the session's own translation cache: never a developer's ~/.cache, and removed with the home
os.environ.setdefault("IDU_TRANSLATION_CACHE", str(_HOME / "translations"))


# What a test needs decides its markers, by where it lives, which fixture it takes or which harness its
# module imports, so a new test is marked without anyone remembering to: `make unit` runs the rest.
MARKS_BY_PATH: tuple[tuple[str, str], ...] = (
    ("tests/spark/", "spark"),
    ("tests/fidelity/", "spark"),
    ("tests/ui/test_browser.py", "browser"),
    ("tests/e2e/", "slow"),
    ("tests/faults/", "slow"),
    # make test runs these in a second pytest process beside the others (Makefile). Stop 49 measured the
    # two at 29.7 and 15.3 minutes (the others' Spark suites had grown), so the DAG-run suites of
    # tests/runstate and tests/health and the Databricks-path file (about 8 minutes) moved here
    ("tests/e2e/test_deferrable.py", "dagruns"),
    ("tests/e2e/test_deferrable_triggerer.py", "dagruns"),
    ("tests/e2e/test_example_dag.py", "dagruns"),
    ("tests/e2e/test_fail_fast.py", "dagruns"),
    ("tests/e2e/test_file_errors.py", "dagruns"),
    ("tests/e2e/test_runs.py", "dagruns"),
    ("tests/e2e/test_trigger_params.py", "dagruns"),
    ("tests/faults/", "dagruns"),
    ("tests/e2e/test_databricks_path.py", "dagruns"),
    ("tests/runstate/test_dag_runs.py", "dagruns"),
    ("tests/runstate/test_persistent_ids.py", "dagruns"),
    ("tests/health/test_gate_runs.py", "dagruns"),
    ("tests/test_bench_smoke.py", "slow"),
    # The incremental loop proven equal to the full loop and networkx on many graphs (~40 s of CPU).
    ("tests/generate/test_incremental.py::test_lookup_and_graph_identical", "slow"),
    ("tests/generate/test_incremental.py::test_later_iterations_touch_only_what_changed", "slow"),
    ("tests/generate/test_incremental.py::test_demo_directory_outputs_identical", "slow"),
    # Shortest chains checked against networkx on a junk-key graph (~30 s of CPU).
    ("tests/health/test_explain.py::test_explain_returns_valid_shortest_chains", "slow"),
    # The 1000-link chains (~5 s each); the 10- and 100-link chains stay in the unit selection.
    ("tests/generate/test_loop.py::test_chain_converges_in_log_iterations[L1000-", "slow"),
    # Two incremental runs and a rebuild (~15 s): a table empty at the last commit is read whole.
    ("tests/incremental/test_exactness.py::test_a_table_empty_at_the_last_commit", "slow"),
    # Persistent ids over ten daily deliveries, and the crash-safety steps (the example unified per day).
    ("tests/runstate/test_persistent_ids.py", "slow"),
    ("tests/runstate/test_crash_safety.py", "slow"),
    # Subprocesses that import Airflow from scratch, several times each.
    ("tests/health/test_explain.py::test_cli_explain_exit_codes", "slow"),
    ("tests/test_provider.py::test_airflow_cli_lists_the_provider", "slow"),
)
MARKS_BY_FIXTURE: dict[str, str] = {
    "spark": "spark",  # a local JVM
    "airflow_db": "slow",  # real DAG runs (dag.test) on a migrated metadata DB
}
MARKS_BY_MARK: dict[str, str] = {"e2e": "slow", "faults": "slow", "bench": "slow"}
MARKS_BY_IMPORT: dict[str, str] = {
    "tests.scheduler.stack": "scheduler",  # a real scheduler and API server
    "tests.ui.stack": "slow",  # a real API server
}


def marks_for(
    nodeid: str, fixtures: Iterable[str], marks: Iterable[str], imports: Iterable[str] = ()
) -> set[str]:
    """The markers test ``nodeid`` (``tests/...py::name``) gets, taking ``fixtures``, marked ``marks``,
    its module importing from ``imports``."""
    found = {mark for prefix, mark in MARKS_BY_PATH if nodeid.startswith(prefix)}
    found |= {MARKS_BY_FIXTURE[f] for f in fixtures if f in MARKS_BY_FIXTURE}
    found |= {MARKS_BY_MARK[m] for m in marks if m in MARKS_BY_MARK}
    found |= {MARKS_BY_IMPORT[i] for i in imports if i in MARKS_BY_IMPORT}
    return found


def imported_from(module: object) -> set[str]:
    """The modules a test module took names (or itself) from."""
    values = vars(module).values() if module is not None else ()
    return {getattr(v, "__module__", None) or getattr(v, "__name__", "") for v in values} - {""}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        own = {m.name for m in item.iter_markers()}
        imports = imported_from(getattr(item, "module", None))
        for mark in sorted(marks_for(item.nodeid, getattr(item, "fixturenames", ()), own, imports) - own):
            item.add_marker(getattr(pytest.mark, mark))


@pytest.fixture(scope="module")
def con() -> Iterator[Any]:
    """An in-memory DuckDB connection with the engine's macros and Python functions (as a task's has),
    one per test module."""
    import duckdb

    from airflow_idu.engines.duckdb.macros import install_macros

    connection = duckdb.connect()
    install_macros(connection)
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """Migrate the metadata DB once per session (a few seconds) for tests that run DAGs."""
    subprocess.run(
        [str(Path(sys.executable).with_name("airflow")), "db", "migrate"],
        check=True,
        capture_output=True,
        env=os.environ.copy(),
    )
    return _HOME


@pytest.fixture
def duckdb_conn(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Point ``idu_default`` at a fresh DuckDB file; returns a function that sets a file."""

    def use(database: Path, **extra: object) -> Path:
        monkeypatch.setenv(
            "AIRFLOW_CONN_IDU_DEFAULT",
            json.dumps({"conn_type": "duckdb", "host": str(database), "extra": extra}),
        )
        return database

    return use


@pytest.fixture
def lease_conn_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An Airflow connection id (``idu_lease``) to a fresh DuckDB file of this test."""
    db = tmp_path / "lease.duckdb"
    monkeypatch.setenv("AIRFLOW_CONN_IDU_LEASE", json.dumps({"conn_type": "duckdb", "host": str(db)}))
    return "idu_lease"


@pytest.fixture
def local_warehouse() -> Iterator[Any]:
    """The process's local SQL warehouse (``tests/warehouse/fixture.py``, started once); faults, expiry
    and slow statements reset after the test."""
    from tests.warehouse.fixture import shared_warehouse

    wh = shared_warehouse()
    wh.reset()
    yield wh
    wh.reset()
