"""Render a plan as Airflow tasks, one small function per phase. The only module that creates tasks.

DAG-parse time does: create operators from the plan and the settings. No connection, no database,
no SQL splitting. Every task id is built from the enclosing task group's prefix
(:meth:`TaskGroup.child_id`) and the contract's ids, so the ids the report and the gate wait for
are the ids of the tasks created here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from airflow.sdk import TaskGroup, TriggerRule

from airflow_idu.assets import published_tables, table_asset
from airflow_idu.operators.base import TablesOperator
from airflow_idu.operators.health import IdentityHealthGateOperator, KeepPreviousLookupOperator
from airflow_idu.operators.incremental import IncrementalCommitOperator
from airflow_idu.operators.lease import LeaseGuard, LeaseReleaseOperator
from airflow_idu.operators.loop_tables import (
    CanonicalizeFileOperator,
    DropLoopTablesOperator,
    RestoreLoopFinalOperator,
)
from airflow_idu.operators.persistent_ids import PersistentIdsCommitOperator
from airflow_idu.operators.report import UnificationReportOperator
from airflow_idu.operators.sql_file import IduSqlFileOperator
from airflow_idu.plan import Phase, PhasePlan, Plan
from airflow_idu.plan.beside import stats_run_beside
from airflow_idu.plan.contract import (
    DROP_LOOP_TABLES_TASK_ID,
    GATE_GROUP_ID,
    GATE_TASK_ID,
    INCREMENTAL_COMMIT_TASK_ID,
    INCREMENTAL_GROUP_ID,
    INCREMENTAL_PREPARE_TASK_ID,
    KEEP_PREVIOUS_TASK_ID,
    LEASE_ACQUIRE_TASK_ID,
    LEASE_RELEASE_TASK_ID,
    LOOP_GROUP_ID,
    LOOP_TASK_ID,
    PERSISTENT_IDS_COMMIT_TASK_ID,
    REPORT_TASK_ID,
    RESTORE_FINAL_TASK_ID,
    TableNames,
    task_path,
)
from airflow_idu.render.commit import render_commit
from airflow_idu.render.incremental import render_incremental_prepare
from airflow_idu.render.persistent_ids import render_persistent_ids_stage
from airflow_idu.render.settings import FileErrorPolicy, ParamTemplates, WorkflowSettings
from airflow_idu.runstate.persistent_ids import PersistentIdMode
from airflow_idu.sensors.lease import LeaseAcquireSensor, LeasedUnifyLoopSensor
from airflow_idu.sensors.unify_loop import UnifyLoopSensor

__all__ = ["LEASE_ACQUIRE_RETRIES", "render_plan"]

# Airflow 3.3 can fail a reschedule-mode sensor when a poke's executor event arrives after the next
# poke started (apache/airflow#71172); waiting again on a retry is always safe for lease_acquire.
LEASE_ACQUIRE_RETRIES = 3
# Under FileErrorPolicy.CONTINUE these phases run after failed files, on a canonicalized graph only.
_CONTINUE_PHASES = (Phase.STATS, Phase.ENRICHMENT, Phase.MASTER, Phase.METADATA, Phase.OTHER)
# The phases the gate precedes: everything that publishes (stats run before it, or beside it).
_AFTER_GATE = (Phase.ENRICHMENT, Phase.MASTER, Phase.METADATA, Phase.OTHER)


@dataclass(frozen=True, kw_only=True)
class RenderContext:
    """What every phase's rendering reads: the plan, the settings and the tasks' shared arguments.

    :param prefix: the enclosing task group's prefix (``"idu."`` inside ``unification_task_group``).
    :param common: every writing task's keyword arguments (with the lease guard as ``pre_execute``).
    :param unguarded: the same without the guard, for the lease tasks themselves.
    """

    plan: Plan
    settings: WorkflowSettings
    values: ParamTemplates
    prefix: str
    common: Mapping[str, Any]
    unguarded: Mapping[str, Any]
    guard: LeaseGuard | None
    stats_beside: bool = False  # the statistics files run beside the gate and the phases after it

    @property
    def policy(self) -> FileErrorPolicy:
        return self.settings.on_file_error

    @property
    def persistent_ids(self) -> PersistentIdMode:
        return self.settings.persistent_ids

    @property
    def loop_task_id(self) -> str:
        return task_path(self.prefix, LOOP_GROUP_ID, LOOP_TASK_ID)

    @property
    def gate_task_id(self) -> str:
        return task_path(self.prefix, GATE_GROUP_ID, GATE_TASK_ID)

    def file_task_ids(self, *phases: Phase) -> list[str]:
        return [
            task_path(self.prefix, f.phase.value, f.task_id) for f in self.plan.files if f.phase in phases
        ]


def render_context(
    plan: Plan,
    settings: WorkflowSettings,
    values: ParamTemplates,
    *,
    within: TaskGroup,
    operator_kwargs: Mapping[str, Any] | None = None,
) -> RenderContext:
    """The context for rendering ``plan`` inside ``within`` (the DAG's root group or the workflow's group)."""
    base = {
        "conn_id": settings.conn_id,
        "catalog": plan.catalog,
        "schema": plan.schema,
        **(operator_kwargs or {}),
    }
    guard = None
    if settings.writer_lease is not None:
        guard = LeaseGuard(ttl=settings.writer_lease.ttl, chain=base.pop("pre_execute", None))
    return RenderContext(
        plan=plan,
        settings=settings,
        values=values,
        prefix=within.child_id(""),
        common={**base, "pre_execute": guard} if guard else base,
        unguarded=base,
        guard=guard,
        stats_beside=stats_run_beside(plan),
    )


def render_plan(ctx: RenderContext) -> list[TaskGroup]:
    """One task group per phase, chained in phase order (between the lease tasks, if any); the
    ``gate`` group before the first publishing phase, the report last. Stats run before the gate,
    or beside it and the phases after it when the files allow (:mod:`airflow_idu.plan.beside`)."""
    plan = ctx.plan
    acquire = render_lease_acquire(ctx)
    line, side = render_groups(ctx)
    groups = [*line, *side]  # every group, for the commits and the lease release
    last: list[Any] = []
    ids_commit: TablesOperator | None = None
    if plan.phase(Phase.CANONICALIZE) and ctx.persistent_ids is not PersistentIdMode.OFF:
        ids_commit = render_commit(
            PersistentIdsCommitOperator,
            task_id=PERSISTENT_IDS_COMMIT_TASK_ID,
            plan=plan,
            groups=groups,
            common=ctx.common,
        )
        last.append(ids_commit)
    if plan.incremental is not None:
        last.append(
            render_commit(
                IncrementalCommitOperator,
                task_id=INCREMENTAL_COMMIT_TASK_ID,
                plan=plan,
                groups=groups,
                common=ctx.common,
            )
        )
    if plan.phase(Phase.CANONICALIZE):
        report = render_report(ctx, persistent_ids_task_id=ids_commit.task_id if ids_commit else None)
        [line[-1], *side] >> report
        last >> report
        last.append(report)
    if acquire is not None:
        render_lease_release(ctx, acquire, groups, last)
    return groups


def render_groups(ctx: RenderContext) -> tuple[list[TaskGroup], list[TaskGroup]]:
    """The phases' groups (with the persistent-ids stage and the gate): the chain, and the groups
    off it (stats beside the gate), which join again at the report."""
    plan = ctx.plan
    line: list[TaskGroup] = []
    side: list[TaskGroup] = []
    if plan.incremental is not None:
        line.append(render_incremental_prepare(plan, ctx.common))
    for phase in plan.phases:
        with TaskGroup(group_id=phase.name) as group:
            if phase.phase is Phase.LOOP:
                render_loop(ctx)
            elif phase.phase is Phase.CANONICALIZE:
                render_canonicalize(ctx, phase)
            else:
                render_files(ctx, phase)
        if line:
            line[-1] >> group
        if ctx.stats_beside and phase.phase is Phase.STATS:
            side.append(group)  # off the line: the gate follows what stats follows
        else:
            line.append(group)
        if phase.phase is Phase.CANONICALIZE and ctx.persistent_ids is not PersistentIdMode.OFF:
            line[-1] >> (stage := render_persistent_ids_stage(plan, ctx.persistent_ids, ctx.common))
            line.append(stage)
        if phase.phase is gate_after(plan):
            gate = render_gate(ctx)
            line[-1] >> gate
            line.append(gate)
    return line, side


def render_lease_acquire(ctx: RenderContext) -> LeaseAcquireSensor | None:
    lease = ctx.settings.writer_lease
    if lease is None:
        return None
    return LeaseAcquireSensor(
        task_id=LEASE_ACQUIRE_TASK_ID,
        ttl=lease.ttl,
        poke_interval=lease.poke_interval,
        **{"retries": LEASE_ACQUIRE_RETRIES, **ctx.unguarded},
    )


def render_lease_release(
    ctx: RenderContext, acquire: LeaseAcquireSensor, groups: list[TaskGroup], last: list[Any]
) -> None:
    """``lease_acquire`` before the first group; ``lease_release`` a teardown after every task (not only
    the last ones: after a failure, parallel tasks may still be writing while the leaves are done)."""
    work = [task for group in groups for task in group] + last
    acquire >> groups[0]
    release = LeaseReleaseOperator(task_id=LEASE_RELEASE_TASK_ID, **ctx.unguarded)
    work >> release
    release.as_teardown(setups=acquire)


def render_loop(ctx: RenderContext) -> UnifyLoopSensor:
    """``loop.unify_loop``: the lease-holding loop renews the lease itself before each iteration."""
    guard = ctx.guard
    kwargs = {**ctx.common, "pre_execute": guard.chain, "lease_guard": guard} if guard else dict(ctx.common)
    sensor = (LeasedUnifyLoopSensor if guard else UnifyLoopSensor)(
        task_id=LOOP_TASK_ID,
        loop_files=[str(p) for p in ctx.plan.loop.files],
        canonical_id=ctx.plan.canonical_id,
        max_iterations=ctx.values.max_iterations,
        optimize=ctx.values.optimize,
        resume_loop=ctx.settings.resume_loop,
        deferrable=ctx.settings.deferrable,
        **kwargs,
    )
    if sensor.task_id != ctx.loop_task_id:
        raise RuntimeError(f"the loop task is {sensor.task_id!r}, its readers expect {ctx.loop_task_id!r}")
    return sensor


def render_canonicalize(ctx: RenderContext, phase: PhasePlan) -> list[IduSqlFileOperator]:
    """The canonicalize files, after restoring the loop's final table and keeping the previous lookup;
    the old loop tables are dropped after the last file."""
    tasks = render_files(ctx, phase)
    canonical_id = ctx.plan.canonical_id
    loop_kwargs = {"canonical_id": canonical_id, "loop_task_id": ctx.loop_task_id, **ctx.common}
    restore = RestoreLoopFinalOperator(task_id=RESTORE_FINAL_TASK_ID, **loop_kwargs)
    keep = KeepPreviousLookupOperator(task_id=KEEP_PREVIOUS_TASK_ID, canonical_id=canonical_id, **ctx.common)
    keep >> tasks[0]
    drop = DropLoopTablesOperator(
        task_id=DROP_LOOP_TABLES_TASK_ID,
        keep_iterations=ctx.values.keep_iterations,
        max_iterations=ctx.values.max_iterations,
        **loop_kwargs,
    )
    restore >> tasks[0]
    tasks[-1] >> drop
    return tasks


def render_files(ctx: RenderContext, phase: PhasePlan) -> list[IduSqlFileOperator]:
    """One task per SQL file; the files of a sequential phase run one after the other."""
    plan = ctx.plan
    extra = {"optimize": ctx.values.optimize, **_continue_kwargs(ctx, phase.phase)}
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
            **ctx.common,
            **extra,
        }
        if phase.phase is Phase.CANONICALIZE:
            kwargs.update(canonical_id=plan.canonical_id, loop_task_id=ctx.loop_task_id)
            tasks.append(CanonicalizeFileOperator(**kwargs))
        else:
            tasks.append(IduSqlFileOperator(**kwargs))
    if not phase.phase.parallel:
        for upstream, downstream in pairwise(tasks):
            upstream >> downstream
    return tasks


def render_gate(ctx: RenderContext) -> TaskGroup:
    """``gate.identity_health``; it publishes the lookup asset, since only a passed gate publishes."""
    plan = ctx.plan
    extra: dict[str, Any] = {}
    if ctx.policy is FileErrorPolicy.CONTINUE:
        requires = [ctx.loop_task_id, *ctx.file_task_ids(Phase.CANONICALIZE)]
        extra = {"trigger_rule": TriggerRule.ALL_DONE, "requires": requires}
    lookup = TableNames(prefix=plan.canonical_id).lookup
    limits = ctx.values.health_limits
    with TaskGroup(group_id=GATE_GROUP_ID) as group:
        IdentityHealthGateOperator(
            task_id=GATE_TASK_ID,
            canonical_id=plan.canonical_id,
            min_coverage=ctx.values.min_coverage,
            outlets=[table_asset(plan.catalog, plan.schema, lookup)],
            max_cluster_size=limits.get("max_cluster_size"),
            max_cluster_growth=limits.get("max_cluster_growth"),
            max_id_churn=limits.get("max_id_churn"),
            incremental=plan.incremental is not None,
            **extra,
            **ctx.common,
        )
    return group


def render_report(
    ctx: RenderContext, *, persistent_ids_task_id: str | None = None
) -> UnificationReportOperator:
    """``report``, last: row counts, coverage and the failed files (after them all, under CONTINUE)."""
    plan = ctx.plan
    tables = {
        phase: [t for f in plan.files if f.phase is phase for t in published_tables(f, plan.canonical_id)]
        for phase in (Phase.ENRICHMENT, Phase.MASTER)
    }
    extra: dict[str, Any] = {}
    if ctx.policy is FileErrorPolicy.CONTINUE:
        extra = {"trigger_rule": TriggerRule.ALL_DONE, "fail_on_failed_tasks": True}
    if persistent_ids_task_id is not None:
        extra["persistent_ids_task_id"] = persistent_ids_task_id
    if plan.incremental is not None:
        extra["incremental_task_id"] = task_path(
            ctx.prefix, INCREMENTAL_GROUP_ID, INCREMENTAL_PREPARE_TASK_ID
        )
    return UnificationReportOperator(
        task_id=REPORT_TASK_ID,
        canonical_id=plan.canonical_id,
        file_task_ids=ctx.file_task_ids(*(p for p in Phase if p is not Phase.LOOP)),
        loop_task_id=ctx.loop_task_id,
        enriched_tables=tables[Phase.ENRICHMENT],
        master_tables=tables[Phase.MASTER],
        min_coverage=ctx.values.min_coverage,
        gate_task_id=ctx.gate_task_id if gate_after(ctx.plan) else None,
        **{**ctx.common, **extra},
    )


def _continue_kwargs(ctx: RenderContext, phase: Phase) -> dict[str, Any]:
    """Under CONTINUE, phases after canonicalize run when upstream files failed — but only on a
    converged, canonicalized graph (``requires``)."""
    if ctx.policy is not FileErrorPolicy.CONTINUE or phase not in _CONTINUE_PHASES:
        return {}
    gate = [ctx.gate_task_id] if gate_after(ctx.plan) and phase in _AFTER_GATE else []
    requires = [ctx.loop_task_id, *ctx.file_task_ids(Phase.CANONICALIZE), *gate]
    return {"trigger_rule": TriggerRule.ALL_DONE, "requires": requires}


def gate_after(plan: Plan) -> Phase | None:
    """The phase whose group the gate is rendered after: stats (or canonicalize, without stats).
    The gate waits for stats only when they run in line; beside, it follows what stats follow."""
    present = [p.phase for p in plan.phases if p.phase in (Phase.CANONICALIZE, Phase.STATS)]
    return present[-1] if Phase.CANONICALIZE in present else None
