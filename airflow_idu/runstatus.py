"""How a run ended, in words every surface shares: the Identity report tab, ``airflow-idu summary``.

A task that fails records its first error line in XCom (:data:`FAILURE_XCOM_KEY`, pushed by
:class:`~airflow_idu.operators.base.IduBaseOperator`); the surfaces read it next to the task
instances' states from Airflow's metadata DB, so what they say is what the run stored. Plain
Python: no Airflow imports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from airflow_idu.plan.contract import FAILURE_XCOM_KEY

__all__ = [
    "FAILURE_XCOM_KEY",
    "NOT_CONVERGED_CAUSE",
    "RunState",
    "TaskFailure",
    "failure_record",
    "run_notes",
    "task_failures",
]

# The loop ran out of iterations (airflow_idu.loop.LoopNotConvergedError): the only "did not converge".
NOT_CONVERGED_CAUSE = "LoopNotConvergedError"
NO_ERROR_RECORDED = "no error recorded (killed, timed out or failed before it started); see the task log"


class RunState(StrEnum):
    """Airflow's DAG run states, as the metadata DB stores them."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (RunState.SUCCESS, RunState.FAILED)


class TaskState(StrEnum):
    """The task instance states these surfaces name."""

    FAILED = "failed"
    UP_FOR_RETRY = "up_for_retry"
    UPSTREAM_FAILED = "upstream_failed"


def failure_record(error: BaseException) -> dict[str, Any]:
    """What a failing task stores: its error's first line and the exception classes of its cause chain."""
    text = str(error).strip()
    first = next((line.strip() for line in text.splitlines() if line.strip()), type(error).__name__)
    causes: list[str] = []
    seen: BaseException | None = error
    while seen is not None and len(causes) < 10:
        causes.append(type(seen).__name__)
        seen = seen.__cause__ or (None if seen.__suppress_context__ else seen.__context__)
    return {"error": first, "causes": causes}


@dataclass(frozen=True, kw_only=True)
class TaskFailure:
    task_id: str
    state: str
    error: str | None  # the first line of its error, as the task recorded it
    causes: tuple[str, ...] = ()

    @property
    def not_converged(self) -> bool:
        """The unify loop ran out of iterations (and nothing else made it fail)."""
        return NOT_CONVERGED_CAUSE in self.causes

    def text(self) -> str:
        return f"{self.task_id} {self.state}: {self.error or NO_ERROR_RECORDED}"


def task_failures(states: Iterable[tuple[str, str | None]], records: Mapping[str, Any]) -> list[TaskFailure]:
    """Tasks that failed (or failed a try Airflow retries), in the order given, with what they recorded."""
    failures = []
    for task_id, state in states:
        if state not in (TaskState.FAILED, TaskState.UP_FOR_RETRY):
            continue
        record = records.get(task_id)
        record = record if isinstance(record, dict) else {}
        failures.append(
            TaskFailure(
                task_id=task_id,
                state=str(state),
                error=record.get("error"),
                causes=tuple(str(c) for c in record.get("causes") or ()),
            )
        )
    return failures


def run_notes(
    *,
    run_state: str | None,
    failures: list[TaskFailure],
    not_run: int,
    iterations: int,
    max_iterations: int | None = None,
    last_updated: int | None = None,
) -> list[str]:
    """Sentences on how the run ended: each failed task with its state and first error line; "did not
    converge" only when the loop ran out of iterations; a run still going said to be so."""
    notes: list[str] = []
    for failure in failures:
        if failure.not_converged:
            limit = f"max_iterations {max_iterations}" if max_iterations else "max_iterations"
            changed = f"; the last one updated {last_updated:,} rows" if last_updated is not None else ""
            notes.append(
                f"The unify loop did not converge within {iterations} iteration(s) ({limit}){changed}."
            )
        notes.append(f"Failed: {failure.text()}")
    if not_run:
        notes.append(f"{not_run} task(s) did not run (upstream_failed).")
    state = RunState(run_state) if run_state in {s.value for s in RunState} else None
    if state is not None and not state.finished:
        notes.append(f"This run is {state.value}: what it shows may still change.")
    elif not failures and state is RunState.FAILED:
        notes.append("This run failed; no task recorded an error (see the task logs).")
    return notes
