from __future__ import annotations

import json
from pathlib import Path

import pytest

from airflow_idu.demo.data import create_demo_data


@pytest.fixture
def duckdb_conn(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Point ``idu_default`` at a fresh DuckDB file; returns a function that sets a file."""

    def use(database: Path, **extra: object) -> Path:
        monkeypatch.setenv(
            "AIRFLOW_CONN_IDU_DEFAULT",
            json.dumps({"conn_type": "duckdb", "host": str(database), "extra": extra}),
        )
        return database

    return use


@pytest.fixture
def demo_db(tmp_path: Path, duckdb_conn) -> Path:
    database = tmp_path / "idu.duckdb"
    create_demo_data(database, schema="customer_db", people=400, seed=11)
    return duckdb_conn(database)
