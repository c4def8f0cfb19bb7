"""The one Databricks classifier: Statement Execution API failures and Delta write conflicts."""

from __future__ import annotations

import pytest

from airflow_idu.engines.databricks_errors import is_transient_statement_failure, is_write_conflict


@pytest.mark.parametrize(
    ("state", "code", "message", "transient"),
    [
        ("FAILED", "BAD_REQUEST", "[TABLE_OR_VIEW_NOT_FOUND] The table `x` cannot be found.", False),
        ("FAILED", "BAD_REQUEST", "[PARSE_SYNTAX_ERROR] Syntax error at or near 'SELEC'.", False),
        ("CANCELED", "CANCELED", "the statement ended CANCELED", True),
        ("FAILED", "TEMPORARILY_UNAVAILABLE", "try again", True),
        ("FAILED", "SERVICE_UNDER_MAINTENANCE", "maintenance", True),
        ("FAILED", "BAD_REQUEST", "[DELTA_CONCURRENT_APPEND] Files were added by a concurrent update.", True),
        ("FAILED", "BAD_REQUEST", "[CONCURRENT_QUERY] Another query is running.", True),
        ("FAILED", "BAD_REQUEST", "[OPERATION_CANCELED] Operation has been canceled.", True),
    ],
    ids=[
        "missing-table",
        "syntax",
        "cancelled-by-someone",
        "unavailable",
        "maintenance",
        "delta-concurrent",
        "concurrent-query",
        "operation-canceled-as-the-connector-path",
    ],
)
def test_statement_failures(state: str, code: str, message: str, transient: bool) -> None:
    assert is_transient_statement_failure(state, code, message) is transient


@pytest.mark.parametrize(
    ("message", "conflict"),
    [
        ("ConcurrentAppendException: Files were added", True),
        ("[DELTA_CONCURRENT_WRITE] ...", True),
        ("MetadataChangedException: the metadata changed", True),
        ("ProtocolChangedException: the protocol changed", True),
        ("[TABLE_OR_VIEW_NOT_FOUND] idu_writer_lease", False),
        ("IOException: Could not set lock on file", False),
    ],
    ids=["append", "delta-class", "metadata", "protocol", "missing-table", "duckdb-lock"],
)
def test_write_conflicts(message: str, conflict: bool) -> None:
    assert is_write_conflict(message) is conflict
