"""``airflow-idu``: plan, generate, demo-data, summary — through ``main()`` as a user runs them."""

from __future__ import annotations

import filecmp
import json
from pathlib import Path

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
    assert line.split()[:2] == ["20", "master"] and "(4 tasks)" in line


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
