"""The DAG of an incremental-capable directory: prepare first, the commit after every task, the param."""

from __future__ import annotations

from pathlib import Path

import pytest
from airflow.sdk import DAG

from airflow_idu import create_unification_dag, unification_task_group
from airflow_idu.plan.contract import (
    FULL_REFRESH_PARAM,
    INCREMENTAL_COMMIT_TASK_ID,
    INCREMENTAL_PREPARE_TASK,
    LEASE_ACQUIRE_TASK_ID,
    LEASE_RELEASE_TASK_ID,
    PERSISTENT_IDS_COMMIT_TASK_ID,
    REPORT_TASK_ID,
)
from tests.conftest import EXAMPLE_SQL
from tests.incremental.driver import generate

_OUTSIDE = {LEASE_ACQUIRE_TASK_ID, LEASE_RELEASE_TASK_ID, REPORT_TASK_ID, INCREMENTAL_COMMIT_TASK_ID}


@pytest.fixture(scope="module")
def sql_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("render") / "sql", incremental=True)


@pytest.mark.parametrize("persistent_ids", ["off", "beside"], ids=["ids_off", "ids_beside"])
def test_prepare_runs_first_and_the_commit_after_every_task(sql_dir: Path, persistent_ids: str) -> None:
    dag = create_unification_dag("idu_inc", sql_dir, persistent_ids=persistent_ids)
    prepare, commit = dag.get_task(INCREMENTAL_PREPARE_TASK), dag.get_task(INCREMENTAL_COMMIT_TASK_ID)
    assert prepare.upstream_task_ids == {LEASE_ACQUIRE_TASK_ID}
    assert INCREMENTAL_PREPARE_TASK in dag.get_task("setup.01_create_graph").upstream_task_ids
    work = {t.task_id for t in dag.tasks} - _OUTSIDE - {PERSISTENT_IDS_COMMIT_TASK_ID}
    assert commit.upstream_task_ids == work
    assert INCREMENTAL_COMMIT_TASK_ID in dag.get_task(REPORT_TASK_ID).upstream_task_ids
    assert INCREMENTAL_COMMIT_TASK_ID in dag.get_task(LEASE_RELEASE_TASK_ID).upstream_task_ids
    assert dag.get_task(REPORT_TASK_ID).incremental_task_id == INCREMENTAL_PREPARE_TASK
    assert dag.params[FULL_REFRESH_PARAM] is False
    assert prepare.full_refresh == "{{ params.full_refresh | default(false) }}"


def test_a_directory_without_the_marker_gets_no_incremental_tasks_or_param() -> None:
    dag = create_unification_dag("idu_default", EXAMPLE_SQL)
    assert not [t for t in dag.task_ids if "incremental" in t]
    assert FULL_REFRESH_PARAM not in dag.params
    assert dag.get_task(REPORT_TASK_ID).incremental_task_id is None


def test_inside_an_existing_dag_the_tasks_are_prefixed(sql_dir: Path) -> None:
    with DAG("idu_host", schedule=None) as dag:
        unification_task_group(sql_dir, group_id="idu")
    prepare = dag.get_task(f"idu.{INCREMENTAL_PREPARE_TASK}")
    assert prepare.upstream_task_ids == {f"idu.{LEASE_ACQUIRE_TASK_ID}"}
    assert f"idu.{INCREMENTAL_COMMIT_TASK_ID}" in dag.get_task(f"idu.{REPORT_TASK_ID}").upstream_task_ids
    assert dag.get_task(f"idu.{REPORT_TASK_ID}").incremental_task_id == f"idu.{INCREMENTAL_PREPARE_TASK}"


def test_the_preloaded_validators_cover_every_param_of_an_incremental_dag(sql_dir: Path) -> None:
    """``warm_validators`` (the scheduler's preload) builds the validator of every schema a factory
    DAG checks, ``full_refresh`` included, so a task process's parse builds none (tests/test_preload.py
    checks the shipped DAG file across the fork)."""
    from airflow_idu.params import _validator, warm_validators

    _validator.cache_clear()
    warmed = warm_validators()
    dag = create_unification_dag("idu_inc_warm", sql_dir, max_iterations=7, max_cluster_size=50)
    assert FULL_REFRESH_PARAM in dag.params
    assert warmed == len(dag.params)  # one schema per param: none shared, none left out
    assert _validator.cache_info().misses == warmed
