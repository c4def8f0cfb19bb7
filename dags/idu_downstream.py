"""A downstream DAG scheduled on "unified ids refreshed": the assets the example workflow publishes."""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, task

from airflow_idu.assets import table_asset

LOOKUP = table_asset("idu_demo", "unified", "unified_customer_id_lookup")
MASTER = table_asset("idu_demo", "unified", "customer_master")

with DAG(
    "idu_downstream_marketing_export",
    schedule=(LOOKUP & MASTER),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["airflow-idu", "example"],
    doc_md="Runs whenever the example workflow has refreshed both the lookup and the master table.",
) as dag:

    @task
    def announce_refresh(*, triggering_asset_events=None) -> list[str]:
        """Stand-in for a real export: lists which refreshed tables triggered this run."""
        names = sorted(asset.name for asset in (triggering_asset_events or {}))
        print(f"unified ids refreshed: {names}")
        return names

    announce_refresh()
