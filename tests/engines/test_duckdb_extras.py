"""The DuckDB connection extras the README documents are honoured by the engine a task opens."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airflow_idu.engines import open_engine


def test_readme_connection_extras_are_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    extra = {
        "lock_timeout": 600,
        "memory_limit": "1GB",
        "threads": 1,
        "temp_directory": str(tmp_path / "spill"),
    }
    monkeypatch.setenv(
        "AIRFLOW_CONN_IDU_EXTRAS",
        json.dumps({"conn_type": "duckdb", "host": str(tmp_path / "idu.duckdb"), "extra": extra}),
    )
    engine = open_engine("idu_extras")
    try:
        assert engine.lock_timeout == 600  # type: ignore[attr-defined]
        # DuckDB's own settings, read on the engine's connection (not Spark SQL: no translation).
        memory, threads, spill = engine.connection.execute(  # type: ignore[attr-defined]
            "SELECT current_setting('memory_limit'), current_setting('threads'), "
            "current_setting('temp_directory')"
        ).fetchone()
        assert memory == "953.6 MiB"  # DuckDB prints 1GB (10^9 bytes) in MiB; its default is 80% of RAM
        assert int(threads) == 1 and spill == extra["temp_directory"]
    finally:
        engine.close()
