"""The factory's persistent-id tasks (docs/persistent-ids.md), rendered after canonicalize and before the report by :func:`airflow_idu.render.phases.render_plan`.

``persistent_ids.stage`` follows canonicalize (the phases after it read the lookup with the ids);
``persistent_ids_commit`` follows every task of the phases and the gate, and precedes the report and
the lease release, so only a run whose work all succeeded moves the state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow.sdk import TaskGroup

from airflow_idu.operators.persistent_ids import PersistentIdsStageOperator
from airflow_idu.plan import Plan
from airflow_idu.plan.contract import (
    PERSISTENT_IDS_GROUP_ID,
    PERSISTENT_IDS_STAGE_TASK_ID,
)
from airflow_idu.runstate.persistent_ids import PersistentIdMode

__all__ = ["render_persistent_ids_stage"]


def render_persistent_ids_stage(plan: Plan, mode: PersistentIdMode, common: Mapping[str, Any]) -> TaskGroup:
    """The ``persistent_ids`` group (one task, ``stage``); the caller chains it after canonicalize."""
    with TaskGroup(group_id=PERSISTENT_IDS_GROUP_ID) as group:
        PersistentIdsStageOperator(
            task_id=PERSISTENT_IDS_STAGE_TASK_ID,
            canonical_id=plan.canonical_id,
            mode=mode.value,
            incremental=plan.incremental is not None,
            **common,
        )
    return group
