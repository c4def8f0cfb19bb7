"""The example workflow, end to end, through real Airflow on a real DuckDB file."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pendulum
import pytest

from airflow_idu.demo.data import create_chain_data
from tests.conftest import EXAMPLE_YML, REPO
from tests.e2e.runner import dag_from_file, run_dag
from tests.ground_truth import assert_lookup_matches, load_identifier_graph
from tests.sqldir import generate_example

pytestmark = pytest.mark.e2e

MERGE_BY_KEYS = ["email", "customer_id", "phone_number"]
LOOKUP = "unified.unified_customer_id_lookup"


def example_dag():
    return dag_from_file("idu_example", (REPO / "dags" / "idu_example.py").read_text())


@pytest.fixture(scope="module")
def full_loop_sql(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example directory as ``airflow-idu generate --loop full`` writes it (three iteration files)."""
    from airflow_idu.generate.sql import LoopAlgorithm

    return generate_example(tmp_path_factory.mktemp("full_loop_sql"), loop=LoopAlgorithm.FULL)


def test_example_dag_unifies_demo_data(airflow_db: Path, demo_db: Path) -> None:
    result = run_dag(example_dag(), logical_date=pendulum.datetime(2026, 1, 1, tz="UTC"))
    assert result.state == "success", result.failed()
    groups = {t.split(".")[0] for t in result.task_states}
    assert {"setup", "loop", "canonicalize", "stats", "enrichment", "master", "metadata", "report"} <= groups

    loop = result.xcom("loop.unify_loop")
    assert loop["converged"] is True
    history = loop["history"]
    assert [h["iteration"] for h in history] == list(range(1, loop["iterations"] + 1))
    assert history[-1]["updated_count"] == 0
    assert all(h["updated_count"] > 0 for h in history[:-1])
    # The default (incremental) loop settles the demo's chains (13-40 identifiers) within the three
    # iteration files of unify.yml's merge_iterations; the DAG's derived iterations are run below
    # (test_long_chain_..., test_incremental_directory_...).
    assert {h["source"] for h in history} == {"file"}
    assert loop["final_table"] == "idu_demo.unified.unified_customer_id_graph_unify_loop_final"

    graph = load_identifier_graph(demo_db, EXAMPLE_YML, source_schema="customer_db")
    assert_lookup_matches(demo_db, lookup_table=LOOKUP, graph=graph, merge_by_keys=MERGE_BY_KEYS)


def test_report_figures_match_the_tables(airflow_db: Path, demo_db: Path) -> None:
    result = run_dag(example_dag(), logical_date=pendulum.datetime(2026, 1, 2, tz="UTC"))
    assert result.state == "success", result.failed()
    report = result.xcom("report")
    loop = result.xcom("loop.unify_loop")
    with duckdb.connect(str(demo_db), read_only=True) as con:

        def count(sql: str) -> int:
            return con.execute(sql).fetchone()[0]

        for table, rows in report["row_counts"].items():
            assert rows == count(f"SELECT COUNT(*) FROM unified.{table}"), table
        for table, cov in report["coverage"].items():
            with_id = count(f"SELECT COUNT(unified_customer_id) FROM unified.{table}")
            assert cov["with_canonical_id"] == with_id
            assert cov["coverage"] == pytest.approx(with_id / cov["rows"])
        assert report["distinct_canonical_ids"] == count(f"SELECT COUNT(DISTINCT canonical_id) FROM {LOOKUP}")
    assert report["loop"]["iterations"] == loop["iterations"]
    assert report["loop"]["updated_counts"] == [h["updated_count"] for h in loop["history"]]
    assert report["files_run"] == len([t for t in result.task_states if t.split(".")[-1][:2].isdigit()])
    assert set(report["row_counts"]) >= {
        "unified_customer_id_graph",
        "unified_customer_id_lookup",
        "customer_master",
        "enriched_customer_profiles",
        "enriched_web_sessions",
        "enriched_orders",
        "enriched_support_tickets",
    }
    assert any("idu_demo.unified.enriched_orders" in q for q in report["next_steps"])


@pytest.mark.parametrize("length", [1000], ids=["chain_1000"])
def test_long_chain_converges_within_log_bound(
    airflow_db: Path,
    tmp_path: Path,
    duckdb_conn,
    full_loop_sql: Path,
    monkeypatch: pytest.MonkeyPatch,
    length: int,
) -> None:
    """The example DAG on the full-rewrite loop (``--loop full``): a chain of ``length`` takes it
    past its three iteration files (derived iterations) and converges within the log bound."""
    monkeypatch.setenv("IDU_EXAMPLE_SQL_DIR", str(full_loop_sql))
    database = duckdb_conn(tmp_path / "chain.duckdb")
    create_chain_data(database, schema="customer_db", length=length)
    result = run_dag(example_dag(), logical_date=pendulum.datetime(2026, 2, 1, tz="UTC"))
    assert result.state == "success", result.failed()
    loop = result.xcom("loop.unify_loop")
    assert loop["iterations"] <= math.ceil(math.log2(length)) + 3
    assert loop["iterations"] > 3  # beyond the three iteration files
    assert {h["source"] for h in loop["history"]} == {"file", "derived"}
    graph = load_identifier_graph(database, EXAMPLE_YML, source_schema="customer_db")
    assert graph.number_of_nodes() == length
    assert_lookup_matches(database, lookup_table=LOOKUP, graph=graph, merge_by_keys=MERGE_BY_KEYS)


def test_keep_iterations_leaves_one_loop_table(airflow_db: Path, demo_db: Path) -> None:
    result = run_dag(
        example_dag(), logical_date=pendulum.datetime(2026, 1, 3, tz="UTC"), conf={"keep_iterations": 1}
    )
    assert result.state == "success", result.failed()
    k = result.xcom("loop.unify_loop")["iterations"]
    with duckdb.connect(str(demo_db), read_only=True) as con:
        tables = {
            t
            for (t,) in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'unified' "
                "AND table_name LIKE 'unified_customer_id_graph%'"
            ).fetchall()
        }
    # loop_0 (the source links) stays too: identity health and explain read it.
    assert tables == {
        "unified_customer_id_graph",
        "unified_customer_id_graph_unify_loop_0",
        f"unified_customer_id_graph_unify_loop_{k}",
    }


def test_incremental_directory_runs_as_a_dag_and_drops_its_work_tables(
    airflow_db: Path, tmp_path: Path, duckdb_conn
) -> None:
    """``generate`` (its default, incremental loop) for the example unify.yml with two iteration files,
    run by the DAG factory on a chain of 1,000: past the files (a derived iteration), networkx's
    components, and ``keep_iterations`` drops the loop's work tables too."""
    sql_dir = generate_example(tmp_path / "sql", merge_iterations=2)
    database = duckdb_conn(tmp_path / "incremental.duckdb")
    create_chain_data(database, schema="customer_db", length=1000)
    source = (
        "from airflow_idu import create_unification_dag\n"
        f"dag = create_unification_dag('idu_incremental', {str(sql_dir)!r}, conn_id='idu_default', "
        "keep_iterations=1)\n"
    )
    result = run_dag(
        dag_from_file("idu_incremental", source), logical_date=pendulum.datetime(2026, 2, 2, tz="UTC")
    )
    assert result.state == "success", result.failed()
    loop = result.xcom("loop.unify_loop")
    assert 2 <= loop["iterations"] <= 4  # eight rounds per iteration; the full loop needs 11
    assert [h["source"] for h in loop["history"]] == ["file", "file"] + ["derived"] * (loop["iterations"] - 2)
    assert loop["iterations"] > 2, "the chain must outrun the two iteration files"
    with duckdb.connect(str(database), read_only=True) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert "unified_customer_id_lookup" in tables
    assert not {t for t in tables if "_unify_work_" in t}, "work tables left behind"
    graph = load_identifier_graph(database, EXAMPLE_YML, source_schema="customer_db")
    assert_lookup_matches(database, lookup_table=LOOKUP, graph=graph, merge_by_keys=MERGE_BY_KEYS)
