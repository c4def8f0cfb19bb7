"""Spark SQL semantics on DuckDB: what is allowed, how it is rewritten, and the macros it needs.

``translate.py`` parses a Databricks statement, asks :func:`find_refusal` whether every
construct is on the allow-list, applies :func:`apply_rewrites`, and prints DuckDB SQL.
The engine runs :data:`COMPAT_MACROS` once per connection.
"""

from airflow_idu.engines.duckdb.spark_compat.allowed import Refusal, find_refusal
from airflow_idu.engines.duckdb.spark_compat.macro_catalog import COMPAT_MACROS
from airflow_idu.engines.duckdb.spark_compat.rewrites import apply as apply_rewrites
from airflow_idu.engines.duckdb.spark_compat.source_calls import repair_parse

__all__ = ["COMPAT_MACROS", "Refusal", "apply_rewrites", "find_refusal", "repair_parse"]
