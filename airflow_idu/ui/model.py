"""What one DAG run stored, as plain data, and the report view built from it (pure functions)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from airflow_idu.plan.contract import (
    GATE_TASK,
    HEALTH_XCOM_KEY,
    HISTORY_XCOM_KEY,
    LOOP_TASK,
    QUERY_HISTORY_XCOM_KEY,
    REPORT_TASK,
    RETURN_XCOM_KEY,
)
from airflow_idu.runstatus import FAILURE_XCOM_KEY, TaskFailure, run_notes, task_failures

__all__ = [
    "GATE_TASK",
    "HISTORY_XCOM_KEY",
    "LOOP_TASK",
    "REPORT_TASK",
    "ReportView",
    "RunData",
    "TaskRow",
    "build_view",
    "status_notes",
    "xcom_keys",
]


def xcom_keys() -> tuple[str, ...]:
    """The XCom keys the report reads (everything else a run stored is ignored)."""
    return (RETURN_XCOM_KEY, HISTORY_XCOM_KEY, HEALTH_XCOM_KEY, QUERY_HISTORY_XCOM_KEY, FAILURE_XCOM_KEY)


@dataclass(frozen=True, kw_only=True)
class TaskRow:
    task_id: str
    state: str | None
    start: datetime | None = None
    end: datetime | None = None
    try_number: int = 0
    map_index: int = -1

    @property
    def seconds(self) -> float | None:
        if self.start is None or self.end is None:
            return None
        return round((self.end - self.start).total_seconds(), 3)


@dataclass(frozen=True, kw_only=True)
class RunData:
    """One DAG run as the metadata DB holds it: the run, its task instances and the XComs the report reads."""

    dag_id: str
    run_id: str
    state: str | None
    start: datetime | None = None
    end: datetime | None = None
    conf: dict[str, Any] = field(default_factory=dict)
    tasks: tuple[TaskRow, ...] = ()
    xcoms: dict[tuple[str, str], Any] = field(default_factory=dict)  # (task_id, key) -> value


@dataclass(frozen=True, kw_only=True)
class ReportView:
    """Everything the page shows, already picked out of the run (no Airflow objects)."""

    run: RunData
    prefix: str  # "" or the embedding group's prefix with its trailing dot, e.g. "idu."
    report: dict[str, Any] | None
    loop_state: str | None
    loop_result: dict[str, Any] | None
    history: list[dict[str, Any]]
    max_iterations: int | None
    health: dict[str, Any] | None
    min_coverage: float | None
    query_history: dict[str, str]  # task_id -> Databricks query history URL
    prefixes: tuple[str, ...] = ()
    failures: tuple[TaskFailure, ...] = ()  # every failed task of the run, with its first error line

    @property
    def loop_failure(self) -> TaskFailure | None:
        return next((f for f in self.failures if f.task_id == self.prefix + LOOP_TASK), None)

    @property
    def is_unification_run(self) -> bool:
        return any(t.task_id.endswith(LOOP_TASK) for t in self.run.tasks)

    @property
    def loop_failed(self) -> bool:
        return self.loop_state in ("failed", "upstream_failed")

    def task(self, name: str) -> TaskRow | None:
        return next((t for t in self.run.tasks if t.task_id == self.prefix + name), None)


def find_prefixes(task_ids: list[str]) -> tuple[str, ...]:
    """Every unification group in the run: ``""`` for a DAG built by the factory, ``"idu."`` when embedded."""
    found = {t[: -len(LOOP_TASK)] for t in task_ids if t == LOOP_TASK or t.endswith("." + LOOP_TASK)}
    return tuple(sorted(found))


def _as_float(value: Any) -> float | None:
    if value in (None, "", "None"):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _as_int(value: Any) -> int | None:
    number = _as_float(value)
    return None if number is None else int(number)


def build_view(run: RunData, prefix: str | None = None) -> ReportView:
    """Pick the report, loop history, health and links of one unification group out of ``run``."""
    prefixes = find_prefixes([t.task_id for t in run.tasks])
    if prefix is None or prefix not in prefixes:
        prefix = prefixes[0] if prefixes else ""

    def xcom(task: str, key: str = RETURN_XCOM_KEY) -> Any:
        return run.xcoms.get((prefix + task, key))

    report = xcom(REPORT_TASK) if isinstance(xcom(REPORT_TASK), dict) else None
    loop_result = xcom(LOOP_TASK) if isinstance(xcom(LOOP_TASK), dict) else None
    history = (loop_result or {}).get("history") or xcom(LOOP_TASK, HISTORY_XCOM_KEY) or []
    health = xcom(GATE_TASK, HEALTH_XCOM_KEY) or xcom(GATE_TASK) or (report or {}).get("health")
    loop_ti = next((t for t in run.tasks if t.task_id == prefix + LOOP_TASK), None)
    min_coverage = _as_float((report or {}).get("min_coverage"))
    if min_coverage is None:
        min_coverage = _as_float(run.conf.get("min_coverage"))
    links = {
        task_id: str(value)
        for (task_id, key), value in sorted(run.xcoms.items())
        if key == QUERY_HISTORY_XCOM_KEY and value and task_id.startswith(prefix)
    }
    return ReportView(
        run=run,
        prefix=prefix,
        report=report,
        loop_state=loop_ti.state if loop_ti else None,
        loop_result=loop_result,
        history=[h for h in history if isinstance(h, dict)],
        max_iterations=_as_int(run.conf.get("max_iterations")),
        health=health if isinstance(health, dict) else None,
        min_coverage=min_coverage,
        query_history=links,
        prefixes=prefixes,
        failures=tuple(
            task_failures(
                ((t.task_id, t.state) for t in run.tasks),
                {task: value for (task, key), value in run.xcoms.items() if key == FAILURE_XCOM_KEY},
            )
        ),
    )


def status_notes(view: ReportView, *, iterations: int | None = None) -> list[str]:
    """How the run ended, in the words the report tab and ``airflow-idu summary`` share.
    ``iterations``: the loop iterations recorded for the run, when read from the loop log."""
    last = view.history[-1] if view.history else None
    updated = last.get("updated_count") if last else None
    return run_notes(
        run_state=view.run.state,
        failures=list(view.failures),
        not_run=sum(t.state == "upstream_failed" for t in view.run.tasks),
        iterations=len(view.history) if iterations is None else iterations,
        max_iterations=view.max_iterations,
        last_updated=updated if isinstance(updated, int) and not isinstance(updated, bool) else None,
    )
