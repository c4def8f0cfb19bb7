"""The factory's incremental-run tasks (docs/incremental-runs.md), for a directory with the marker.

``incremental.prepare`` runs first (after the lease), before setup: it writes the window the
directory's extract file reads. ``incremental_commit`` follows every task of the phases and the
gate and precedes the report and the lease release, so only a run whose work all succeeded moves
the watermarks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow.sdk import Param, TaskGroup

from airflow_idu.operators.incremental import IncrementalPrepareOperator
from airflow_idu.params import full_refresh_param
from airflow_idu.plan import Plan
from airflow_idu.plan.contract import (
    FULL_REFRESH_PARAM,
    INCREMENTAL_GROUP_ID,
    INCREMENTAL_PREPARE_TASK_ID,
)

__all__ = [
    "FULL_REFRESH_TEMPLATE",
    "incremental_params",
    "render_incremental_prepare",
]

# The DAG's param when it has one (create_unification_dag adds it); inside someone else's DAG: off.
FULL_REFRESH_TEMPLATE = f"{{{{ params.{FULL_REFRESH_PARAM} | default(false) }}}}"


def incremental_params(plan: Plan) -> dict[str, Param]:
    """The trigger form's ``full_refresh``, for an incremental-capable directory only."""
    if plan.incremental is None:
        return {}
    return {FULL_REFRESH_PARAM: full_refresh_param()}


def render_incremental_prepare(plan: Plan, common: Mapping[str, Any]) -> TaskGroup:
    """The ``incremental`` group (one task, ``prepare``); the caller chains it before setup."""
    with TaskGroup(group_id=INCREMENTAL_GROUP_ID) as group:
        IncrementalPrepareOperator(
            task_id=INCREMENTAL_PREPARE_TASK_ID,
            canonical_id=plan.canonical_id,
            sql_dir=str(plan.sql_dir),
            full_refresh=FULL_REFRESH_TEMPLATE,
            **common,
        )
    return group
