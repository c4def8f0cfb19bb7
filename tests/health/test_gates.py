"""Gate verdicts and limits (pure), the gate's place in the DAG, the report's health section, the room rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airflow_idu import create_unification_dag, unification_task_group
from airflow_idu.health.gates import FIRST_RUN, GateLimits, evaluate_gates, failure_message
from airflow_idu.operators.report import render_markdown
from tests.sqldir import contract_dir
from tests.test_architecture import PACKAGE, imported_modules

GIANT = {
    "canonical_id": "GIANT",
    "size": 500,
    "key_types": {"email": 400, "phone_number": 100},
    "top_values": [{"key_type": "phone_number", "value": "5550000000", "records": 120}],
}
SMALL = {"canonical_id": "small", "size": 8, "key_types": {"email": 8}, "top_values": []}
CHURN = {
    "previous_exists": True,
    "identifiers_compared": 1000,
    "identifiers_changed": 30,
    "churn_share": 0.03,
    "clusters_merged": 4,
    "clusters_split": 1,
    "ids_new": 2,
    "ids_gone": 3,
}


def health(churn: dict[str, Any] | None = CHURN) -> dict[str, Any]:
    sizes = {"clusters": 10, "identifiers": 600, "p50": 2, "p99": 500, "max": 500, "buckets": []}
    return {"cluster_sizes": sizes, "largest_clusters": [GIANT, SMALL], "churn": churn}


@pytest.mark.parametrize(
    ("limits", "churn", "previous_max", "failed", "in_message"),
    [
        (GateLimits(), CHURN, 100, [], []),
        (GateLimits(max_cluster_size=499), CHURN, 100, ["max_cluster_size"], ["GIANT", "'5550000000'"]),
        (GateLimits(max_cluster_size=500), CHURN, 100, [], []),
        (
            GateLimits(max_cluster_growth=4),
            CHURN,
            100,
            ["max_cluster_growth"],
            ["grew 5x (100 -> 500", "GIANT"],
        ),
        (GateLimits(max_cluster_growth=5), CHURN, 100, [], []),
        (GateLimits(max_id_churn=0.02), CHURN, 100, ["max_id_churn"], ["30 of 1000", "4 clusters merged"]),
        (GateLimits(max_cluster_growth=1, max_id_churn=0), None, None, [], []),
        (
            GateLimits(max_cluster_size=10, max_id_churn=0.01),
            CHURN,
            100,
            ["max_cluster_size", "max_id_churn"],
            ["2 limit(s) breached"],
        ),
    ],
    ids=[
        "no_limits",
        "size_breached",
        "size_at_limit",
        "growth_breached",
        "growth_at_limit",
        "churn_breached",
        "first_run_passes",
        "two_breaches",
    ],
)
def test_gate_verdicts(
    limits: GateLimits,
    churn: dict | None,
    previous_max: int | None,
    failed: list[str],
    in_message: list[str],
) -> None:
    results = evaluate_gates(limits, health(churn), previous_max=previous_max)
    assert [r.name for r in results] == [
        "max_cluster_size",
        "max_cluster_growth",
        "max_id_churn",
        "min_coverage",
    ]
    assert [r.name for r in results if not r.passed] == failed
    message = failure_message(results, "lookup restored")
    for text in in_message:
        assert text in message
    if churn is None:
        skipped = {r.name: r.skipped_reason for r in results}
        assert skipped["max_cluster_growth"] == skipped["max_id_churn"] == FIRST_RUN


@pytest.mark.parametrize(
    ("values", "error"),
    [
        ({"max_cluster_size": "0"}, "max_cluster_size must be at least 1"),
        ({"max_cluster_growth": 0.5}, "max_cluster_growth must be a factor >= 1"),
        ({"max_id_churn": 1.5}, "max_id_churn must be a share between 0 and 1"),
        ({"max_cluster_size": "big"}, "max_cluster_size must be a int or empty"),
    ],
    ids=["size_zero", "growth_below_one", "churn_above_one", "size_not_a_number"],
)
def test_bad_limits_name_the_param(values: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        GateLimits.from_params(**values)


def test_rendered_empty_params_mean_not_checked() -> None:
    limits = GateLimits.from_params(max_cluster_size="None", max_cluster_growth="", max_id_churn=None)
    assert limits == GateLimits()
    assert GateLimits.from_params(max_cluster_size="45").max_cluster_size == 45


def test_gate_sits_between_canonicalize_and_enrichment_with_trigger_params(tmp_path: Path) -> None:
    sql_dir = contract_dir(tmp_path / "sql", iterations=2)
    dag = create_unification_dag("t", sql_dir, max_cluster_size=5000, max_id_churn=0.1)
    gate = dag.get_task("gate.identity_health")
    assert gate.upstream_task_ids == {"canonicalize.drop_old_loop_tables"}  # stats run beside it
    # lease_release is the writer lease's teardown, downstream of every task
    assert {t.task_id for t in gate.downstream_list} == {
        "enrichment.10_enrich_a",
        "enrichment.10_enrich_b",
        "lease_release",
    }
    assert dag.params["max_cluster_size"] == 5000 and dag.params["max_id_churn"] == 0.1
    assert dag.params["max_cluster_growth"] is None
    assert gate.max_cluster_size == "{{ params.max_cluster_size }}"
    assert dag.get_task("report").gate_task_id == "gate.identity_health"
    with pytest.raises(ValueError, match="max_id_churn"):
        create_unification_dag("t", sql_dir, max_id_churn=2)


def test_embedded_and_continue_runs_never_publish_past_a_failed_gate(tmp_path: Path) -> None:
    import pendulum
    from airflow.sdk import DAG

    sql_dir = contract_dir(tmp_path / "sql", iterations=2)
    with DAG("host", schedule=None, start_date=pendulum.datetime(2025, 1, 1, tz="UTC")) as dag:
        unification_task_group(sql_dir, group_id="idu", max_cluster_size=7, on_file_error="continue")
    gate = dag.get_task("idu.gate.identity_health")
    assert gate.max_cluster_size == "{{ params.max_cluster_size | default(7) }}"
    assert "idu.canonicalize.05_canonicalize" in gate.requires
    for task_id in ("idu.enrichment.10_enrich_a", "idu.master.20_master_m", "idu.metadata.31_filter_lookup"):
        assert "idu.gate.identity_health" in dag.get_task(task_id).requires, task_id
    assert dag.get_task("idu.report").gate_task_id == "idu.gate.identity_health"


def test_report_markdown_has_the_health_section() -> None:
    report = {
        "canonical_id": "uid",
        "total_seconds": 1.0,
        "files_run": 3,
        "loop": {"converged": True, "iterations": 4, "updated_counts": [3, 1, 0]},
        "distinct_canonical_ids": 10,
        "row_counts": {},
        "coverage": {},
        "next_steps": [],
        "health": {
            **health(),
            "identifiers_per_key_type": {"email": 400},
            "shared_values": [{"key_type": "phone_number", "value": "5550000000", "leaders": 99}],
            "gates": [
                r.to_dict() for r in evaluate_gates(GateLimits(max_cluster_size=10), health(), previous_max=1)
            ],
        },
    }
    text = render_markdown(report)
    assert "### Identity health" in text
    assert "| GIANT | 500 | email 400, phone_number 100 | phone_number `5550000000` (120) |" in text
    assert "- FAIL max_cluster_size 10 breached" in text
    assert "30 of 1,000 identifiers (3.00%) changed canonical id" in text


def test_health_room_has_no_airflow_imports() -> None:
    broken = [
        f"{path.name} imports {name}"
        for path in sorted((PACKAGE / "health").rglob("*.py"))
        for name in imported_modules(path)
        if name == "airflow" or name.startswith(("airflow.", "airflow_idu.operators", "airflow_idu.factory"))
    ]
    assert broken == []
