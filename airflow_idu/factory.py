"""The public entry points: a whole DAG, or the workflow as a task group inside an existing DAG.

Both build one :class:`~airflow_idu.render.settings.WorkflowSettings` from their keyword arguments
(validated once) and render the plan phase by phase (:mod:`airflow_idu.render.phases`). DAG-parse
time does: list the directory, read the first loop file (to find the canonical-id prefix, catalog
and schema), create operators. No connection, no database, no SQL splitting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import DAG, TaskGroup
from airflow.sdk.definitions.param import ParamsDict

from airflow_idu.lease.model import LeaseSettings
from airflow_idu.operators.base import DEFAULT_CONN_ID
from airflow_idu.params import unification_params, validated_params
from airflow_idu.plan import Plan, read_plan
from airflow_idu.plan.contract import LEASE_ACQUIRE_TASK_ID, LEASE_RELEASE_TASK_ID, LOOP_TASK_ID
from airflow_idu.render.incremental import incremental_params
from airflow_idu.render.phases import render_context, render_plan
from airflow_idu.render.settings import (
    DEFAULT_WRITER_LEASE,
    FileErrorPolicy,
    ParamTemplates,
    WorkflowSettings,
)
from airflow_idu.runstate.persistent_ids import PersistentIdMode
from airflow_idu.sensors.unify_loop import DEFAULT_MAX_ITERATIONS

__all__ = [
    "LEASE_ACQUIRE_TASK_ID",
    "LEASE_RELEASE_TASK_ID",
    "LOOP_TASK_ID",
    "FileErrorPolicy",
    "LeaseSettings",
    "WorkflowSettings",
    "create_unification_dag",
    "unification_params",
    "unification_task_group",
]

DEFAULT_START_DATE = pendulum.datetime(2024, 1, 1, tz="UTC")
# Transient failures (dropped connection, file lock) are retried with backoff; SQL errors
# fail at once (the operators raise AirflowFailException for those).
DEFAULT_ARGS: dict[str, Any] = {
    "retries": 2,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
}


def create_unification_dag(
    dag_id: str,
    sql_dir: str | Path,
    *,
    conn_id: str = DEFAULT_CONN_ID,
    schedule: Any = None,
    start_date: datetime = DEFAULT_START_DATE,
    max_iterations: int = DEFAULT_MAX_ITERATIONS,
    optimize: bool = False,
    keep_iterations: int | None = None,
    min_coverage: float | None = None,
    max_cluster_size: int | None = None,
    max_cluster_growth: float | None = None,
    max_id_churn: float | None = None,
    on_file_error: FileErrorPolicy | str = FileErrorPolicy.STOP,
    resume_loop: bool = True,
    sql_root: str | Path | None = None,
    deferrable: bool = False,
    writer_lease: LeaseSettings | None = DEFAULT_WRITER_LEASE,
    persistent_ids: PersistentIdMode | str = PersistentIdMode.OFF,
    **dag_kwargs: Any,
) -> DAG:
    """A DAG that runs the SQL directory: task groups ``setup``, ``loop``, ``canonicalize``, ...

    Every run writes the same tables, so ``max_active_runs=1`` and ``catchup=False``
    are the defaults; ``params`` ``max_iterations`` and ``optimize`` show in the
    trigger form. ``sql_root``: when set, ``sql_dir`` must lie inside it. ``resume_loop`` and
    ``deferrable`` (the loop defers to the triggerer on Databricks): see
    :class:`~airflow_idu.sensors.unify_loop.UnifyLoopSensor`. ``writer_lease``: one
    writer per target schema, whatever starts the runs (``lease_acquire`` first,
    ``lease_release`` last; ``None`` turns it off; see docs/concurrency.md). ``persistent_ids``:
    ``off``, ``beside`` or ``replace`` (docs/persistent-ids.md). Other keyword arguments go to
    :class:`~airflow.sdk.DAG`.
    """
    settings = WorkflowSettings.build(f"create_unification_dag({dag_id!r})", **_settings_of(locals()))
    plan = read_plan(sql_dir, allowed_root=settings.sql_root)
    dag_kwargs.setdefault("max_active_runs", 1)
    dag_kwargs.setdefault("catchup", False)
    dag_kwargs.setdefault("tags", ["airflow-idu", plan.canonical_id])
    dag_kwargs.setdefault("doc_md", _doc(plan))
    default_args = {**DEFAULT_ARGS, **(dag_kwargs.get("default_args") or {})}
    # Airflow merges default_args' params into the DAG's (theirs win) when it builds the DAG; the
    # DAG gets its params after its tasks here, so they are merged before the check instead.
    default_params = default_args.pop("params", None) or {}
    dag_kwargs["default_args"] = default_args
    dag_params = validated_params(
        dag_id,
        {
            **settings.params(),
            **incremental_params(plan),
            **(dag_kwargs.pop("params", {}) or {}),
            **default_params,
        },
    )
    with DAG(dag_id, schedule=schedule, start_date=start_date, **dag_kwargs) as dag:
        render_plan(render_context(plan, settings, ParamTemplates.of_dag(), within=dag.task_group))
    _attach_params(dag, dag_params)
    return dag


def _attach_params(dag: DAG, params: ParamsDict) -> None:
    """``dag.params = params``, once the tasks exist, without Airflow's check on assignment.

    Once the tasks exist: Airflow deep-copies the DAG's params into every operator at each
    ``__init__`` level (over half of the parse time at 200 files), and tasks read them from the DAG
    at run time anyway (``process_params`` merges ``dag.params``). Without the check: on assignment
    a scheduled DAG runs ``ParamsDict.validate``, whose ``jsonschema.validate`` checks every schema
    against the meta-schema first (about 5 ms of the 15 ms a warm task process spent parsing the
    DAG file), and ``validated_params`` has just given the same verdicts with cached validators
    (tests/render/test_settings.py compares them). The attribute is then set as Airflow's own
    converter sets it; the converter's merge of ``default_args["params"]`` is done above.
    """
    object.__setattr__(dag, "params", params)


def unification_task_group(
    sql_dir: str | Path,
    *,
    conn_id: str = DEFAULT_CONN_ID,
    group_id: str = "idu",
    max_iterations: int = DEFAULT_MAX_ITERATIONS,
    optimize: bool = False,
    keep_iterations: int | None = None,
    min_coverage: float | None = None,
    max_cluster_size: int | None = None,
    max_cluster_growth: float | None = None,
    max_id_churn: float | None = None,
    on_file_error: FileErrorPolicy | str = FileErrorPolicy.STOP,
    resume_loop: bool = True,
    operator_kwargs: Mapping[str, Any] | None = None,
    sql_root: str | Path | None = None,
    deferrable: bool = False,
    writer_lease: LeaseSettings | None = DEFAULT_WRITER_LEASE,
    persistent_ids: PersistentIdMode | str = PersistentIdMode.OFF,
) -> TaskGroup:
    """The workflow as one task group inside an existing DAG (call inside ``with DAG(...)``).

    ``params.max_iterations`` / ``params.optimize`` of the DAG run win when the DAG defines them.
    The group takes the writer lease itself (``<group_id>.lease_acquire`` / ``lease_release``).
    """
    settings = WorkflowSettings.build(f"unification_task_group({group_id!r})", **_settings_of(locals()))
    plan = read_plan(sql_dir, allowed_root=settings.sql_root)
    with TaskGroup(group_id=group_id) as group:
        values = ParamTemplates.with_defaults(settings)
        render_plan(render_context(plan, settings, values, within=group, operator_kwargs=operator_kwargs))
    return group


def _settings_of(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The entry point's keyword arguments that are settings (its other arguments are its own)."""
    return {name: arguments[name] for name in (f.name for f in fields(WorkflowSettings))}


def _doc(plan: Plan) -> str:
    lines = [
        f"Identity unification for `{plan.canonical_id}` "
        f"(`{plan.catalog}.{plan.schema}`), from `{plan.sql_dir}`.",
        "",
    ]
    lines += [f"- **{p.name}**: {', '.join(f.path.name for f in p.files)}" for p in plan.phases]
    return "\n".join(lines)
