"""Loop progress kept where the data is: a small run-log table in the target schema.

In reschedule mode every poke is a new process and Airflow 3 clears the XComs of
earlier pokes; after a worker is killed, the retry is a new process too. Keeping
one row per finished iteration next to the loop tables lets the next poke or try
continue at the next iteration with the full history.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_idu.plan import SqlSource

if TYPE_CHECKING:
    from airflow_idu.engines import Engine
    from airflow_idu.plan import LoopSpec

__all__ = ["IterationRecord", "LoopLog", "LoopState", "run_key"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class IterationRecord:
    iteration: int
    updated_count: int
    rows: int | None
    seconds: float
    source: SqlSource

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["source"] = self.source.value
        return data


@dataclass(kw_only=True)
class LoopState:
    history: list[IterationRecord] = field(default_factory=list)

    @property
    def next_iteration(self) -> int:
        return self.history[-1].iteration + 1 if self.history else 1

    @property
    def converged(self) -> bool:
        return bool(self.history) and self.history[-1].updated_count == 0


def run_key(*parts: object) -> str:
    """A quote-free key for one task of one DAG run (run ids contain ':' and '+')."""
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:24]


class LoopLog:
    """Reads and appends iteration records of one run in ``<p>_unify_loop_log``."""

    def __init__(self, engine: Engine, loop: LoopSpec, key: str) -> None:
        self.engine = engine
        self.loop = loop
        self.table = loop.names.loop_log
        self.key = key
        self.graph_rows = -1

    def load(self) -> LoopState:
        self.engine.run_script(
            f"CREATE TABLE IF NOT EXISTS {self.table} (run_key STRING, iteration BIGINT, "
            "updated_count BIGINT, row_count BIGINT, seconds DOUBLE, source STRING, recorded_at DOUBLE, "
            "graph_rows BIGINT)",
            label="loop log",
        )
        # The size of loop_0 ties the records to the graph they were computed from: if setup ran
        # again since (a cleared run), earlier records are stale and the loop starts over.
        self.graph_rows = int(self.engine.scalar(f"SELECT COUNT(*) FROM {self.loop.table(0)}") or 0)
        rows = self.engine.query(
            f"SELECT iteration, updated_count, row_count, seconds, source, graph_rows FROM {self.table} "
            f"WHERE run_key = '{self.key}' ORDER BY iteration"
        )
        if any(r[5] != self.graph_rows for r in rows):
            log.warning(
                "%s changed since the recorded iterations; starting the loop over", self.loop.table(0)
            )
            return LoopState()
        state = LoopState()
        for iteration, updated, count, seconds, source, _ in rows:
            if int(iteration) < state.next_iteration:
                continue  # recorded twice (a killed try's INSERT that landed late): the first counts
            # A record is written after its iteration finished; keep only a gap-free prefix.
            if int(iteration) != state.next_iteration:
                break
            state.history.append(
                IterationRecord(
                    iteration=int(iteration),
                    updated_count=int(updated),
                    rows=None if count is None else int(count),
                    seconds=float(seconds),
                    source=SqlSource(source),
                )
            )
        return state

    def append(self, record: IterationRecord) -> None:
        rows = "NULL" if record.rows is None else str(int(record.rows))
        self.engine.run_script(
            f"INSERT INTO {self.table} VALUES ('{self.key}', {record.iteration}, {record.updated_count}, "
            f"{rows}, {record.seconds!r}, '{record.source.value}', {time.time()!r}, {self.graph_rows})",
            label="loop log",
        )
