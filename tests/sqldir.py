"""Build small SQL directories for tests."""

from __future__ import annotations

from pathlib import Path

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
