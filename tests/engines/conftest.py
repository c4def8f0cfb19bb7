"""Shared fixtures of the engine unit tests."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from airflow_idu.engines.duckdb.macros import install_macros


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection with the engine's macros and functions, one per test module."""
    connection = duckdb.connect()
    install_macros(connection)
    yield connection
    connection.close()
