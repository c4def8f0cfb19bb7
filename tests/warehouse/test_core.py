"""The warehouse core on a real DuckDB file: translation, sessions, DML counts, errors, cancel, history."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_idu.warehouse.core import StatementState, Warehouse


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    wh = Warehouse(tmp_path_factory.mktemp("core") / "wh.duckdb", statement_timeout=30)
    yield wh
    wh.close()


def test_session_starts_in_its_schema_and_runs_databricks_sql(warehouse: Warehouse) -> None:
    session = warehouse.open_session("main", "s1")
    ddl = warehouse.execute(
        "CREATE OR REPLACE TABLE t (id BIGINT, v STRING) USING DELTA TBLPROPERTIES ('a'='b')",
        session_id=session,
    )
    assert ddl.state is StatementState.SUCCEEDED, ddl.error
    ins = warehouse.execute("INSERT INTO main.s1.t VALUES (1, 'a'), (2, 'b'), (3, 'c')", session_id=session)
    assert ins.result is not None
    assert (ins.result.columns, ins.result.rows) == (["num_affected_rows", "num_inserted_rows"], [(3, 3)])
    upd = warehouse.execute("UPDATE t SET v = 'z' WHERE id > 1", session_id=session)
    assert upd.result is not None and (upd.result.columns, upd.result.rows) == (["num_affected_rows"], [(2,)])
    sel = warehouse.execute(
        "SELECT id, v, collect_list(id) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) "
        "AS ids, conv('ff', 16, 10) AS c FROM t ORDER BY id",
        session_id=session,
    )
    assert sel.result is not None
    assert sel.result.types == ["BIGINT", "STRING", "ARRAY<BIGINT>", "STRING"]
    assert sel.result.rows[0] == (1, "a", [1, 2, 3], "255")
    # a statement without a session names its namespace
    other = warehouse.execute("SELECT count(*) FROM t", catalog="main", schema="s1")
    assert other.result is not None and other.result.rows == [(3,)]
    warehouse.close_session(session)
    with pytest.raises(KeyError):
        warehouse.submit("SELECT 1", session_id=session)


@pytest.mark.parametrize(
    ("sql", "error_class", "sqlstate"),
    [
        ("SELECT * FROM no_such_table", "TABLE_OR_VIEW_NOT_FOUND", "42P01"),
        ("SELEC 1", "PARSE_SYNTAX_ERROR", "42601"),
        ("SELECT no_such_column FROM range(1)", "UNRESOLVED_COLUMN.WITH_SUGGESTION", "42703"),
        ("SELECT * FROM no_schema.t", "TABLE_OR_VIEW_NOT_FOUND", "42P01"),
    ],
    ids=["missing-table", "syntax", "missing-column", "missing-schema"],
)
def test_errors_have_databricks_shape(
    warehouse: Warehouse, sql: str, error_class: str, sqlstate: str
) -> None:
    statement = warehouse.execute(sql, schema="s_err")
    assert statement.state is StatementState.FAILED
    assert statement.error is not None
    assert (statement.error.error_class, statement.error.sqlstate) == (error_class, sqlstate)
    assert statement.error.message.startswith(f"[{error_class}] ")
    assert statement.error.message.endswith(f"SQLSTATE: {sqlstate}")
    assert "\x1b" not in statement.error.message


def test_cancel_interrupts_a_running_duckdb_query_and_history_records_it(warehouse: Warehouse) -> None:
    session = warehouse.open_session(None, "s_cancel")
    statement = warehouse.submit(
        "SELECT sum(a.id * b.id) FROM range(100000) a, range(1000000) b", session_id=session
    )
    deadline = time.monotonic() + 10
    while statement.state is not StatementState.RUNNING and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    warehouse.cancel(statement.statement_id)
    assert statement.wait(10)
    assert statement.state is StatementState.CANCELED
    entry = next(h for h in warehouse.history if h.statement_id == statement.statement_id)
    assert entry.state is StatementState.CANCELED and entry.seconds < 10
    # the session still works after an interrupt
    assert warehouse.execute("SELECT 1", session_id=session).state is StatementState.SUCCEEDED
    warehouse.close_session(session)


def test_slow_statement_and_timeout(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "slow.duckdb", statement_timeout=0.3, slow_statements={"/*slow*/": 5})
    try:
        statement = wh.execute("SELECT /*slow*/ 1")
        assert statement.state is StatementState.FAILED
        assert statement.error is not None and statement.error.error_class == "STATEMENT_TIMEOUT"
        assert wh.execute("SELECT 2").state is StatementState.SUCCEEDED
    finally:
        wh.close()


def test_get_unknown_statement_is_key_error(warehouse: Warehouse) -> None:
    with pytest.raises(KeyError):
        warehouse.get("nope")
