"""Ordering arrays and structs with a NULL inside (spark_compat/nested_order.py): which operands get the
run-time guard, and its verdicts on DuckDB: a scalar or a nested value without a NULL inside runs as
written, one with a NULL element or field is refused. No Spark (tests/fidelity/test_nested_order.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import duckdb
import pytest

from airflow_idu.engines.duckdb.macros import install_macros
from airflow_idu.engines.duckdb.translate import translate_statement

# (id, Spark SQL, the guarded operand's DuckDB text, or None: no guard)
TRANSLATIONS = [
    ("order-by", "SELECT * FROM t ORDER BY a", "IDU_ORDERED(a,"),
    ("order-by-position", "SELECT a FROM t ORDER BY 1", None),
    ("order-by-arithmetic", "SELECT * FROM t ORDER BY n + 1", None),
    ("window-order", "SELECT rank() OVER (ORDER BY a) FROM t", "IDU_ORDERED(RANK() OVER (ORDER BY a NULLS FIRST),"),
    ("less-than", "SELECT a < b FROM t", "IDU_ORDERED(b,"),
    ("scalar-operands", "SELECT n + 1 < 3 FROM t", None),
    ("between", "SELECT n BETWEEN b AND a FROM t", "IDU_ORDERED(b,"),
    ("max", "SELECT max(a) FROM t", "MAX(IDU_ORDERED(a,"),
    ("min-window", "SELECT min(s) OVER (PARTITION BY n) FROM t", "MIN(IDU_ORDERED(s,"),
    ("count-not-ordering", "SELECT count(a) FROM t", None),
    ("greatest", "SELECT greatest(a, b) FROM t", "IDU_ORDERED(a,"),
    ("array_max", "SELECT array_max(a) FROM t", "LIST_MAX(IDU_ORDERED_ELEMENTS(a,"),
    ("equality-not-ordering", "SELECT a = b FROM t", None),
]  # fmt: skip


@pytest.mark.parametrize(("sql", "guarded"), [t[1:] for t in TRANSLATIONS], ids=[t[0] for t in TRANSLATIONS])
def test_translation(sql: str, guarded: str | None) -> None:
    out = translate_statement(sql).statements[0]
    if guarded is None:
        assert "IDU_ORDERED" not in out
    else:
        assert guarded in out


_ROWS = "(SELECT 1 AS n, array(1) AS a, array(2) AS b, named_struct('x', 1, 'y', 'NULL') AS s)"
_NULLS = "(SELECT 1 AS n, array(1) AS a, array(NULL, 1) AS b, named_struct('x', NULL, 'y', 'a') AS s)"
_DEEP = "(SELECT 1 AS n, array(array(1)) AS a, array(array(NULL)) AS b)"

# (id, Spark SQL over a table t, DuckDB's rows, or the refusal's start)
RUNS = [
    ("scalar-order", f"SELECT n FROM {_ROWS} ORDER BY n", [(1,)]),
    ("no-null-inside", f"SELECT a < b, max(s).y FROM {_ROWS} GROUP BY a, b", [(True, "NULL")]),
    ("string-NULL-field", f"SELECT n FROM {_ROWS} ORDER BY s", [(1,)]),
    ("null-element-order", f"SELECT n FROM {_NULLS} ORDER BY b", "[IDU_REFUSED] ORDER BY of an array"),
    ("null-element-less", f"SELECT a < b FROM {_NULLS}", "[IDU_REFUSED] comparing of an array"),
    ("null-field-max", f"SELECT max(s) FROM {_NULLS}", "[IDU_REFUSED] min/max of an array"),
    ("null-field-window", f"SELECT min(s) OVER (PARTITION BY n) FROM {_NULLS}", "[IDU_REFUSED] min/max"),
    ("null-key-window-order", f"SELECT row_number() OVER (ORDER BY s) FROM {_NULLS}", "[IDU_REFUSED] ORDER BY"),
    ("window-order-no-null", f"SELECT row_number() OVER (ORDER BY s) FROM {_ROWS}", [(1,)]),
    ("null-field-greatest", f"SELECT greatest(s, s) FROM {_NULLS}", "[IDU_REFUSED] greatest/least"),
    ("null-key-max_by", f"SELECT max_by(n, b) FROM {_NULLS}", "[IDU_REFUSED] max_by(n, b): an ordering value with a NULL"),
    ("two-levels", f"SELECT a < b FROM {_DEEP}", "[IDU_REFUSED] comparing"),
    ("array_max-nested", f"SELECT array_max(b) FROM {_DEEP}", "[IDU_REFUSED] array_max/array_min"),
    ("array_max-flat-nulls", f"SELECT array_max(b) FROM {_NULLS}", [(1,)]),
    ("order-by-alias", "SELECT n AS x FROM (SELECT 2 AS n, 1 AS x UNION ALL SELECT 1, 2) ORDER BY x", [(1,), (2,)]),
    ("order-by-alias-nulls", f"SELECT b AS a FROM {_NULLS} ORDER BY a", "[IDU_REFUSED] ORDER BY"),
    ("top-level-null", "SELECT max(a) FROM (SELECT array(1) AS a UNION ALL SELECT NULL)", [([1],)]),
    ("equality-agrees", f"SELECT b = b, count(DISTINCT b) FROM {_NULLS} GROUP BY b", [(True, 1)]),
]  # fmt: skip


@pytest.fixture(scope="module")
def duck() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    install_macros(con)
    yield con
    con.close()


@pytest.mark.parametrize(("sql", "expected"), [t[1:] for t in RUNS], ids=[t[0] for t in RUNS])
def test_run(duck: duckdb.DuckDBPyConnection, sql: str, expected: list[tuple[object, ...]] | str) -> None:
    (statement,) = translate_statement(sql).statements
    if isinstance(expected, str):
        with pytest.raises(duckdb.Error, match=re.escape(expected)):
            duck.sql(statement).fetchall()
    else:
        assert duck.sql(statement).fetchall() == expected
