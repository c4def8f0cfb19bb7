"""Fixtures the fidelity suites share."""

from __future__ import annotations

import duckdb
import pytest


@pytest.fixture(scope="module")
def engine(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """The shared engine connection (tests/conftest.py's ``con``) under the name the suites use."""
    return con
