"""StatementError messages fit a log viewer: cause first and short, then where, then the detail."""

from __future__ import annotations

import duckdb
import pytest

from airflow_idu.engines.base import StatementError
from airflow_idu.engines.duckdb.translate import translate_statement


def _raised(run) -> BaseException:  # type: ignore[no-untyped-def]
    try:
        run()
    except Exception as err:
        return err
    raise AssertionError("expected an error")


def _duckdb(sql: str):  # type: ignore[no-untyped-def]
    return lambda: duckdb.connect().execute(sql)


BROKEN = "CREATE TABLE c.s.t AS SELECT x, FROM WHERE y = (1"
CASES = [
    (
        BROKEN,
        lambda: translate_statement(BROKEN),
        "ParseError: cannot parse as Databricks SQL: Expected table name but got 'WHERE' (line 1, col 42",
        "near: CREATE TABLE c.s.t AS SELECT x, FROM >>>WHERE<<< y = (1",
    ),
    (
        "SELECT * FROM nope",
        _duckdb("SELECT * FROM nope"),
        "CatalogException: Catalog Error: Table with name nope does not exist!",
        "LINE 1: SELECT * FROM nope",
    ),
    (
        "SELEC 1",
        lambda: (_ for _ in ()).throw(RuntimeError("\x1b[4mboom\x1b[0m " + "x" * 300 + "\nsecond line")),
        "RuntimeError: boom xxx",
        "second line",
    ),
]


@pytest.mark.parametrize(
    ("statement", "run", "cause", "detail"), CASES, ids=["parse_error", "duckdb", "ansi_long"]
)
def test_cause_first_then_location_then_detail(statement: str, run, cause: str, detail: str) -> None:  # type: ignore[no-untyped-def]
    err = StatementError(label="f.sql", index=2, statement=statement, error=_raised(run))
    lines = str(err).splitlines()
    assert lines[0].startswith(cause) and len(lines[0]) <= 160
    assert lines[1] == f"f.sql: statement 2 failed ({statement})"
    assert detail in "\n".join(lines[2:])
    assert "\x1b" not in str(err) and "Expecting )" not in str(err)  # no ANSI codes, no follow-on errors


def test_report_keeps_the_cause_in_the_task_error_only() -> None:
    err = StatementError(
        label="f.sql", index=2, statement=BROKEN, error=_raised(lambda: translate_statement(BROKEN))
    )
    message = err.report("not retried")
    assert message.splitlines()[1].endswith("— not retried")
    assert str(err) == f"f.sql: statement 2 failed ({BROKEN})" and err.__cause__ is None
    assert "Expected table name" in err.cause and "Expected table name" in err.engine_error  # fields kept
