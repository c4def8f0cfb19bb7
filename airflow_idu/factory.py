"""Render a plan as Airflow task groups. The only module that creates tasks.

DAG-parse time does: list the directory, read the first loop file (to find the
canonical-id prefix, catalog and schema), create operators. No connection, no
database, no SQL splitting.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import pairwise
from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import DAG, TaskGroup, TriggerRule

from airflow_idu.assets import published_tables, table_asset
from airflow_idu.factory_persistent_ids import (
    persistent_id_mode,
    render_persistent_ids_commit,
    render_persistent_ids_stage,
)
from airflow_idu.operators.base import DEFAULT_CONN_ID
from airflow_idu.operators.health import IdentityHealthGateOperator, KeepPreviousLookupOperator
from airflow_idu.operators.lease import LeaseGuard, LeaseReleaseOperator, LeaseSettings
from airflow_idu.operators.loop_tables import (
    CanonicalizeFileOperator,
    DropLoopTablesOperator,
    RestoreLoopFinalOperator,
)
from airflow_idu.operators.report import UnificationReportOperator
from airflow_idu.operators.sql_file import IduSqlFileOperator
from airflow_idu.params import HEALTH_PARAMS, unification_params, validated_params
from airflow_idu.plan import Phase, PhasePlan, Plan, read_plan
from airflow_idu.plan.contract import (
    DROP_LOOP_TABLES_TASK_ID,
    GATE_GROUP_ID,
    GATE_TASK_ID,
    KEEP_PREVIOUS_TASK_ID,
    LEASE_ACQUIRE_TASK_ID,
    LEASE_RELEASE_TASK_ID,
    LOOP_TASK_ID,
    REPORT_TASK_ID,
    RESTORE_FINAL_TASK_ID,
    TableNames,
    task_path,
)
from airflow_idu.runstate.persistent_ids import PersistentIdMode
from airflow_idu.sensors.lease import LeaseAcquireSensor, LeasedUnifyLoopSensor
from airflow_idu.sensors.unify_loop import DEFAULT_MAX_ITERATIONS, UnifyLoopSensor

__all__ = [
    "LEASE_ACQUIRE_TASK_ID",
    "LEASE_RELEASE_TASK_ID",
    "LOOP_TASK_ID",
    "FileErrorPolicy",
    "LeaseSettings",
    "create_unification_dag",
    "unification_params",
    "unification_task_group",
]


class FileErrorPolicy(StrEnum):
    """What a failed SQL file does to the rest of the run."""

    STOP = "stop"  # downstream does not run (default)
    # Later phases still run (the replaced script's interactive "continue"); the run ends failed all the same,
    # and nothing runs past a loop or canonicalize that did not succeed.
    CONTINUE = "continue"


_CONTINUE_PHASES = (Phase.STATS, Phase.ENRICHMENT, Phase.MASTER, Phase.METADATA, Phase.OTHER)

DEFAULT_WRITER_LEASE = LeaseSettings()
# Airflow 3.3 can fail a reschedule-mode sensor when a poke's executor event arrives after the next
# poke started (apache/airflow#71172); waiting again on a retry is always safe for lease_acquire.
LEASE_ACQUIRE_RETRIES = 3
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
    ``lease_release`` last; ``None`` turns it off; see docs/concurrency.md). Other keyword
    arguments go to :class:`~airflow.sdk.DAG`. ``persistent_ids``: ``off``, ``beside`` or ``replace``
    (docs/persistent-ids.md).
    """
    plan = read_plan(sql_dir, allowed_root=sql_root)
    dag_kwargs.setdefault("max_active_runs", 1)
    dag_kwargs.setdefault("catchup", False)
    dag_kwargs.setdefault("tags", ["airflow-idu", plan.canonical_id])
    dag_kwargs.setdefault("doc_md", _doc(plan))
    dag_kwargs["default_args"] = {**DEFAULT_ARGS, **(dag_kwargs.get("default_args") or {})}
    params = unification_params(
        max_iterations=max_iterations,
        optimize=optimize,
        keep_iterations=keep_iterations,
        min_coverage=min_coverage,
        max_cluster_size=max_cluster_size,
        max_cluster_growth=max_cluster_growth,
        max_id_churn=max_id_churn,
    )
    params.update(dag_kwargs.pop("params", {}) or {})
    dag_params = validated_params(dag_id, params)
    with DAG(dag_id, schedule=schedule, start_date=start_date, **dag_kwargs) as dag:
        render_plan(
            plan,
            conn_id=conn_id,
            max_iterations="{{ params.max_iterations }}",
            optimize="{{ params.optimize }}",
            keep_iterations="{{ params.keep_iterations }}",
            min_coverage="{{ params.min_coverage }}",
            health_limits={name: f"{{{{ params.{name} }}}}" for name in HEALTH_PARAMS},
            on_file_error=on_file_error,
            resume_loop=resume_loop,
            deferrable=deferrable,
            writer_lease=writer_lease,
            persistent_ids=persistent_ids,
        )
    # Params are attached once the tasks exist: Airflow deep-copies the DAG's params into
    # every operator at each __init__ level (over half of the parse time at 200 files),
    # and tasks read them from the DAG at run time anyway (process_params merges dag.params).
    dag.params = dag_params
    return dag


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
    plan = read_plan(sql_dir, allowed_root=sql_root)
    with TaskGroup(group_id=group_id) as group:
        render_plan(
            plan,
            conn_id=conn_id,
            max_iterations=f"{{{{ params.max_iterations | default({int(max_iterations)}) }}}}",
            optimize=f"{{{{ params.optimize | default({bool(optimize)}) }}}}",
            keep_iterations=f"{{{{ params.keep_iterations | default({keep_iterations}) }}}}",
            min_coverage=f"{{{{ params.min_coverage | default({min_coverage}) }}}}",
            health_limits={
                "max_cluster_size": f"{{{{ params.max_cluster_size | default({max_cluster_size}) }}}}",
                "max_cluster_growth": f"{{{{ params.max_cluster_growth | default({max_cluster_growth}) }}}}",
                "max_id_churn": f"{{{{ params.max_id_churn | default({max_id_churn}) }}}}",
            },
            on_file_error=on_file_error,
            resume_loop=resume_loop,
            operator_kwargs=operator_kwargs,
            deferrable=deferrable,
            writer_lease=writer_lease,
            persistent_ids=persistent_ids,
        )
    return group


def render_plan(
    plan: Plan,
    *,
    conn_id: str,
    max_iterations: int | str,
    optimize: bool | str,
    keep_iterations: int | str | None = None,
    min_coverage: float | str | None = None,
    health_limits: Mapping[str, Any] | None = None,
    on_file_error: FileErrorPolicy | str = FileErrorPolicy.STOP,
    resume_loop: bool = True,
    operator_kwargs: Mapping[str, Any] | None = None,
    deferrable: bool = False,
    writer_lease: LeaseSettings | None = None,
    persistent_ids: PersistentIdMode | str = PersistentIdMode.OFF,
) -> list[TaskGroup]:
    """One task group per phase, chained in phase order (between the lease tasks, if any); the
    ``gate`` group after stats."""
    policy = _policy(on_file_error)
    pid_mode = persistent_id_mode(persistent_ids)
    common = {"conn_id": conn_id, "catalog": plan.catalog, "schema": plan.schema, **(operator_kwargs or {})}
    acquire, guard = None, None
    if writer_lease is not None:
        guard = LeaseGuard(ttl=writer_lease.ttl, chain=common.pop("pre_execute", None))
        acquire = LeaseAcquireSensor(
            task_id=LEASE_ACQUIRE_TASK_ID,
            ttl=writer_lease.ttl,
            poke_interval=writer_lease.poke_interval,
            **{"retries": LEASE_ACQUIRE_RETRIES, **common},
        )
    lease_common = common
    common = {**common, "pre_execute": guard} if guard else common
    groups: list[TaskGroup] = []
    loop_task_id = ""
    for phase in plan.phases:
        with TaskGroup(group_id=phase.name) as group:
            if phase.phase is Phase.LOOP:
                loop_kwargs = (
                    {**common, "pre_execute": guard.chain, "lease_guard": guard} if guard else common
                )
                loop_task_id = (LeasedUnifyLoopSensor if guard else UnifyLoopSensor)(
                    task_id=LOOP_TASK_ID,
                    loop_files=[str(p) for p in plan.loop.files],
                    canonical_id=plan.canonical_id,
                    max_iterations=max_iterations,
                    optimize=optimize,
                    resume_loop=resume_loop,
                    deferrable=deferrable,
                    **loop_kwargs,
                ).task_id
            else:
                extra = {"optimize": optimize, **_continue_kwargs(plan, phase, policy, loop_task_id)}
                tasks = _render_files(plan, phase, common, extra, loop_task_id)
            if phase.phase is Phase.CANONICALIZE:
                loop_kwargs = {"canonical_id": plan.canonical_id, "loop_task_id": loop_task_id, **common}
                restore = RestoreLoopFinalOperator(task_id=RESTORE_FINAL_TASK_ID, **loop_kwargs)
                keep = KeepPreviousLookupOperator(
                    task_id=KEEP_PREVIOUS_TASK_ID, canonical_id=plan.canonical_id, **common
                )
                keep >> tasks[0]
                drop = DropLoopTablesOperator(
                    task_id=DROP_LOOP_TABLES_TASK_ID,
                    keep_iterations=keep_iterations,
                    max_iterations=max_iterations,
                    **loop_kwargs,
                )
                restore >> tasks[0]
                tasks[-1] >> drop
        if groups:
            groups[-1] >> group
        groups.append(group)
        if phase.phase is Phase.CANONICALIZE and pid_mode is not PersistentIdMode.OFF:
            groups[-1] >> (stage := render_persistent_ids_stage(plan, pid_mode, common))
            groups.append(stage)
        if phase.phase is _gate_after(plan):
            gate = _render_gate(plan, loop_task_id, policy, min_coverage, health_limits or {}, common)
            groups[-1] >> gate
            groups.append(gate)
    last: list[Any] = []
    if plan.phase(Phase.CANONICALIZE) and pid_mode is not PersistentIdMode.OFF:
        last.append(render_persistent_ids_commit(plan, groups, common))
    if plan.phase(Phase.CANONICALIZE):
        report_kwargs: dict[str, Any] = {}
        if policy is FileErrorPolicy.CONTINUE:
            report_kwargs = {"trigger_rule": TriggerRule.ALL_DONE, "fail_on_failed_tasks": True}
        if last:
            report_kwargs["persistent_ids_task_id"] = last[0].task_id
        report = _render_report(plan, loop_task_id, min_coverage, {**common, **report_kwargs})
        groups[-1] >> report
        last >> report
        last.append(report)
    if acquire is not None:
        _render_release(acquire, groups, last, lease_common)
    return groups


def _gate_after(plan: Plan) -> Phase | None:
    """The gate follows stats (or canonicalize, without stats): before anything is published."""
    present = [p.phase for p in plan.phases if p.phase in (Phase.CANONICALIZE, Phase.STATS)]
    return present[-1] if Phase.CANONICALIZE in present else None


def _render_gate(
    plan: Plan,
    loop_task_id: str,
    policy: FileErrorPolicy,
    min_coverage: float | str | None,
    limits: Mapping[str, Any],
    common: Mapping[str, Any],
) -> TaskGroup:
    """``gate.identity_health``; it publishes the lookup asset, since only a passed gate publishes."""
    extra: dict[str, Any] = {}
    if policy is FileErrorPolicy.CONTINUE:
        prefix = _embedding_prefix(loop_task_id)
        canonicalize = [
            f"{prefix}canonicalize.{f.task_id}" for f in plan.files if f.phase is Phase.CANONICALIZE
        ]
        extra = {"trigger_rule": TriggerRule.ALL_DONE, "requires": [loop_task_id, *canonicalize]}
    lookup = TableNames(prefix=plan.canonical_id).lookup
    with TaskGroup(group_id=GATE_GROUP_ID) as group:
        IdentityHealthGateOperator(
            task_id=GATE_TASK_ID,
            canonical_id=plan.canonical_id,
            min_coverage=min_coverage,
            outlets=[table_asset(plan.catalog, plan.schema, lookup)],
            max_cluster_size=limits.get("max_cluster_size"),
            max_cluster_growth=limits.get("max_cluster_growth"),
            max_id_churn=limits.get("max_id_churn"),
            **extra,
            **common,
        )
    return group


def _gate_task_id(loop_task_id: str) -> str:
    return task_path(_embedding_prefix(loop_task_id), GATE_GROUP_ID, GATE_TASK_ID)


def _render_release(
    acquire: LeaseAcquireSensor, groups: list[TaskGroup], last: list[Any], common: Mapping[str, Any]
) -> None:
    """``lease_acquire`` before the first group; ``lease_release`` a teardown after every task (not only
    the last ones: after a failure, parallel tasks may still be writing while the leaves are done)."""
    work = [task for group in groups for task in group] + last
    acquire >> groups[0]
    release = LeaseReleaseOperator(task_id=LEASE_RELEASE_TASK_ID, **common)
    work >> release
    release.as_teardown(setups=acquire)


def _policy(value: FileErrorPolicy | str) -> FileErrorPolicy:
    try:
        return FileErrorPolicy(value)
    except ValueError:
        raise ValueError(
            f"on_file_error must be one of {[p.value for p in FileErrorPolicy]}, got {value!r}"
        ) from None


def _continue_kwargs(
    plan: Plan, phase: PhasePlan, policy: FileErrorPolicy, loop_task_id: str
) -> dict[str, Any]:
    """Under CONTINUE, phases after canonicalize run when upstream files failed — but only on a
    converged, canonicalized graph (``requires``)."""
    if policy is not FileErrorPolicy.CONTINUE or phase.phase not in _CONTINUE_PHASES:
        return {}
    prefix = _embedding_prefix(loop_task_id)
    canonicalize = [f"{prefix}canonicalize.{f.task_id}" for f in plan.files if f.phase is Phase.CANONICALIZE]
    gate = [_gate_task_id(loop_task_id)] if _gate_precedes(plan, phase.phase) else []
    return {"trigger_rule": TriggerRule.ALL_DONE, "requires": [loop_task_id, *canonicalize, *gate]}


def _gate_precedes(plan: Plan, phase: Phase) -> bool:
    after = _gate_after(plan)
    order = list(Phase)
    return after is not None and order.index(phase) > order.index(after)


def _embedding_prefix(loop_task_id: str) -> str:
    """``"idu."`` when the workflow is embedded in a task group (``idu.loop.unify_loop``), else ``""``."""
    return loop_task_id.rsplit(".", 2)[0] + "." if loop_task_id.count(".") > 1 else ""


def _render_report(
    plan: Plan, loop_task_id: str, min_coverage: float | str | None, common: Mapping[str, Any]
) -> UnificationReportOperator:
    tables = {
        phase: [t for f in plan.files if f.phase is phase for t in published_tables(f, plan.canonical_id)]
        for phase in (Phase.ENRICHMENT, Phase.MASTER)
    }
    prefix = _embedding_prefix(loop_task_id)
    return UnificationReportOperator(
        task_id=REPORT_TASK_ID,
        canonical_id=plan.canonical_id,
        file_task_ids=[
            f"{prefix}{f.phase.value}.{f.task_id}" for f in plan.files if f.phase is not Phase.LOOP
        ],
        loop_task_id=loop_task_id,
        enriched_tables=tables[Phase.ENRICHMENT],
        master_tables=tables[Phase.MASTER],
        min_coverage=min_coverage,
        gate_task_id=_gate_task_id(loop_task_id) if _gate_after(plan) else None,
        **common,
    )


def _render_files(
    plan: Plan, phase: PhasePlan, common: Mapping[str, Any], extra: Mapping[str, Any], loop_task_id: str
) -> list[IduSqlFileOperator]:
    tasks: list[IduSqlFileOperator] = []
    for i, f in enumerate(phase.files):
        published = published_tables(f, plan.canonical_id)
        # The lookup is published by gate.identity_health: a refused result is restored, not announced.
        outlets = [] if phase.phase is Phase.CANONICALIZE else published
        kwargs: dict[str, Any] = {
            "task_id": f.task_id,
            "sql_file": str(f.path),
            "outlets": [table_asset(plan.catalog, plan.schema, t) for t in outlets],
            "optimize_tables": [plan.loop.qualify(t) for t in published],
            # Earlier files of a sequential phase: a retry that appends to their tables replays them.
            "replay_on_retry": [] if phase.phase.parallel else [str(e.path) for e in phase.files[:i]],
            **common,
            **extra,
        }
        if phase.phase is Phase.CANONICALIZE:
            tasks.append(
                CanonicalizeFileOperator(canonical_id=plan.canonical_id, loop_task_id=loop_task_id, **kwargs)
            )
        else:
            tasks.append(IduSqlFileOperator(**kwargs))
    if not phase.phase.parallel:
        for upstream, downstream in pairwise(tasks):
            upstream >> downstream
    return tasks


def _doc(plan: Plan) -> str:
    lines = [
        f"Identity unification for `{plan.canonical_id}` "
        f"(`{plan.catalog}.{plan.schema}`), from `{plan.sql_dir}`.",
        "",
    ]
    lines += [f"- **{p.name}**: {', '.join(f.path.name for f in p.files)}" for p in plan.phases]
    return "\n".join(lines)
