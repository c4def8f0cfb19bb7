from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airflow_idu.demo.data import create_demo_data


@pytest.fixture
def demo_db(tmp_path: Path, duckdb_conn: Any) -> Path:
    database = tmp_path / "idu.duckdb"
    create_demo_data(database, schema="customer_db", people=400, seed=11)
    return duckdb_conn(database)
