"""Read the console log of ``airflow dags test`` into per-task timings.

The product logs one line per statement (``<label> #<n> <first line> — rows=.. seconds=..``)
and one per loop iteration (``Iteration K (src): updated_count=.. rows=.. seconds=..``);
``dag.test`` logs ``[DAG TEST] starting task_id=..`` / ``end task task_id=..``.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

_LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)Z \[\s*\w+\s*\] (.*)$")
_START = re.compile(r"\[DAG TEST\] starting task_id=(\S+)")
_END = re.compile(r"\[DAG TEST\] end task task_id=(\S+)")
_STMT = re.compile(r"^(.+?) #(\d+) (.*) — (?:rows=\S+ seconds=([\d.]+)|skipped: )")
_ITER = re.compile(r"^Iteration (\d+) \((\w+)\): updated_count=(\d+) rows=\S+ seconds=([\d.]+)")
# Loop statement labels: "04_unify_loop_iteration_02.sql (iteration 2)" or "iteration 5, derived from ..."
_ITER_LABEL = re.compile(r"\(iteration (\d+)\)$|^iteration (\d+), derived from ")
_FINISHED = re.compile(r"DagRun Finished: .*state=(\w+)")


@dataclass
class Statement:
    label: str
    index: int
    text: str  # the statement's first line as logged
    seconds: float  # 0 for skipped statements
    end: float  # epoch seconds when the line was logged (the statement's end)


@dataclass
class IterationLine:
    iteration: int
    source: str
    updated_count: int
    seconds: float
    end: float


@dataclass
class Task:
    task_id: str
    start: float
    end: float = 0.0
    statements: list[Statement] = field(default_factory=list)
    iterations: list[IterationLine] = field(default_factory=list)

    @property
    def span(self) -> float:
        return self.end - self.start

    def sql_seconds(self, *, loop_log: bool = False) -> float:
        return sum(s.seconds for s in self.statements if (s.label == "loop log") == loop_log)

    @property
    def loop_log_insert_seconds(self) -> float:
        """The per-iteration loop-log writes (not the once-per-task CREATE/SELECT)."""
        return sum(
            s.seconds for s in self.statements if s.label == "loop log" and s.text.startswith("INSERT")
        )

    @property
    def convergence_seconds(self) -> float:
        """Iteration time minus its statements: the convergence count (plus a little Python)."""
        total = 0.0
        for it in self.iterations:
            total += it.seconds - sum(
                s.seconds for s in self.statements if iteration_of(s.label) == it.iteration
            )
        return total


@dataclass
class DagsTestLog:
    first: float
    finished: float
    state: str
    tasks: list[Task]

    @property
    def gaps(self) -> float:
        """Time between one task's end and the next one's start (scheduling in ``dag.test``)."""
        ordered = sorted(self.tasks, key=lambda t: t.start)
        return sum(max(0.0, b.start - a.end) for a, b in itertools.pairwise(ordered))

    def task(self, suffix: str) -> Task | None:
        return next((t for t in self.tasks if t.task_id.endswith(suffix)), None)


def iteration_of(label: str) -> int | None:
    """The loop iteration a statement label belongs to (None for other labels)."""
    m = _ITER_LABEL.search(label)
    return int(m.group(1) or m.group(2)) if m else None


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp + "+00:00").timestamp()


def parse(path: Path) -> DagsTestLog:
    tasks: list[Task] = []
    current: Task | None = None
    first = finished = 0.0
    state = "unknown"
    for raw in path.read_text(errors="replace").splitlines():
        match = _LINE.match(raw)
        if not match:
            continue
        ts, msg = _epoch(match.group(1)), match.group(2)
        first = first or ts
        if m := _START.search(msg):
            current = Task(task_id=m.group(1), start=ts)
            tasks.append(current)
        elif m := _END.search(msg):
            if current is not None:
                current.end = ts
            current = None
        elif m := _FINISHED.search(msg):
            finished, state = ts, m.group(1)
        elif current is not None and (m := _ITER.match(msg)):
            current.iterations.append(
                IterationLine(int(m.group(1)), m.group(2), int(m.group(3)), float(m.group(4)), ts)
            )
        elif current is not None and (m := _STMT.match(msg)):
            current.statements.append(
                Statement(m.group(1), int(m.group(2)), m.group(3), float(m.group(4) or 0.0), ts)
            )
    return DagsTestLog(first=first, finished=finished, state=state, tasks=tasks)


def iteration_gaps(task: Task) -> list[float]:
    """Idle time between iterations: end of iteration K's last logged line -> start of K+1's first statement.

    The start of a statement is its log time minus its ``seconds``; the loop log INSERT of
    iteration K is counted as part of K (it is product work, not idling).
    """
    gaps: list[float] = []
    by_iter: dict[int, list[Statement]] = {}
    for s in task.statements:
        k = iteration_of(s.label)
        if k is not None:
            by_iter.setdefault(k, []).append(s)
    logs = [s for s in task.statements if s.label == "loop log"]
    for it in task.iterations[:-1]:
        nxt = by_iter.get(it.iteration + 1)
        if not nxt:
            continue
        ends = [it.end] + [s.end for s in logs if it.end <= s.end <= nxt[0].end]
        gaps.append(max(0.0, (nxt[0].end - nxt[0].seconds) - max(ends)))
    return gaps
