"""Fixtures of the incremental suites: the small delivered case and a clean fault injector."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults import injector
from tests.incremental.case import IncrementalCase, build_incremental_case


@pytest.fixture(autouse=True)
def _clean_injector() -> Iterator[None]:
    """No fault installed by one test reaches another."""
    injector.reset()
    yield
    injector.reset()


@pytest.fixture
def case(tmp_path: Path, duckdb_conn) -> IncrementalCase:
    """24 people over seven deliveries, the events planted; ``idu_default`` points at its file."""
    built = build_incremental_case(tmp_path / "idu.duckdb", people=24, seed=5, days=7)
    duckdb_conn(built.database)
    return built
