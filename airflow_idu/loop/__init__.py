"""The unify loop without Airflow: one iteration, its convergence count and its log row per step.

The poke/reschedule sensor, the deferrable sensor's trigger and the benchmarks drive the same
:class:`LoopRunner`, so every mode runs the same SQL, logs the same rows and fails the same way.
"""

from airflow_idu.loop.runner import (
    ConvergenceCheckError,
    IterationWork,
    LoopNotConvergedError,
    LoopRunner,
)
from airflow_idu.loop.state import IterationRecord, LoopLog, LoopState, run_key

__all__ = [
    "ConvergenceCheckError",
    "IterationRecord",
    "IterationWork",
    "LoopLog",
    "LoopNotConvergedError",
    "LoopRunner",
    "LoopState",
    "run_key",
]
