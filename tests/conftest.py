"""Test session setup: a private AIRFLOW_HOME with a fresh metadata DB, set before Airflow is imported."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pytest

pytest_plugins = ["tests.spark_session"]  # one Spark session for tests/spark and tests/fidelity

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_DIR = REPO / "examples" / "customer_unification"
EXAMPLE_SQL = EXAMPLE_DIR / "sql"
EXAMPLE_YML = EXAMPLE_DIR / "unify.yml"

_HOME = Path(tempfile.mkdtemp(prefix="idu-airflow-home-"))
# dag.test() only runs DAGs that its bundle (the dags folder) contains, so tests write DAG files here.
DAGS_DIR = _HOME / "dags"
DAGS_DIR.mkdir()
os.environ["AIRFLOW_HOME"] = str(_HOME)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS_DIR)
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "False"
os.environ["IDU_EXAMPLE_SQL_DIR"] = str(EXAMPLE_SQL)  # example DAG files are copied into DAGS_DIR
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO")


# What a test needs decides its markers, by where it lives or which fixture it takes, so a new test
# in these places is marked without anyone remembering to: `make unit` runs what none of them mark.
MARKS_BY_PATH: tuple[tuple[str, str], ...] = (
    ("tests/spark/", "spark"),
    ("tests/fidelity/", "spark"),
    ("tests/ui/test_browser.py", "browser"),
    ("tests/scheduler/", "scheduler"),
    ("tests/faults/test_concurrent_runs.py", "scheduler"),
    ("tests/e2e/", "slow"),
    ("tests/faults/", "slow"),
    ("tests/test_bench_smoke.py", "slow"),
    # The incremental loop proven equal to the full loop and networkx on many graphs (~40 s of CPU).
    ("tests/generate/test_incremental.py::test_lookup_and_graph_identical", "slow"),
    ("tests/generate/test_incremental.py::test_later_iterations_touch_only_what_changed", "slow"),
    ("tests/generate/test_incremental.py::test_demo_directory_outputs_identical", "slow"),
    # Subprocesses that import Airflow from scratch, several times each.
    ("tests/health/test_explain.py::test_cli_explain_exit_codes", "slow"),
    ("tests/test_provider.py::test_airflow_cli_lists_the_provider", "slow"),
)
MARKS_BY_FIXTURE: dict[str, str] = {
    "spark": "spark",  # a local JVM
    "airflow_db": "slow",  # real DAG runs (dag.test) on a migrated metadata DB
}
MARKS_BY_MARK: dict[str, str] = {"e2e": "slow", "faults": "slow", "bench": "slow"}


def marks_for(nodeid: str, fixtures: Iterable[str], marks: Iterable[str]) -> set[str]:
    """The markers test ``nodeid`` (``tests/...py::name``) taking ``fixtures`` and marked ``marks`` gets."""
    found = {mark for prefix, mark in MARKS_BY_PATH if nodeid.startswith(prefix)}
    found |= {MARKS_BY_FIXTURE[f] for f in fixtures if f in MARKS_BY_FIXTURE}
    found |= {MARKS_BY_MARK[m] for m in marks if m in MARKS_BY_MARK}
    return found


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        own = {m.name for m in item.iter_markers()}
        for mark in sorted(marks_for(item.nodeid, getattr(item, "fixturenames", ()), own) - own):
            item.add_marker(getattr(pytest.mark, mark))


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
