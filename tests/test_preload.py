"""Warm task processes (airflow_idu.preload): after the preload, a task's first statement imports nothing.

Each check runs in a fresh interpreter, as a task process would start: Airflow's SDK imported, then
the preload (the scheduler's, before it forks), then what a task does in ``execute`` (open the engine
through the Airflow connection, send a statement, read the result). Any module imported after the
preload from the packages below is one every task would pay again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from airflow_idu.preload import TASK_MODULES, ModuleSet, _configured_sets

HEAVY = (
    "pandas",
    "pyarrow",
    "numpy",
    "databricks",
    "thrift",
    "duckdb",
    "sqlglot",
    "airflow.providers",
    "airflow_idu",
)

TASK = """
import json, sys
import airflow.sdk
from airflow_idu.preload import ModuleSet, preload
imported = preload((ModuleSet({kind!r}),))
before = set(sys.modules)
from airflow_idu.engines import open_engine
engine = open_engine({conn_id!r})
rows = engine.query({sql!r})
engine.close()
print(json.dumps({{"imported": imported, "rows": [list(r) for r in rows],
                  "new": sorted(set(sys.modules) - before)}}))
"""


def _run_task(
    kind: ModuleSet, conn_id: str, connection: dict[str, Any], sql: str, home: Path
) -> dict[str, Any]:
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(connection),
    }
    code = TASK.format(kind=kind.value, conn_id=conn_id, sql=sql)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if m.startswith(HEAVY)]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", ()),
        ("false", ()),
        ("True", tuple(ModuleSet)),
        ("all", tuple(ModuleSet)),
        ("databricks", (ModuleSet.DATABRICKS,)),
        (" duckdb , databricks ", (ModuleSet.DUCKDB, ModuleSet.DATABRICKS)),
    ],
    ids=["unset", "false", "true", "all", "one-engine", "list-with-spaces"],
)
def test_the_setting_names_the_module_sets(value: str, expected: tuple[ModuleSet, ...]) -> None:
    assert _configured_sets(value) == expected


def test_an_unknown_engine_names_the_setting_and_the_choices() -> None:
    with pytest.raises(ValueError, match=r"\[idu\] preload_task_modules = 'snowflake'.*databricks, duckdb"):
        _configured_sets("snowflake")


PARSE = """
import json, runpy, sys
import airflow.sdk
from airflow_idu.params import _validator
from airflow_idu.preload import ModuleSet, preload
preload((ModuleSet.DAGS,))
before, built = set(sys.modules), _validator.cache_info().misses
dag = runpy.run_path({path!r})["dag"]
print(json.dumps({{"tasks": len(dag.tasks), "new": sorted(set(sys.modules) - before),
                  "preloaded_validators": built, "validators_built": _validator.cache_info().misses - built}}))
"""


def test_parsing_a_factory_dag_imports_nothing_after_the_preload(tmp_path: Path) -> None:
    """A task process parses its DAG file first: our modules, the timetable and asset definitions,
    the providers' asset handlers and the trigger form's validators are there already."""
    path = str(Path(__file__).parents[1] / "dags" / "idu_databricks.py")
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", PARSE.format(path=path)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["tasks"] > 10
    assert [m for m in result["new"] if m.startswith(("airflow", "croniter"))] == []
    # the trigger form's schemas were checked once, before the fork: the parse builds no validator
    assert result["preloaded_validators"] >= 7
    assert result["validators_built"] == 0


def test_a_duckdb_task_imports_nothing_after_the_preload(tmp_path: Path) -> None:
    connection = {"conn_type": "duckdb", "host": str(tmp_path / "task.duckdb")}
    # a construct the translator rewrites into a macro: the translator and the macros run
    sql = "SELECT concat('a', 'b'), sha2('x', 256), base64(unhex('00ff'))"
    result = _run_task(ModuleSet.DUCKDB, "idu_warm", connection, sql, tmp_path)
    assert result["imported"] == list(TASK_MODULES[ModuleSet.DUCKDB])
    assert result["rows"] == [
        ["ab", "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881", "AP8="]
    ]
    assert _heavy(result["new"]) == []


def test_a_databricks_task_imports_nothing_after_the_preload(local_warehouse: Any, tmp_path: Path) -> None:
    result = _run_task(
        ModuleSet.DATABRICKS, "idu_warm", local_warehouse.connection(), "SELECT 41 + 1", tmp_path
    )
    assert result["imported"] == list(TASK_MODULES[ModuleSet.DATABRICKS])
    assert result["rows"] == [[42]]
    assert _heavy(result["new"]) == []
