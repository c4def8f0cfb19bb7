"""Stats run beside the gate and the publishing phases only when the files' text allows it."""

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_idu import create_unification_dag
from airflow_idu.plan import read_plan
from airflow_idu.plan.beside import stats_conflicts, stats_run_beside
from airflow_idu.plan.writes import written_tables
from tests.conftest import EXAMPLE_SQL
from tests.sqldir import REPO, contract_dir

STATS = "CREATE OR REPLACE TABLE cat.sch.uid_result_key_stats AS SELECT COUNT(*) AS n FROM cat.sch.uid_graph;"


@pytest.mark.parametrize(
    ("extra", "reasons"),
    [
        ({}, []),
        ({"20_master_m.sql": "-- uid_result_key_stats is not read here\nSELECT 1;"}, []),
        (
            {"20_master_m.sql": "CREATE OR REPLACE TABLE m AS SELECT * FROM cat.sch.uid_result_key_stats;"},
            ["20_master_m.sql names uid_result_key_stats, which the statistics files write"],
        ),
        (
            {"custom_report.sql": "INSERT INTO `cat`.`sch`.`UID_RESULT_KEY_STATS` VALUES (1);"},
            [
                "custom_report.sql names uid_result_key_stats, which the statistics files write",
                "06_result_key_stats.sql names uid_result_key_stats, which custom_report.sql writes",
            ],
        ),
        (
            {"06_result_key_stats.sql": STATS + "\nSELECT COUNT(*) FROM cat.sch.uid_lookup;"},
            ["06_result_key_stats.sql reads uid_lookup, which the identity-health gate restores"],
        ),
        (
            {
                "06_result_key_stats.sql": STATS + "\nSELECT COUNT(*) FROM cat.sch.enriched_a;",
                "10_enrich_a.sql": "CREATE OR REPLACE TABLE cat.sch.enriched_a_tmp AS SELECT 1;\n"
                "DROP TABLE IF EXISTS cat.sch.enriched_a;\n"
                "ALTER TABLE cat.sch.enriched_a_tmp RENAME TO cat.sch.enriched_a;",
            },
            ["06_result_key_stats.sql names enriched_a, which 10_enrich_a.sql writes"],
        ),
    ],
    ids=["independent", "named-in-a-comment", "master-reads-stats", "other-writes-stats",
         "stats-read-the-lookup", "stats-read-an-enriched-table"],
)  # fmt: skip
def test_stats_conflicts(tmp_path: Path, extra: dict[str, str], reasons: list[str]) -> None:
    files = {"06_result_key_stats.sql": STATS, **extra}
    plan = read_plan(contract_dir(tmp_path / "sql", extra=files))
    assert stats_conflicts(plan) == reasons
    assert stats_run_beside(plan) is (not reasons)
    # The DAG follows the verdict: the gate waits for stats only when they run in line.
    dag = create_unification_dag("t", plan.sql_dir)
    gate_upstream = dag.get_task("gate.identity_health").upstream_task_ids
    expected = {"stats.06_result_key_stats"} if reasons else {"canonicalize.drop_old_loop_tables"}
    assert gate_upstream == expected
    # Beside, stats join the line again at the report (and the lease release, after every task).
    in_report = "stats.06_result_key_stats" in dag.get_task("report").upstream_task_ids
    assert in_report is (not reasons)


@pytest.mark.parametrize(
    ("sql", "written"),
    [
        ("MERGE INTO c.s.t USING x ON 1 = 1 WHEN MATCHED THEN UPDATE SET a = 1", {"c.s.t"}),
        ("UPDATE c.s.t SET a = 1", {"c.s.t"}),
        ("DELETE FROM c.s.t WHERE a = 1", {"c.s.t"}),
        ("INSERT OVERWRITE TABLE c.s.t SELECT 1", {"c.s.t"}),
        ("TRUNCATE TABLE c.s.t", {"c.s.t"}),
        ("DROP TABLE IF EXISTS c.s.t", {"c.s.t"}),
        ("ALTER TABLE c.s.t_tmp RENAME TO c.s.t", {"c.s.t_tmp", "c.s.t"}),
        ("SELECT last_update FROM c.s.t", set()),
        ("SELECT 1 -- then UPDATE c.s.u", {"c.s.u"}),
    ],
    ids=["merge", "update", "delete", "overwrite", "truncate", "drop", "rename", "read-only",
         "a-comment-counts"],
)  # fmt: skip
def test_written_tables(sql: str, written: set[str]) -> None:
    assert written_tables(sql) == written


@pytest.mark.parametrize(
    "sql_dir",
    [EXAMPLE_SQL, REPO / "bench" / "baseline_sql", REPO / "tests" / "fidelity" / "handwritten" / "sql"],
    ids=["ours", "before-the-incremental-loop", "hand-written"],
)
def test_known_directories_run_stats_beside(sql_dir: Path) -> None:
    assert stats_conflicts(read_plan(sql_dir)) == []
