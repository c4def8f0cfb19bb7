"""One unify-loop iteration at a time, through an engine: the SQL of K, its convergence count, its log row.

No Airflow here. The caller decides what a step means in its world: the poke sensor runs
:meth:`LoopRunner.step` per poke; the deferrable sensor hands :meth:`LoopRunner.work` to a trigger
that runs the statements on the warehouse and then :meth:`LoopRunner.record` s the result; the
benchmarks loop over ``step()`` directly.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_idu.loop.state import IterationRecord, LoopLog, LoopState
from airflow_idu.plan import SqlSource, split_statements

if TYPE_CHECKING:
    from airflow_idu.engines import Engine, StatementStats
    from airflow_idu.plan import LoopSpec

__all__ = ["ConvergenceCheckError", "IterationWork", "LoopNotConvergedError", "LoopRunner"]

_log = logging.getLogger(__name__)


class LoopNotConvergedError(RuntimeError):
    """``max_iterations`` reached with rows still changing: fails without retry (more work changes nothing)."""


class ConvergenceCheckError(RuntimeError):
    """The convergence query answered no row; never read as "converged" (may pass on a retry)."""


@dataclass(frozen=True, kw_only=True)
class IterationWork:
    """What iteration K sends, in order: its statements, OPTIMIZE (optional), then the convergence count."""

    iteration: int
    source: SqlSource
    label: str  # names the file: "04_unify_loop_iteration_02.sql (iteration 2)"
    sql: str
    optimize_sql: str | None
    convergence_sql: str
    convergence_label: str

    def statements(self) -> list[tuple[str, str]]:
        """``(label, statement)`` pairs: the script split, OPTIMIZE, then the count query last."""
        pairs = [(self.label, s) for s in split_statements(self.sql)]
        if self.optimize_sql:
            pairs.append((f"iteration {self.iteration} optimize", self.optimize_sql))
        pairs.append((self.convergence_label, self.convergence_sql))
        return pairs


class LoopRunner:
    """Drives the loop of one task of one run (``key``) through ``engine``.

    :param resume: read and append ``<p>_unify_loop_log`` so a new process continues at the next
        iteration; ``False`` keeps the history in memory only (one statement less per iteration).
    :param optimize: ``OPTIMIZE`` each iteration table (a logged no-op on DuckDB).
    :param max_iterations: hard limit; :meth:`check_limit` raises :class:`LoopNotConvergedError`.
    :param logger: where the per-iteration lines go (the sensor passes its task logger).
    """

    def __init__(
        self,
        engine: Engine,
        loop: LoopSpec,
        key: str,
        *,
        resume: bool = True,
        optimize: bool = False,
        max_iterations: int = 30,
        logger: Any = None,
    ) -> None:
        if max_iterations < 1:
            raise ValueError(f"max_iterations must be >= 1, got {max_iterations}")
        self.engine = engine
        self.loop = loop
        self.key = key
        self.resume = resume
        self.optimize = optimize
        self.max_iterations = max_iterations
        self.log = logger or _log
        self.last_stats: list[StatementStats] = []
        self._state: LoopState | None = None
        self._loop_log: LoopLog | None = None

    # state -----------------------------------------------------------------------------------
    @property
    def loop_log(self) -> LoopLog:
        if self._loop_log is None:
            self._loop_log = LoopLog(self.engine, self.loop, self.key)
        return self._loop_log

    @property
    def state(self) -> LoopState:
        """The history so far: read from the loop log on first use (``resume``), else empty."""
        if self._state is None:
            self._state = self.loop_log.load() if self.resume else LoopState()
            if self._state.history:
                self.log.info(
                    "Resuming the unify loop at iteration %d (%d iterations recorded for this run)",
                    self._state.next_iteration,
                    len(self._state.history),
                )
        return self._state

    @property
    def converged(self) -> bool:
        return self.state.converged

    @property
    def next_iteration(self) -> int:
        return self.state.next_iteration

    # one iteration ---------------------------------------------------------------------------
    def work(self, iteration: int | None = None) -> IterationWork:
        """The statements of the next iteration (or of ``iteration``); reads its file, runs nothing."""
        k = self.next_iteration if iteration is None else iteration
        sql, source = self.loop.sql_for_iteration(k)
        table = self.loop.table(k)
        return IterationWork(
            iteration=k,
            source=source,
            label=self.loop.label(k),
            sql=sql,
            optimize_sql=f"OPTIMIZE {table}" if self.optimize else None,
            convergence_sql=self.loop.convergence_sql(k),
            convergence_label=f"convergence check of iteration {k} ({table} EXCEPT {self.loop.table(k - 1)})",
        )

    def step(self) -> IterationRecord:
        """Run the next iteration, its convergence count and its log row through the engine."""
        work = self.work()
        started = time.perf_counter()
        stats = self.engine.run_script(work.sql, label=work.label)
        self.last_stats = stats
        if work.optimize_sql:
            self.engine.run_script(work.optimize_sql, label=f"iteration {work.iteration} optimize")
        count = self.engine.scalar(work.convergence_sql, label=work.convergence_label)
        rows = [s.rows for s in stats if s.rows is not None]
        return self.record(
            work,
            updated_count=count,
            rows=rows[-1] if rows else None,
            seconds=time.perf_counter() - started,
        )

    def record(
        self, work: IterationWork, *, updated_count: Any, rows: int | None, seconds: float
    ) -> IterationRecord:
        """Record iteration ``work.iteration`` as run elsewhere (or by :meth:`step`): log row + history."""
        if updated_count is None:
            raise ConvergenceCheckError(f"convergence query for iteration {work.iteration} returned no row")
        expected = self.next_iteration
        if work.iteration != expected:
            raise ValueError(f"iteration {work.iteration} finished, but the loop is at iteration {expected}")
        record = IterationRecord(
            iteration=work.iteration,
            updated_count=int(updated_count),
            rows=rows,
            seconds=round(seconds, 3),
            source=work.source,
        )
        self.log.info(
            "Iteration %d (%s): updated_count=%d rows=%s seconds=%.3f",
            record.iteration,
            record.source.value,
            record.updated_count,
            "n/a" if record.rows is None else record.rows,
            record.seconds,
        )
        if self.resume:
            self.loop_log.append(record)
        self.state.history.append(record)
        return record

    def check_limit(self) -> None:
        """Raise :class:`LoopNotConvergedError` when the last iteration reached ``max_iterations``."""
        history = self.state.history
        if self.converged or not history or history[-1].iteration < self.max_iterations:
            return
        last = history[-1]
        counts = ", ".join(str(r.updated_count) for r in history[-5:])
        raise LoopNotConvergedError(
            f"unify loop did not converge in {self.max_iterations} iterations (max_iterations); "
            f"last updated_count {last.updated_count} (recent: {counts}). Check the key validation "
            f"rules for over-merging identifiers, or raise max_iterations (trigger param or "
            f"create_unification_dag(max_iterations=...))."
        )

    # the end ---------------------------------------------------------------------------------
    def finish(self) -> tuple[dict[str, Any], list[StatementStats]]:
        """Create ``<p>_graph_unify_loop_final`` from the converged iteration.

        Returns the loop's result (the sensor's XCom) and the statements of the final script."""
        if not self.converged:
            raise ValueError("finish() before the loop converged")
        k = self.state.history[-1].iteration
        final = self.engine.run_script(self.loop.final_sql(k), label="loop final")
        self.log.info("Unify loop converged after %d iterations; created %s", k, self.loop.final_table)
        return self.result(), final

    def result(self) -> dict[str, Any]:
        history = self.state.history
        return {
            "converged": self.converged,
            "iterations": history[-1].iteration if history else 0,
            "final_table": self.loop.final_table,
            "history": [r.to_dict() for r in history],
        }
