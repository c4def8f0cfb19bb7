"""The shipped DAG files import cleanly, without connections; a bad directory is an import error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def _dagbag(folder: Path):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(folder))


def test_example_dags_import_without_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.sdk import BaseHook

    def no_lookups(*args: object, **kwargs: object) -> None:
        raise AssertionError("a connection was looked up at DAG-parse time")

    monkeypatch.setattr(BaseHook, "get_connection", no_lookups)
    bag = _dagbag(REPO / "dags")
    assert bag.import_errors == {}
    assert {"idu_example", "idu_databricks", "idu_downstream_marketing_export"} <= set(bag.dag_ids)
    assert bag.dags["idu_example"].get_task("loop.unify_loop").conn_id == "idu_default"
    assert bag.dags["idu_databricks"].get_task("loop.unify_loop").conn_id == "idu_databricks"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda root: root / "nope", "does not exist"),
        (lambda root: (root / "empty").mkdir() or root / "empty", "holds no .sql files"),
        (
            lambda root: (
                (root / "noloop").mkdir()
                or ((root / "noloop" / "01_a.sql").write_text("SELECT 1;") and root / "noloop")
            ),
            "no unify loop files",
        ),
    ],
    ids=["missing", "empty", "no_loop_files"],
)
def test_bad_directory_is_a_clear_import_error(tmp_path: Path, make, message: str) -> None:
    sql_dir = make(tmp_path)
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "bad.py").write_text(
        f"from airflow_idu import create_unification_dag\ndag = create_unification_dag('bad', {str(sql_dir)!r})\n"
    )
    errors = _dagbag(dags).import_errors
    assert len(errors) == 1
    assert message in next(iter(errors.values()))


_PARSE_IMPORTS = """
import json, runpy, sys
import airflow.sdk
before = set(sys.modules)
for path in sys.argv[1:]:
    runpy.run_path(path)
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def test_parsing_the_shipped_dags_imports_no_translator_generator_or_driver(tmp_path: Path) -> None:
    """Heavy imports belong inside ``execute``: a DAG file's parse (every few seconds in the DAG
    processor) loads neither the SQL generator nor the translator nor a database driver."""
    paths = [str(p) for p in sorted((REPO / "dags").glob("idu_*.py"))]
    done = subprocess.run(
        [sys.executable, "-c", _PARSE_IMPORTS, *paths],
        env={**os.environ, "AIRFLOW_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    new = json.loads(done.stdout.strip().splitlines()[-1])
    assert "airflow_idu.factory" in new  # the parse did build the factory's DAGs
    heavy = (
        "airflow_idu.generate",
        "airflow_idu.engines.duckdb",
        "sqlglot",
        "duckdb",
        "databricks.sql",
        "pyspark",
    )
    assert [m for m in new if m.startswith(heavy)] == []
