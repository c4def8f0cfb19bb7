"""The factory's ``persistent_ids`` option: where the two tasks sit, and nothing when it is off."""

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_idu import create_unification_dag, unification_task_group
from airflow_idu.plan.contract import (
    LEASE_RELEASE_TASK_ID,
    PERSISTENT_IDS_COMMIT_TASK_ID,
    PERSISTENT_IDS_STAGE_TASK,
    REPORT_TASK_ID,
)
from tests.sqldir import contract_dir


@pytest.fixture
def sql_dir(tmp_path: Path) -> Path:
    return contract_dir(tmp_path / "sql", iterations=3)


def test_off_by_default_adds_no_task(sql_dir: Path) -> None:
    dag = create_unification_dag("t", sql_dir)
    assert not [t for t in dag.task_ids if "persistent_ids" in t]


@pytest.mark.parametrize("mode", ["beside", "replace"])
def test_stage_after_canonicalize_commit_after_everything(sql_dir: Path, mode: str) -> None:
    dag = create_unification_dag("t", sql_dir, persistent_ids=mode)
    stage = dag.get_task(PERSISTENT_IDS_STAGE_TASK)
    commit = dag.get_task(PERSISTENT_IDS_COMMIT_TASK_ID)
    assert stage.mode == mode
    assert stage.upstream_task_ids == {"canonicalize.drop_old_loop_tables"}  # the group's leaf, after 05
    assert "stats.06_result_key_stats" in stage.downstream_task_ids
    work = {
        t
        for t in dag.task_ids
        if t.split(".")[0] in ("setup", "loop", "canonicalize", "persistent_ids", "stats", "gate")
        or t.split(".")[0] in ("enrichment", "master", "metadata")
    }
    assert work <= commit.upstream_task_ids, sorted(work - commit.upstream_task_ids)
    assert commit.downstream_task_ids == {REPORT_TASK_ID, LEASE_RELEASE_TASK_ID}


def test_inside_a_task_group(sql_dir: Path) -> None:
    from airflow.sdk import DAG

    with DAG("outer", schedule=None) as dag:
        unification_task_group(sql_dir, group_id="idu", persistent_ids="beside")
    assert {f"idu.{PERSISTENT_IDS_STAGE_TASK}", f"idu.{PERSISTENT_IDS_COMMIT_TASK_ID}"} <= set(dag.task_ids)


def test_unknown_mode_is_refused_at_parse_time(sql_dir: Path) -> None:
    with pytest.raises(ValueError, match="persistent_ids must be one of"):
        create_unification_dag("t", sql_dir, persistent_ids="sometimes")
