"""The embedded engine: Databricks SQL translated to DuckDB and run on a DuckDB file.

``translate`` turns one Databricks statement into DuckDB statements (or refuses it, naming the
construct), ``macros`` installs the Spark-compatible functions on a connection, and ``engine``
is the :class:`DuckDBEngine` the operators open for a ``duckdb`` connection.
"""

from __future__ import annotations

from airflow_idu.engines.duckdb.engine import DuckDBEngine

__all__ = ["DuckDBEngine"]
