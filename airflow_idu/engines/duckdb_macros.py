"""Kept for imports: the macros live in :mod:`airflow_idu.engines.spark_compat.macros`."""

from airflow_idu.engines.spark_compat.macros import COMPAT_MACROS

__all__ = ["COMPAT_MACROS"]
