"""The commit tasks of run state (persistent ids, incremental watermarks): one wiring for both.

A commit follows every task of the phases and the gate and precedes the report and the lease
release. Under ``on_file_error=continue`` later phases still run after a failure, so the commit
waits on all of them (the default all-success rule): only a run whose work all succeeded moves
the state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from airflow.sdk import TaskGroup

from airflow_idu.operators.base import TablesOperator
from airflow_idu.plan import Plan

__all__ = ["render_commit"]


def render_commit(
    operator: type[TablesOperator],
    *,
    task_id: str,
    plan: Plan,
    groups: Iterable[TaskGroup],
    common: Mapping[str, Any],
) -> TablesOperator:
    """``operator`` as ``task_id``, downstream of every task of ``groups``."""
    commit = operator(task_id=task_id, canonical_id=plan.canonical_id, **common)
    [task for group in groups for task in group] >> commit
    return commit
