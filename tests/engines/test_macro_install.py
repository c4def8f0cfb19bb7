"""The compatibility macros are installed in a DuckDB file once per version, all or none."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from airflow_idu.engines.duckdb import macros


def _macro_names(conn: duckdb.DuckDBPyConnection) -> set[str]:
    rows = conn.execute(
        "SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_type IN ('macro', 'table_macro') "
        "AND NOT internal"
    ).fetchall()
    return {str(r[0]) for r in rows}


def test_a_new_file_gets_every_macro_once(tmp_path: Path) -> None:
    database = str(tmp_path / "m.duckdb")
    with duckdb.connect(database) as conn:
        assert macros.install_macros(conn) is True
        installed = _macro_names(conn)
    assert macros.MACROS_MARKER in installed
    with duckdb.connect(database) as conn:
        assert macros.install_macros(conn) is False  # the marker says this version is there
        assert _macro_names(conn) == installed
        assert conn.execute("SELECT idu_conv('ff', 16, 10)").fetchone() == ("255",)  # a Python function too


def test_a_failing_definition_leaves_no_partial_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database = str(tmp_path / "m.duckdb")
    good = macros._DEFINITIONS
    half = len(good) // 2
    broken = (*good[:half], "CREATE OR REPLACE MACRO idu_broken(x) AS no_such_function(x) +", *good[half:])
    monkeypatch.setattr(macros, "_DEFINITIONS", broken)
    with duckdb.connect(database) as conn:
        with pytest.raises(duckdb.ParserException):
            macros.install_macros(conn)
        assert _macro_names(conn) == set()  # the first half was rolled back with it
        assert conn.execute("SELECT 1").fetchone() == (1,)  # and the connection is usable
    monkeypatch.setattr(macros, "_DEFINITIONS", good)
    with duckdb.connect(database) as conn:
        assert macros.install_macros(conn) is True
        assert macros.MACROS_MARKER in _macro_names(conn)


class _RollbackFails:
    """A connection whose ROLLBACK fails too (a connection broken mid-install)."""

    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self._conn = conn

    def execute(self, sql: str, *args: object) -> duckdb.DuckDBPyConnection:
        if sql == "ROLLBACK":
            raise duckdb.ConnectionException("the connection is gone")
        return self._conn.execute(sql, *args)

    def __getattr__(self, name: str) -> object:
        return getattr(self._conn, name)


def test_a_failed_rollback_does_not_hide_the_cause(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = macros._DEFINITIONS
    monkeypatch.setattr(macros, "_DEFINITIONS", (*good[:3], "CREATE OR REPLACE MACRO idu_broken(x) AS +"))
    # the definition's error comes out, not the rollback's
    with duckdb.connect(str(tmp_path / "m.duckdb")) as conn, pytest.raises(duckdb.ParserException):
        macros.install_macros(_RollbackFails(conn))  # type: ignore[arg-type]
