"""Test session setup: a private AIRFLOW_HOME with a fresh metadata DB, set before Airflow is imported."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

# one Spark session for tests/spark and tests/fidelity; one Spark Connect server for the spark_connect engine
pytest_plugins = ["tests.spark_session", "tests.spark_connect_server"]

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
