"""Build small SQL directories for tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]

LOOP_1 = """USE CATALOG cat;
USE SCHEMA sch;
CREATE OR REPLACE TABLE cat.sch.uid_graph_unify_loop_1 (follower_id STRING) USING DELTA;
INSERT INTO cat.sch.uid_graph_unify_loop_1 SELECT * FROM cat.sch.uid_graph_unify_loop_0;
"""


def loop_file(k: int, prefix: str = "uid") -> str:
    return LOOP_1.replace("uid_graph_unify_loop_1", f"{prefix}_graph_unify_loop_{k}").replace(
        "uid_graph_unify_loop_0", f"{prefix}_graph_unify_loop_{k - 1}"
    )


def make_sql_dir(root: Path, files: dict[str, str | bytes]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = root / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def contract_dir(root: Path, *, iterations: int = 2, extra: dict[str, str | bytes] | None = None) -> Path:
    files: dict[str, str | bytes] = {
        "01_create_graph.sql": "USE CATALOG cat; USE SCHEMA sch; CREATE TABLE x (a INT);",
        "02_extract_merge.sql": "SELECT 1;",
        "03_source_key_stats.sql": "SELECT 1;",
        "05_canonicalize.sql": "SELECT 1;",
        "06_result_key_stats.sql": "SELECT 1;",
        "10_enrich_a.sql": "SELECT 1;",
        "10_enrich_b.sql": "SELECT 1;",
        "20_master_m.sql": "SELECT 1;",
        "30_unification_metadata.sql": "SELECT 1;",
        "31_filter_lookup.sql": "SELECT 1;",
        "custom_report.sql": "SELECT 1;",
    }
    files.update({f"04_unify_loop_iteration_{k:02d}.sql": loop_file(k) for k in range(1, iterations + 1)})
    files.update(extra or {})
    return make_sql_dir(root, files)


def generate_example(
    out: Path, *, loop: Any = None, merge_iterations: int | None = None, schema: str = "unified"
) -> Path:
    """``examples/customer_unification/unify.yml`` generated into ``out`` with the README's target
    (catalog ``idu_demo``, schema ``unified`` unless ``schema`` is given, sources in ``customer_db``):
    the default loop unless ``loop`` (a ``LoopAlgorithm``) is given, ``merge_iterations`` (iteration
    files) overriding unify.yml's."""
    import yaml

    from airflow_idu.generate.config import parse_unify_config
    from airflow_idu.generate.sql import generate_sql_directory

    raw = yaml.safe_load(
        (REPO / "examples" / "customer_unification" / "unify.yml").read_text(encoding="utf-8")
    )
    if merge_iterations is not None:
        for canonical in raw["canonical_ids"]:
            canonical["merge_iterations"] = merge_iterations
    generate_sql_directory(
        parse_unify_config(raw),
        catalog="idu_demo",
        schema=schema,
        source_catalog="idu_demo",
        source_schema="customer_db",
        out_dir=out,
        **({} if loop is None else {"loop": loop}),
    )
    return out


def append_chain(database: Path, length: int, schema: str = "customer_db") -> None:
    """One chain of ``length`` identifiers (``create_chain_data``'s, worst case for label propagation)
    appended to the four source tables in ``schema`` of ``database``. Its identifiers are those of the
    demo data's person 0 (always a chain) and more, so in demo data it extends that person's chain."""
    import duckdb

    from airflow_idu.demo.data import TABLES, create_chain_data

    create_chain_data(database, schema="idu_chain_tmp", length=length)
    with duckdb.connect(str(database)) as con:
        for table in TABLES:
            con.execute(f"INSERT INTO {schema}.{table} SELECT * FROM idu_chain_tmp.{table}")
        con.execute("DROP SCHEMA idu_chain_tmp CASCADE")
