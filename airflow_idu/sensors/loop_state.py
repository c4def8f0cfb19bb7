"""Moved to :mod:`airflow_idu.loop.state` (the loop runner's room); kept so old imports work."""

from airflow_idu.loop.state import IterationRecord, LoopLog, LoopState, run_key

__all__ = ["IterationRecord", "LoopLog", "LoopState", "run_key"]
