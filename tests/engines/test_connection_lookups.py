"""A task looks its connection up once: ``open_engine`` reads it to choose the engine and hands it on,
so the provider's hook does not ask again (the Databricks case, which needs the local warehouse, is
``test_databricks_engine.py::test_a_task_looks_its_connection_up_once``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airflow_idu.engines import open_engine
from airflow_idu.engines.base import ConnectionOpenError
from tests.engines.lookups import count_connection_lookups


@pytest.mark.parametrize("reachable", [True, False], ids=["file_opens", "missing_directory"])
def test_a_duckdb_task_looks_its_connection_up_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reachable: bool
) -> None:
    """The DuckDBHook gets the connection for the file, its extras and the error naming the file."""
    database = tmp_path / ("" if reachable else "missing") / "x.duckdb"
    monkeypatch.setenv(
        "AIRFLOW_CONN_IDU_ONCE",
        json.dumps({"conn_type": "duckdb", "host": str(database), "extra": {"lock_timeout": 7}}),
    )
    looked_up = count_connection_lookups(monkeypatch)
    engine = open_engine("idu_once", catalog="c", schema="s")
    try:
        assert engine.lock_timeout == 7.0  # the extras come from the same connection
        if reachable:
            assert engine.query("SELECT 1", label="f.sql") == [(1,)]
        else:
            with pytest.raises(ConnectionOpenError, match=f"the database file {database} "):
                engine.run_script("SELECT 1", label="f.sql")
    finally:
        engine.close()
    assert looked_up == ["idu_once"]


def test_a_spark_connect_task_reads_its_settings_from_that_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The retry setting comes from the connection open_engine read (the provider's hook still looks
    it up once more to build the session's URL, which needs a server and is not counted here)."""
    pytest.importorskip("pyspark")
    monkeypatch.setenv(
        "AIRFLOW_CONN_IDU_SC_ONCE",
        json.dumps(
            {"conn_type": "spark_connect", "host": "127.0.0.1", "port": 1, "extra": {"retry_seconds": 5}}
        ),
    )
    looked_up = count_connection_lookups(monkeypatch)
    engine = open_engine("idu_sc_once", catalog="c", schema="s")
    assert engine._retry_seconds() == 5.0  # type: ignore[attr-defined]
    assert looked_up == ["idu_sc_once"]
