"""Fixtures the fidelity suites share."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest


@pytest.fixture(scope="module")
def engine() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection with the engine's macros and Python functions, as a task's has."""
    from airflow_idu.engines.duckdb.macros import install_macros

    con = duckdb.connect()
    install_macros(con)
    yield con
    con.close()
