"""Assets for the tables a workflow publishes, so downstream DAGs can schedule on "unified ids refreshed"."""

from __future__ import annotations

from airflow.sdk import Asset

from airflow_idu.plan import Phase, SqlFile
from airflow_idu.plan.contract import TableNames, qualify

__all__ = ["ASSET_GROUP", "published_tables", "table_asset"]

ASSET_GROUP = "airflow-idu"


def table_asset(catalog: str | None, schema: str | None, table: str) -> Asset:
    """``Asset(name="c.s.t", uri="idu://c/s/t")`` — the same whichever engine wrote the table."""
    parts = [p for p in (catalog, schema) if p]
    return Asset(
        name=qualify(catalog, schema, table), uri="idu://" + "/".join([*parts, table]), group=ASSET_GROUP
    )


def published_tables(sql_file: SqlFile, canonical_id: str) -> list[str]:
    """Tables a file publishes, from its contract name alone (nothing is read at parse time)."""
    stem = sql_file.stem
    if sql_file.phase is Phase.CANONICALIZE:
        return [TableNames(prefix=canonical_id).lookup]
    if sql_file.phase is Phase.ENRICHMENT and "_enrich_" in stem:
        return ["enriched_" + stem.split("_enrich_", 1)[1]]
    if sql_file.phase is Phase.MASTER and "_master_" in stem:
        return [stem.split("_master_", 1)[1]]
    return []
