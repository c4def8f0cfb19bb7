"""The identity-health gate in real DAG runs on one DuckDB file: churn across runs, id history
against networkx, a planted junk key refused (previous result kept, no asset events), and the
same junk key published when no gate is set."""

from __future__ import annotations

import json
import os
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import networkx as nx
import pendulum
import pytest

from airflow_idu.demo.data import JUNK_PHONE, create_demo_data
from tests.conftest import DAGS_DIR, EXAMPLE_SQL, EXAMPLE_YML, REPO
from tests.e2e.runner import RunResult, dag_from_file, run_dag
from tests.ground_truth import assert_lookup_matches, expected_canonical_ids, load_identifier_graph
from tests.health.conftest import MERGE_BY_KEYS

pytestmark = pytest.mark.e2e

PEOPLE, SEED = 1000, 3
CONN_ID = "idu_health_e2e"
DAG_ID = "idu_health_gate"
DOWNSTREAM = "idu_downstream_marketing_export"
LOOKUP = "unified.unified_customer_id_lookup"
HISTORY = "unified.unified_customer_id_id_history"
PUBLISHED = (
    "unified_customer_id_lookup",
    "customer_master",
    "enriched_customer_profiles",
    "enriched_orders",
    "enriched_support_tickets",
    "enriched_web_sessions",
)
GATE = "gate.identity_health"

DAG_SOURCE = f"""
from airflow_idu import create_unification_dag
dag = create_unification_dag(
    {DAG_ID!r}, {str(EXAMPLE_SQL)!r}, conn_id={CONN_ID!r}, default_args={{"retries": 0}}, keep_iterations=1
)
"""


@dataclass
class History:
    database: Path
    dag: Any
    runs: list[RunResult] = field(default_factory=list)
    graphs: list[nx.Graph] = field(default_factory=list)  # source graph of each run
    days: Iterator[int] = field(default_factory=lambda: iter(range(1, 28)))

    def run(self, conf: dict[str, Any] | None = None) -> RunResult:
        # A fresh DAG object per run: in-process dag.test() runs leave one run's conf in its params.
        self.dag = dag_from_file(DAG_ID, DAG_SOURCE)
        result = run_dag(
            self.dag, logical_date=pendulum.datetime(2026, 3, next(self.days), tz="UTC"), conf=conf
        )
        self.runs.append(result)
        self.graphs.append(load_identifier_graph(self.database, EXAMPLE_YML, source_schema="customer_db"))
        return result


def published(database: Path) -> dict[str, list[tuple[Any, ...]]]:
    with duckdb.connect(str(database), read_only=True) as con:
        return {t: sorted(con.execute(f"SELECT * FROM unified.{t}").fetchall(), key=repr) for t in PUBLISHED}


def history_rows(database: Path, run_id: str) -> dict[tuple[str, str | None], int]:
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            f"SELECT old_canonical_id, new_canonical_id, identifiers_moved FROM {HISTORY} WHERE run_id = ?",
            [run_id],
        ).fetchall()
    return {(old, new): int(n) for old, new, n in rows}


def add_linking_rows(database: Path, graph: nx.Graph, share: float, seed: int) -> int:
    """Support tickets that each join one existing person's email to another person's phone."""
    rng = random.Random(seed)
    emails = sorted(n for n in graph.nodes if n[0] == "email")
    phones = sorted(n for n in graph.nodes if n[0] == "phone_number")
    with duckdb.connect(str(database)) as con:
        (records,) = con.execute(
            "SELECT (SELECT COUNT(*) FROM customer_db.customer_profiles) + (SELECT COUNT(*) FROM customer_db.orders)"
            " + (SELECT COUNT(*) FROM customer_db.support_tickets) + (SELECT COUNT(*) FROM customer_db.web_sessions)"
        ).fetchone()
        count = max(1, round(records * share))
        rows = [
            (9_000_000_000 + i, rng.choice(emails)[1], rng.choice(phones)[1], "other", 1_900_000_000 + i)
            for i in range(count)
        ]
        con.executemany("INSERT INTO customer_db.support_tickets VALUES (?, ?, ?, ?, ?)", rows)
    return count


def asset_state(run_id: str) -> tuple[list[str], list[int]]:
    """Asset names the run emitted events for; assets queued for the downstream DAG."""
    from airflow.models.asset import AssetDagRunQueue, AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        names = session.scalars(
            select(AssetModel.name)
            .join(AssetEvent, AssetEvent.asset_id == AssetModel.id)
            .where(AssetEvent.source_run_id == run_id)
        ).all()
        queued = session.scalars(
            select(AssetDagRunQueue.asset_id).where(AssetDagRunQueue.target_dag_id == DOWNSTREAM)
        ).all()
    return sorted(names), sorted(queued)


def reset_downstream_queue() -> None:
    """What the scheduler does when it starts the downstream DAG: consume the queued asset events."""
    from airflow.models.asset import AssetDagRunQueue
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session
    from sqlalchemy import delete, update

    with create_session() as session:
        session.execute(delete(AssetDagRunQueue).where(AssetDagRunQueue.target_dag_id == DOWNSTREAM))
        session.execute(update(DagModel).where(DagModel.dag_id == DOWNSTREAM).values(is_paused=False))


@pytest.fixture(scope="module")
def history(airflow_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    """Three runs: first run, unchanged input, then 1% new source rows that join existing people."""
    (DAGS_DIR / f"{DOWNSTREAM}.py").write_text((REPO / "dags" / "idu_downstream.py").read_text())
    database = tmp_path_factory.mktemp("health_runs") / "idu.duckdb"
    create_demo_data(database, schema="customer_db", people=PEOPLE, seed=SEED)
    env = f"AIRFLOW_CONN_{CONN_ID.upper()}"
    os.environ[env] = json.dumps({"conn_type": "duckdb", "host": str(database)})
    hist = History(database=database, dag=dag_from_file(DAG_ID, DAG_SOURCE))
    limits = {"max_cluster_growth": 3, "max_id_churn": 0.5}
    for step in ("first", "unchanged", "linked"):
        if step == "linked":
            add_linking_rows(database, hist.graphs[-1], share=0.01, seed=5)
        result = hist.run(limits)
        assert result.state == "success", (step, result.failed())
    yield hist
    os.environ.pop(env, None)


@pytest.fixture(scope="module")
def junk(history: History) -> History:
    """The same people again, 1% of them sharing one store phone (the earlier runs' lookup stays published)."""
    create_demo_data(history.database, schema="customer_db", people=PEOPLE, seed=SEED, junk_phone_share=0.01)
    return history


def test_first_run_passes_growth_and_churn_gates_and_says_so(history: History) -> None:
    health = history.runs[0].xcom(GATE, key="health")
    assert health == history.runs[0].xcom(GATE)  # pushed and returned: the same dict
    assert health["passed"] is True and health["churn"] is None
    gates = {g["name"]: g for g in health["gates"]}
    for name in ("max_cluster_growth", "max_id_churn"):
        assert gates[name]["passed"] is True
        assert gates[name]["skipped_reason"].startswith("first run: no previous result")
    assert gates["max_cluster_size"]["skipped_reason"] == "not set"
    assert "report task" in gates["min_coverage"]["skipped_reason"]
    assert history_rows(history.database, history.runs[0].run_id) == {}
    report = history.runs[0].xcom("report")
    assert report["health"] == health


def test_unchanged_input_reports_zero_churn_and_empty_history(history: History) -> None:
    churn = history.runs[1].xcom(GATE, key="health")["churn"]
    assert churn["previous_exists"] is True
    assert churn["identifiers_compared"] == history.graphs[1].number_of_nodes()
    assert churn["identifiers_changed"] == 0 and churn["churn_share"] == 0.0
    assert churn["clusters_merged"] == churn["clusters_split"] == churn["ids_new"] == churn["ids_gone"] == 0
    assert history_rows(history.database, history.runs[1].run_id) == {}


def test_new_linking_rows_report_merges_and_history_maps_every_changed_id(history: History) -> None:
    before, after = history.graphs[1], history.graphs[2]
    old_ids = expected_canonical_ids(before, MERGE_BY_KEYS)
    new_ids = expected_canonical_ids(after, MERGE_BY_KEYS)
    pairs = Counter((old_ids[n], new_ids[n]) for n in old_ids if n in new_ids)
    changed = {pair: n for pair, n in pairs.items() if pair[0] != pair[1]}
    assert changed, "the added rows must merge people"
    assert history_rows(history.database, history.runs[2].run_id) == changed

    churn = history.runs[2].xcom(GATE, key="health")["churn"]
    assert churn["identifiers_compared"] == sum(pairs.values())
    assert churn["identifiers_changed"] == sum(changed.values())
    assert churn["churn_share"] == pytest.approx(sum(changed.values()) / sum(pairs.values()), abs=1e-6)
    merged = Counter(new for _, new in pairs)
    assert churn["clusters_merged"] == sum(1 for n in merged.values() if n > 1) > 0
    assert churn["clusters_split"] == 0
    assert churn["ids_gone"] == len(set(old_ids.values()) - set(new_ids.values()))
    assert churn["ids_new"] == len(set(new_ids.values()) - set(old_ids.values()))
    assert_lookup_matches(history.database, lookup_table=LOOKUP, graph=after, merge_by_keys=MERGE_BY_KEYS)


def test_junk_key_fails_the_gate_and_keeps_the_previous_result(
    junk: History, capfd: pytest.CaptureFixture[str]
) -> None:
    before = published(junk.database)
    reset_downstream_queue()
    result = junk.run({"max_cluster_size": 45})
    assert result.state == "failed"
    assert result.task_states[GATE] == "failed"
    assert result.task_states["enrichment.10_enrich_orders"] == "upstream_failed"
    assert result.task_states["master.20_master_customer_master"] == "upstream_failed"
    assert result.task_states["report"] == "upstream_failed"

    health = result.xcom(GATE, key="health")  # pushed before the task failed
    assert health["passed"] is False
    size_gate = next(g for g in health["gates"] if g["name"] == "max_cluster_size")
    assert size_gate["passed"] is False and size_gate["limit"] == 45
    giant = health["largest_clusters"][0]
    assert giant["top_values"][0]["value"] == JUNK_PHONE
    assert giant["size"] == len(nx.node_connected_component(junk.graphs[-1], ("phone_number", JUNK_PHONE)))
    captured = capfd.readouterr()
    console = captured.out + captured.err
    assert "identity health gate failed (1 limit(s) breached): max_cluster_size 45 breached" in console
    assert f"phone_number '{JUNK_PHONE}'" in console and giant["canonical_id"] in console
    assert "restored from" in console

    # Lookup, enriched and master tables are the previous run's, row for row.
    assert published(junk.database) == before
    assert history_rows(junk.database, result.run_id) == {}
    # Nothing was announced: no asset events from this run, nothing queued for the downstream DAG.
    assert asset_state(result.run_id) == ([], [])


def test_junk_key_without_a_gate_is_published_and_reported_first(junk: History) -> None:
    reset_downstream_queue()
    result = junk.run({})
    assert result.state == "success", result.failed()
    report = result.xcom("report")
    giant = report["health"]["largest_clusters"][0]
    assert giant["top_values"][0] == {
        "key_type": "phone_number",
        "value": JUNK_PHONE,
        "records": junk.graphs[-1].degree(("phone_number", JUNK_PHONE)),
    }
    assert giant["size"] == report["health"]["cluster_sizes"]["max"]
    assert report["health"]["shared_values"][0]["value"] == JUNK_PHONE
    names, queued = asset_state(result.run_id)
    assert {"idu_demo.unified.unified_customer_id_lookup", "idu_demo.unified.customer_master"} <= set(names)
    assert len(queued) == 2  # lookup and master: the downstream DAG's condition is met
