"""Report data in the shapes of SHARED-CONTRACTS sections 2 and 3, for tests that render without Airflow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

XSS = "<img src=x onerror=alert(1)>"
T0 = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)


def health(value: str = XSS, passed: bool = True) -> dict[str, Any]:
    buckets = [("1", 1, 1, 40), ("2", 2, 2, 12), ("3-5", 3, 5, 30), ("6-10", 6, 10, 9), ("11-100", 11, 100, 5),
               ("101-1000", 101, 1000, 0), ("1001+", 1001, None, 0)]  # fmt: skip
    return {
        "cluster_sizes": {
            "clusters": 96,
            "identifiers": 420,
            "p50": 3,
            "p99": 38,
            "max": 40,
            "buckets": [{"bucket": b, "min": lo, "max": hi, "clusters": n} for b, lo, hi, n in buckets],
        },
        "largest_clusters": [
            {
                "canonical_id": value,
                "size": 40,
                "key_types": {"email": 20, "phone_number": 20},
                "top_values": [{"key_type": "phone_number", "value": value, "records": 7}],
            }
        ],
        "identifiers_per_key_type": {"email": 200, "customer_id": 120, "phone_number": 100},
        "shared_values": [{"key_type": "email", "value": value, "leaders": 2}],
        "churn": {
            "previous_exists": True,
            "identifiers_compared": 400,
            "identifiers_changed": 8,
            "churn_share": 0.02,
            "clusters_merged": 1,
            "clusters_split": 0,
            "ids_new": 20,
            "ids_gone": 0,
        },
        "gates": [
            {
                "name": "max_cluster_size",
                "limit": 1000,
                "value": 40,
                "passed": True,
                "skipped_reason": None,
                "message": "largest cluster 40 <= 1000",
            },
            {
                "name": "max_churn_share",
                "limit": 0.01,
                "value": 0.02,
                "passed": passed,
                "skipped_reason": None,
                "message": f"churn {value}",
            },
            {
                "name": "min_clusters",
                "limit": None,
                "value": None,
                "passed": True,
                "skipped_reason": "no limit set",
                "message": "",
            },
        ],
        "passed": passed,
    }


def history(counts: list[int]) -> list[dict[str, Any]]:
    return [
        {"iteration": i, "updated_count": n, "rows": 1000 + i, "seconds": 0.5 * i, "source": "file"}
        for i, n in enumerate(counts, start=1)
    ]


def report(counts: list[int], min_coverage: float | None = 0.9) -> dict[str, Any]:
    return {
        "canonical_id": "unified_customer_id",
        "catalog": None,
        "schema": "unified",
        "total_seconds": 42.0,
        "files_run": 20,
        "file_seconds": 12.5,
        "loop": {"converged": True, "iterations": len(counts), "updated_counts": counts},
        "row_counts": {
            "unified_customer_id_graph": 900,
            "unified_customer_id_lookup": 800,
            "customer_master": 300,
            "web_sessions_enriched": 1000,
            "orders_enriched": 500,
        },
        "distinct_canonical_ids": 300,
        "coverage": {
            "web_sessions_enriched": {"rows": 1000, "with_canonical_id": 950, "coverage": 0.95},
            "orders_enriched": {"rows": 500, "with_canonical_id": 400, "coverage": 0.8},
        },
        "next_steps": ["SELECT COUNT(*) FROM unified.orders_enriched WHERE x = '<b>';", "SELECT 1;"],
        "min_coverage": min_coverage,
    }


def tasks(prefix: str, states: dict[str, str]) -> list[tuple[str, str, datetime, datetime]]:
    out, t = [], T0
    for name, state in states.items():
        out.append((prefix + name, state, t, t + timedelta(seconds=3)))
        t += timedelta(seconds=3)
    return out
