"""``airflow-idu``: plan, generate, demo-data, summary — through ``main()`` as a user runs them."""

from __future__ import annotations

import filecmp
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from airflow_idu.cli import main
from tests.conftest import EXAMPLE_SQL, EXAMPLE_YML


def test_plan_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(EXAMPLE_SQL), "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert (plan["canonical_id"], plan["catalog"], plan["schema"]) == (
        "unified_customer_id",
        "idu_demo",
        "unified",
    )
    assert [p["name"] for p in plan["phases"]] == [
        "setup",
        "loop",
        "canonicalize",
        "stats",
        "enrichment",
        "master",
        "metadata",
    ]
    assert plan["phases"][0]["files"] == [
        "01_create_graph.sql",
        "02_extract_merge.sql",
        "03_source_key_stats.sql",
    ]


def test_plan_table_shows_order_phase_file_and_dependencies(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(EXAMPLE_SQL)]) == 0
    out = capsys.readouterr().out
    assert "\033[" not in out  # no colour when stdout is not a terminal
    line = next(x for x in out.splitlines() if "20_master_customer_master.sql" in x)
    assert line.split()[:2] == ["20", "master"] and "enrichment.10_enrich_customer_profiles" in line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plan", "/no/such/dir"], "does not exist"),
        (["generate", "/no/such/unify.yml", "--catalog", "c", "--schema", "s", "-o", "/tmp/x"], "unify.yml"),
    ],
    ids=["plan_missing_dir", "generate_missing_yml"],
)
def test_bad_input_exits_non_zero_with_message(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) != 0
    assert message in capsys.readouterr().err


def test_generate_reproduces_the_committed_example(tmp_path: Path) -> None:
    out = tmp_path / "sql"
    args = [
        "generate",
        str(EXAMPLE_YML),
        "--catalog",
        "idu_demo",
        "--schema",
        "unified",
        "--source-catalog",
        "idu_demo",
        "--source-schema",
        "customer_db",
        "-o",
        str(out),
    ]
    assert main(args) == 0
    names = sorted(p.name for p in EXAMPLE_SQL.iterdir())
    assert sorted(p.name for p in out.iterdir()) == names
    _, mismatch, errors = filecmp.cmpfiles(EXAMPLE_SQL, out, names, shallow=False)
    assert mismatch == [] and errors == []


def test_demo_data_and_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "demo.duckdb"
    assert main(["demo-data", "--database", str(db), "--people", "50", "--seed", "3"]) == 0
    assert "for 50 people" in capsys.readouterr().out
    with duckdb.connect(str(db)) as con:
        assert con.execute("SELECT COUNT(*) FROM customer_db.customer_profiles").fetchone()[0] > 0
        con.execute("CREATE SCHEMA unified")
        con.execute("CREATE TABLE unified.p_lookup AS SELECT 1 AS x")
        con.execute(
            "CREATE TABLE unified.p_unify_loop_log (run_key VARCHAR, iteration BIGINT, updated_count BIGINT, "
            "row_count BIGINT, seconds DOUBLE, source VARCHAR, recorded_at DOUBLE)"
        )
        con.execute("INSERT INTO unified.p_unify_loop_log VALUES ('a', 1, 7, 10, 0.5, 'file', 1.0)")
    assert main(["summary", "--database", str(db), "--schema", "unified", "--canonical-id", "p"]) == 0
    out = capsys.readouterr().out
    assert "iteration  1 (file): updated_count=7" in out and "p_lookup" in out


def test_plan_lists_the_tasks_the_dag_adds_besides_the_files(capsys: pytest.CaptureFixture[str]) -> None:
    from airflow_idu import create_unification_dag
    from airflow_idu.plan.contract import DROP_LOOP_TABLES_TASK_ID, REPORT_TASK_ID, RESTORE_FINAL_TASK_ID

    assert main(["plan", str(EXAMPLE_SQL), "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    listed = [t["task_id"] for t in plan["extra_tasks"]]
    # In DAG order, and together with the files and the loop row exactly the DAG's tasks.
    expected = [
        f"canonicalize.{RESTORE_FINAL_TASK_ID}",
        f"canonicalize.{DROP_LOOP_TABLES_TASK_ID}",
        REPORT_TASK_ID,
    ]
    assert [t for t in listed if t in expected] == expected
    files = {f"{p['name']}.{f.removesuffix('.sql')}" for p in plan["phases"] for f in p["files"]}
    dag_tasks = set(create_unification_dag("idu_plan_check", EXAMPLE_SQL).task_ids)
    assert set(listed) == dag_tasks - files - {"loop.unify_loop"}
    restore = next(t for t in plan["extra_tasks"] if t["task_id"] == expected[0])
    assert restore["upstream"] == ["loop.unify_loop"]
    assert main(["plan", str(EXAMPLE_SQL)]) == 0
    table = capsys.readouterr().out
    assert all(task_id in table for task_id in listed)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["summary", "--database", "{tmp}/missing.duckdb", "--schema", "unified", "--canonical-id", "p"],
            "missing.duckdb does not exist; run the DAG first",
        ),
        (
            ["summary", "--database", "{tmp}/demo.duckdb", "--schema", "nope", "--canonical-id", "p"],
            "no run of 'p' in schema 'nope' (no table nope.p_unify_loop_log); schemas in the file: customer_db",
        ),
        (
            ["demo-data", "--database", "{tmp}/no_such_dir/x.duckdb", "--people", "5"],
            "no_such_dir does not exist; create it or choose another --database",
        ),
    ],
    ids=["summary_missing_file", "summary_missing_schema", "demo_data_missing_directory"],
)
def test_missing_file_or_schema_is_one_clear_line(
    tmp_path: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo-data", "--database", str(tmp_path / "demo.duckdb"), "--people", "5"]) == 0
    capsys.readouterr()
    assert main([a.replace("{tmp}", str(tmp_path)) for a in args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"airflow-idu {args[0]}: error: ") and message in err


def test_every_subcommand_and_option_has_help() -> None:
    import argparse

    from airflow_idu.cli import _parser

    def undocumented(parser: argparse.ArgumentParser, path: str) -> list[str]:
        missing = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                helps = {c.dest: c.help for c in action._choices_actions}
                missing += [f"{path} {name}" for name in action.choices if not helps.get(name)]
                for name, sub in action.choices.items():
                    missing += undocumented(sub, f"{path} {name}")
            elif not action.help:
                missing.append(f"{path} {action.dest}")
        return missing

    assert undocumented(_parser(), "airflow-idu") == []


def _parsers() -> dict[str, Any]:
    import argparse

    from airflow_idu.cli import _parser

    found: dict[str, Any] = {}

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        found[path] = parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, f"{path} {name}")

    walk(_parser(), "airflow-idu")
    return found


@pytest.mark.parametrize("command", sorted(_parsers()), ids=lambda c: c.replace(" ", "_"))
def test_help_is_plain_text_with_a_description(command: str) -> None:
    parser = _parsers()[command]
    text = parser.format_help()
    for markup in ("``", ":class:", ":func:", ":param", ".. ", "`_"):
        assert markup not in text, (command, markup)
    if command.count(" ") == 1 and command != "airflow-idu warehouse":  # the commands a user runs
        assert parser.description, f"{command} has no description"
