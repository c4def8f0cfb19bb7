"""The Databricks engine through the real ``DatabricksSqlHook`` and ``databricks-sql-connector``,
over Thrift/HTTP to the local warehouse (``tests/warehouse/fixture.py``)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest

from airflow_idu.engines import StatementError, is_transient, open_engine
from airflow_idu.engines.base import ConnectionOpenError
from airflow_idu.engines.databricks import DatabricksAuthError, DatabricksEngine
from airflow_idu.engines.databricks_errors import DatabricksTokenExpired
from airflow_idu.engines.duckdb import DuckDBEngine
from airflow_idu.engines.registry import ENGINES, UnsupportedConnectionError, engine_class
from airflow_idu.engines.spark_connect import SparkConnectEngine
from airflow_idu.warehouse.core import StatementState
from tests.engines.lookups import count_connection_lookups
from tests.warehouse.fixture import TOKEN, LocalWarehouse


@pytest.fixture
def dbx(local_warehouse: LocalWarehouse, monkeypatch: pytest.MonkeyPatch) -> LocalWarehouse:
    local_warehouse.use(monkeypatch, "idu_dbx")
    return local_warehouse


@pytest.mark.parametrize(
    ("conn_type", "cls"),
    [("databricks", DatabricksEngine), ("DuckDB", DuckDBEngine), ("spark_connect", SparkConnectEngine)],
    ids=["databricks", "duckdb", "spark_connect"],
)
def test_registry_maps_connection_types_to_engines(conn_type: str, cls: type) -> None:
    assert engine_class(conn_type) is cls
    assert set(ENGINES) == {"databricks", "duckdb", "spark_connect"}


def test_unknown_connection_type_names_the_supported_ones() -> None:
    with pytest.raises(
        UnsupportedConnectionError, match=r"type 'snowflake'.*\['databricks', 'duckdb', 'spark_connect'\]"
    ):
        engine_class("snowflake", conn_id="x")


def test_one_session_redundant_use_skipped_rows_and_query_ids(dbx: LocalWarehouse) -> None:
    mark, sessions = dbx.mark(), len(dbx.warehouse.sessions_opened)
    engine = open_engine("idu_dbx", catalog="cat", schema="sch")
    assert isinstance(engine, DatabricksEngine)
    stats = engine.run_script(
        "USE CATALOG cat; USE SCHEMA sch; CREATE OR REPLACE TABLE cat.sch.t (a BIGINT); "
        "INSERT INTO cat.sch.t VALUES (1), (2); USE SCHEMA other; USE SCHEMA sch;",
        label="f.sql",
    )
    stats += engine.run_script("INSERT INTO cat.sch.t VALUES (3)", label="g.sql")
    assert engine.scalar("SELECT count(*) FROM t") == 3  # the session is back in sch
    engine.close()
    opened = dbx.warehouse.sessions_opened[sessions:]
    assert [(c, s) for _, c, s in opened] == [("cat", "sch")]  # one session for both scripts
    assert opened[0][0] in dbx.warehouse.sessions_closed
    assert dbx.statements(mark) == [
        "CREATE OR REPLACE TABLE cat.sch.t (a BIGINT)",
        "INSERT INTO cat.sch.t VALUES (1), (2)",
        "USE SCHEMA other",
        "USE SCHEMA sch",  # sent: the session had moved to another schema
        "INSERT INTO cat.sch.t VALUES (3)",
        "SELECT count(*) FROM t",
    ]
    assert [s.skipped is not None for s in stats] == [True, True, False, False, False, False, False]
    assert stats[3].rows == 2 and stats[6].rows == 1  # num_affected_rows through the connector
    history_ids = {h.statement_id for h in dbx.warehouse.history[mark:]}
    assert stats[3].query_id in history_ids
    url = engine.query_history_url(stats)
    assert url == f"http://127.0.0.1:{dbx.server.port}/sql/history?queryId={stats[2].query_id}"


def test_a_task_looks_its_connection_up_once(dbx: LocalWarehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    """open_engine reads the connection to choose the engine; the provider's hook then gets that
    connection instead of looking it up again (in a task, each lookup of a connection stored in
    Airflow's database is a round trip to the API server)."""
    looked_up = count_connection_lookups(monkeypatch)
    engine = open_engine("idu_dbx", catalog="cat", schema="sch")
    stats = engine.run_script("SELECT 1", label="f.sql")
    assert engine.query_history_url(stats)  # reads the hook's connection (host, scheme, port)
    engine.close()
    assert looked_up == ["idu_dbx"]


def test_sql_error_is_permanent_and_carries_the_databricks_error_class(dbx: LocalWarehouse) -> None:
    engine = open_engine("idu_dbx", catalog="cat", schema="sch")
    try:
        with pytest.raises(StatementError) as err:
            engine.run_script("SELECT * FROM cat.sch.no_such_table", label="bad.sql")
    finally:
        engine.close()
    assert "[TABLE_OR_VIEW_NOT_FOUND]" in str(err.value) and "SQLSTATE: 42P01" in str(err.value)
    assert type(err.value.__cause__).__name__ == "ServerOperationError"
    assert not engine.is_transient(err.value.__cause__)


def test_wrong_token_fails_at_once_with_a_clear_auth_error(
    local_warehouse: LocalWarehouse,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    local_warehouse.use(monkeypatch, "idu_dbx_bad", password="dapi-wrong-token-0000")
    engine = open_engine("idu_dbx_bad", catalog="cat", schema="sch")
    started = time.monotonic()
    with pytest.raises(StatementError) as err:
        engine.scalar("SELECT 1")
    assert time.monotonic() - started < 5
    cause = err.value.__cause__
    assert isinstance(cause, DatabricksAuthError)
    assert "HTTP 403: Invalid access token" in str(err.value) and "'idu_dbx_bad'" in str(err.value)
    assert "dapi-wrong-token-0000" not in str(err.value) and TOKEN not in str(err.value)
    assert not engine.is_transient(cause) and not is_transient(cause)


def test_expired_oauth_token_is_refreshed_through_the_hook(
    local_warehouse: LocalWarehouse,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Service-principal OAuth: the hook fetches tokens from the warehouse's /oidc/v1/token; the
    warehouse refuses each one as expired after 3 requests; twelve statements still all succeed."""
    local_warehouse.oauth(monkeypatch, "idu_dbx_oauth", tokens_last=3)
    issued = local_warehouse.auth.issued
    engine = open_engine("idu_dbx_oauth", catalog="cat", schema="sch_oauth")
    try:
        engine.run_script("CREATE OR REPLACE TABLE t (a BIGINT)", label="setup")
        for i in range(10):
            engine.run_script(f"INSERT INTO t VALUES ({i})", label=f"insert {i}")
        assert engine.scalar("SELECT count(*) FROM t") == 10  # none lost, none sent twice
    finally:
        engine.close()
    assert local_warehouse.auth.issued - issued >= 4  # new tokens were fetched mid-way


def _wait_running(dbx: LocalWarehouse, marker: str) -> Any:
    """The warehouse's statement containing ``marker`` once it runs (within 10 s)."""
    started = time.monotonic()
    while time.monotonic() - started < 10:
        for s in list(dbx.warehouse._statements.values()):
            if marker in s.sql and s.state == "RUNNING":
                return s
        time.sleep(0.02)
    raise AssertionError(f"the statement {marker} never started")


def _in_background(engine: Any, sql: str) -> tuple[threading.Thread, list[BaseException]]:
    """Run ``sql`` on ``engine`` in a thread; the list collects what it raised."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            engine.run_script(sql, label="slow.sql")
        except BaseException as err:
            errors.append(err)

    worker = threading.Thread(target=run)
    worker.start()
    return worker, errors


def test_token_expiring_while_a_statement_runs_is_transient(dbx: LocalWarehouse) -> None:
    """The token sent the statement, then expired while it ran: the next poll answers 401. The
    engine cannot follow that statement on a new session, so it fails the statement as transient
    (the task's retry sends the work again with a new token), not as bad credentials."""
    dbx.warehouse.slow_statements["/* slow_expiry */"] = 3
    engine = open_engine("idu_dbx", catalog="cat", schema="sch")
    worker, errors = _in_background(engine, "SELECT /* slow_expiry */ 1")
    try:
        _wait_running(dbx, "/* slow_expiry */")
        dbx.auth.expire_after = 0  # every token's uses now exceed its limit: the next poll is refused
        worker.join(20)
    finally:
        dbx.auth.expire_after = None
        engine.close()
    assert not worker.is_alive()
    assert errors and isinstance(errors[0], StatementError), errors
    cause = errors[0].__cause__
    assert isinstance(cause, DatabricksTokenExpired) and "expired while a statement ran" in str(cause)
    assert engine.is_transient(cause) and is_transient(cause)


def test_cancel_interrupts_the_statement_in_the_warehouse(dbx: LocalWarehouse) -> None:
    dbx.warehouse.slow_statements["/* slow */"] = 30
    engine = open_engine("idu_dbx", catalog="cat", schema="sch")
    started = time.monotonic()
    worker, errors = _in_background(engine, "SELECT /* slow */ 1")
    running = _wait_running(dbx, "/* slow */")
    engine.cancel()
    worker.join(10)
    engine.close()
    assert not worker.is_alive() and time.monotonic() - started < 10
    entry = next(h for h in dbx.warehouse.history if h.statement_id == running.statement_id)
    assert entry.state is StatementState.CANCELED
    assert errors and isinstance(errors[0], StatementError) and "OPERATION_CANCELED" in str(errors[0])


def _databricks_errors() -> dict[str, BaseException]:
    import urllib3
    from databricks.sql import exc

    return {
        "sql": exc.ServerOperationError("[TABLE_OR_VIEW_NOT_FOUND] t SQLSTATE: 42P01"),
        "concurrent_write": exc.ServerOperationError("[DELTA_CONCURRENT_APPEND] conflict"),
        "request_503_exhausted": exc.RequestError("Error during request to server", {"http-code": 503}),
        "request_403": exc.RequestError(
            "Error during request to server: Invalid access token", {"http-code": 403}
        ),
        "request_401": exc.RequestError("Error during request to server: Token expired", {"http-code": 401}),
        "token_expired_mid_statement": DatabricksTokenExpired("expired while a statement ran"),
        "auth": DatabricksAuthError("refused"),
        "dropped_urllib3": urllib3.exceptions.MaxRetryError(None, "/sql", "RemoteDisconnected"),  # type: ignore[arg-type]
        "reset": ConnectionResetError(104, "Connection reset by peer"),
        "closed_cursor": exc.CursorAlreadyClosedError("closed"),
    }


def _duckdb_errors(tmp: Path) -> dict[str, BaseException]:
    return {
        "lock": duckdb.IOException(
            'IO Error: Could not set lock on file "x.duckdb": Conflicting lock is held'
        ),
        "missing_dir": duckdb.IOException(
            f'IO Error: Cannot open file "{tmp}/no_dir/x.duckdb": No such file or directory'
        ),
        "permission": duckdb.IOException('IO Error: Cannot open file "/x.duckdb": Permission denied'),
        "catalog": duckdb.CatalogException("Catalog Error: Table with name t does not exist!"),
        "parser": duckdb.ParserException("Parser Error: syntax error"),
        "interrupt": duckdb.InterruptException("INTERRUPT Error: Interrupted!"),
    }


@pytest.mark.parametrize(
    ("engine", "error", "transient"),
    [
        ("databricks", "sql", False),
        ("databricks", "concurrent_write", True),
        ("databricks", "request_503_exhausted", True),
        ("databricks", "request_403", False),
        ("databricks", "request_401", False),
        ("databricks", "token_expired_mid_statement", True),
        ("databricks", "auth", False),
        ("databricks", "dropped_urllib3", True),
        ("databricks", "reset", True),
        ("databricks", "closed_cursor", False),
        ("duckdb", "lock", True),
        ("duckdb", "missing_dir", False),
        ("duckdb", "permission", False),
        ("duckdb", "catalog", False),
        ("duckdb", "parser", False),
        ("duckdb", "interrupt", True),
    ],
    ids=lambda v: str(v),
)
def test_each_engine_owns_what_is_transient(tmp_path: Path, engine: str, error: str, transient: bool) -> None:
    errors = {**_databricks_errors(), **_duckdb_errors(tmp_path)}
    own, other = (
        (DatabricksEngine, DuckDBEngine) if engine == "databricks" else (DuckDBEngine, DatabricksEngine)
    )
    assert own.is_transient(errors[error]) is transient
    assert is_transient(errors[error]) is transient  # the registry-wide answer agrees
    if error != "reset":  # a socket error is the network's, whichever engine meets it
        assert other.is_transient(errors[error]) is False  # an engine does not judge another driver's errors


def test_missing_directory_for_the_duckdb_file_is_permanent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "nonexistent_dir" / "x.duckdb"
    monkeypatch.setenv("AIRFLOW_CONN_IDU_NODIR", json.dumps({"conn_type": "duckdb", "host": str(database)}))
    engine = open_engine("idu_nodir", catalog="c", schema="s")
    with pytest.raises(ConnectionOpenError) as err:
        engine.run_script("USE SCHEMA s", label="f.sql")
    assert isinstance(err.value.__cause__, duckdb.IOException)
    assert not engine.is_transient(err.value.__cause__)
    # The file is blamed, on the first line; no statement is named anywhere in the message.
    first, *rest = str(err.value.message("not retried")).splitlines()
    assert first.startswith(f"IOException: cannot open the database file {database} (connection 'idu_nodir')")
    assert "No such file or directory" in first
    assert "statement" not in first and not any("USE SCHEMA" in line for line in rest), rest
