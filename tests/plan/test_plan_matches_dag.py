"""``airflow-idu plan`` shows the dependencies of the DAG the factory builds, task for task.

The DAGs compared against are built from the shipped DAG file ``dags/idu_example.py`` (what ``airflow
dags test idu_example`` runs), once on the example directory and once on an incremental directory."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import pytest

from airflow_idu.cli import main
from airflow_idu.generate.sql import LoopAlgorithm
from tests.conftest import EXAMPLE_SQL, REPO
from tests.sqldir import generate_example

EXAMPLE_DAG_FILE = REPO / "dags" / "idu_example.py"


def example_dag(sql_dir: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> Any:
    """The shipped example DAG file, imported as the DAG processor does, on ``sql_dir``."""
    monkeypatch.setenv("IDU_EXAMPLE_SQL_DIR", str(sql_dir))
    spec = importlib.util.spec_from_file_location(f"idu_example_{name}", EXAMPLE_DAG_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.dag


@pytest.fixture(scope="module")
def full_loop_sql(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example directory is the default (incremental) loop; this is the one ``--loop full`` writes."""
    return generate_example(tmp_path_factory.mktemp("full_loop_sql"), loop=LoopAlgorithm.FULL)


def plan_json(sql_dir: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert main(["plan", str(sql_dir), "--json"]) == 0
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


@pytest.mark.parametrize("directory", ["example", "full_loop"])
def test_plan_upstream_is_the_dags_upstream_for_every_task(
    directory: str,
    full_loop_sql: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sql_dir = EXAMPLE_SQL if directory == "example" else full_loop_sql
    dag = example_dag(sql_dir, monkeypatch, directory)
    planned = {task["task_id"]: task["upstream"] for task in plan_json(sql_dir, capsys)["tasks"]}
    expected = {task.task_id: sorted(task.upstream_task_ids) for task in dag.tasks}
    assert planned == expected


@pytest.mark.parametrize(
    ("row", "waits_for"),
    [
        ("01_create_graph.sql", ["lease_acquire"]),
        ("05_canonicalize.sql", ["canonicalize.keep_previous_lookup", "canonicalize.restore_loop_final"]),
        ("06_result_key_stats.sql", ["canonicalize.drop_old_loop_tables"]),
        ("10_enrich_orders.sql", ["gate.identity_health"]),
    ],
    ids=[
        "setup_after_lease",
        "canonicalize_after_restore_and_keep",
        "stats_after_drop",
        "enrichment_after_gate",
    ],
)
def test_plan_table_shows_what_the_dag_waits_for(
    row: str, waits_for: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", str(EXAMPLE_SQL)]) == 0
    assert table_rows(capsys.readouterr().out)[row] == ", ".join(waits_for)


def table_rows(out: str) -> dict[str, str]:
    """File name -> its "waits for" cell, continuation lines joined."""
    rows: dict[str, str] = {}
    name = ""
    for line in out.split("\n\n", 1)[0].splitlines()[3:]:
        if line.startswith(" "):
            rows[name] += " " + line.strip()
        elif not line.startswith("("):
            _, _, name, waits = line.split(maxsplit=3)
            rows[name] = waits.strip()
    return rows


def test_plan_table_wraps_long_dependency_lists(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(EXAMPLE_SQL)]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 100
    # lease_release waits for every task of the run: all of them are listed, over several lines.
    text = out.split("Tasks besides the files:", 1)[1]
    release = re.search(r"^  lease_release\s+waits for (.*?)(?=^  \S|\Z)", text, re.M | re.S)
    assert release is not None
    listed = " ".join(release.group(1).split()).split(", ")
    expected = example_upstream("lease_release")
    assert listed == expected and len(release.group(0).splitlines()) > 1


def example_upstream(task_id: str) -> list[str]:
    from airflow_idu import create_unification_dag

    return sorted(create_unification_dag("idu_plan_wrap", EXAMPLE_SQL).get_task(task_id).upstream_task_ids)
