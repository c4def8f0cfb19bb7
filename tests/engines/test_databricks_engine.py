"""The Databricks engine through the real ``DatabricksSqlHook``; only ``databricks.sql.connect`` is replaced."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from airflow_idu.engines import open_engine
from airflow_idu.engines.databricks import DatabricksEngine
from tests.fake_databricks import Recorder


@pytest.fixture
def recorder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Recorder:
    monkeypatch.setenv(
        "AIRFLOW_CONN_IDU_DBX",
        json.dumps(
            {
                "conn_type": "databricks",
                "host": "dbc-1.cloud.databricks.com",
                "password": "dapiX",
                "extra": {"http_path": "/sql/1.0/warehouses/w"},
            }
        ),
    )
    rec = Recorder(database=str(tmp_path / "w.duckdb"))
    from airflow.providers.databricks.hooks import databricks_sql

    monkeypatch.setattr(databricks_sql.sql, "connect", rec.connect)
    return rec


def test_connection_type_picks_the_engine(recorder: Recorder) -> None:
    engine = open_engine("idu_dbx", catalog="cat", schema="sch")
    assert isinstance(engine, DatabricksEngine)


def test_one_session_redundant_use_skipped_rows_and_query_ids(recorder: Recorder) -> None:
    engine = open_engine("idu_dbx", catalog="cat", schema="sch")
    stats = engine.run_script(
        "USE CATALOG cat; USE SCHEMA sch; CREATE TABLE cat.sch.t (a BIGINT); INSERT INTO cat.sch.t VALUES (1), (2);"
        " USE SCHEMA other; USE SCHEMA sch;",
        label="f.sql",
    )
    stats += engine.run_script("INSERT INTO cat.sch.t VALUES (3)", label="g.sql")
    engine.close()
    assert len(recorder.connects) == 1 and recorder.closed == 1  # one session for both scripts
    assert recorder.connects[0]["catalog"] == "cat" and recorder.connects[0]["schema"] == "sch"
    assert recorder.statements == [
        "CREATE TABLE cat.sch.t (a BIGINT)",
        "INSERT INTO cat.sch.t VALUES (1), (2)",
        "USE SCHEMA other",
        "USE SCHEMA sch",  # sent: the session had moved to another schema
        "INSERT INTO cat.sch.t VALUES (3)",
    ]
    assert [s.skipped is not None for s in stats] == [True, True, False, False, False, False, False]
    assert stats[3].rows == 2 and stats[6].rows == 1
    assert all(s.query_id and s.query_id.startswith("01ef-fake-") for s in stats if not s.skipped)


def test_cancel_reaches_the_running_statement(recorder: Recorder) -> None:
    started, release = threading.Event(), threading.Event()

    def block(statement: str) -> None:
        if "slow" in statement:
            started.set()
            release.wait(10)

    recorder.fail_on = block
    engine = open_engine("idu_dbx", catalog="cat", schema="sch")
    worker = threading.Thread(target=engine.run_script, args=("SELECT 1 AS slow",), kwargs={"label": "x"})
    worker.start()
    assert started.wait(10)
    engine.cancel()  # what on_kill does
    release.set()
    worker.join(10)
    engine.close()
    assert recorder.cancelled == 1 and recorder.closed == 1
