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
    ("order-by-position", "SELECT a FROM t ORDER BY 1", "IDU_ORDERED(a,"),  # the key it names (order_positions.py)
    ("order-by-arithmetic", "SELECT * FROM t ORDER BY n + 1", None),
    ("window-order", "SELECT rank() OVER (ORDER BY a) FROM t", "IDU_ORDERED(RANK() OVER (ORDER BY a NULLS FIRST),"),
    ("less-than", "SELECT a < b FROM t", "IDU_ORDERED(b,"),
    ("scalar-operands", "SELECT n + 1 < 3 FROM t", None),
    ("between", "SELECT n BETWEEN b AND a FROM t", "IDU_ORDERED(b,"),
    ("max", "SELECT max(a) FROM t", "MAX(IDU_ORDERED(a,"),
    ("min-window", "SELECT min(s) OVER (PARTITION BY n) FROM t", "MIN(IDU_ORDERED(s,"),
    ("count-not-ordering", "SELECT count(a) FROM t", None),
    ("greatest", "SELECT greatest(a, b) FROM t", "IDU_ORDERED(b,"),
    ("array_max", "SELECT array_max(a) FROM t", "LIST_MAX(IDU_ORDERED_ELEMENTS(a,"),
    ("equality-not-ordering", "SELECT a = b FROM t", None),
]  # fmt: skip

# (id, Spark SQL, how the key's fields are tested: on the constructor's own field expressions where the
# struct is built in place, by position where a column is traced to its constructor, else on the text)
_LDR = "(SELECT f, STRUCT(p, id) AS ldr FROM t) r"
SHAPES = [
    ("constructor", "SELECT * FROM t ORDER BY named_struct('o', o, 'v', v)", "fields"),
    ("case-of-constructor", "SELECT max(CASE WHEN v IS NOT NULL THEN struct(o, v) END).v FROM t", "fields"),
    ("subquery-column", f"SELECT min(ldr) FROM {_LDR}", "position"),
    ("window-then-column", f"SELECT older > newer FROM (SELECT ldr AS older, min(ldr) OVER (PARTITION BY f) AS newer "
     f"FROM {_LDR}) w", "position"),
    ("cte-column", "WITH c AS (SELECT struct(p, id) AS ldr FROM t) SELECT max(ldr) FROM c", "position"),
    ("collect-list-elements", "SELECT sort_array(collect_list(CASE WHEN v IS NOT NULL THEN struct(o, v) END)) FROM t",
     "position"),
    ("table-column", "SELECT max(s) FROM t", "text"),
    ("union-column", "SELECT max(s) FROM (SELECT struct(1) AS s UNION ALL SELECT struct(2))", "text"),
    ("order-by-own-alias", f"SELECT id AS ldr FROM {_LDR} ORDER BY ldr", "text"),
    ("function-result", "SELECT max(from_json(j, 'a INT')) FROM t", "text"),
    ("replaced-operand", "SELECT max(array_sort(a)) FROM t", "text"),
]  # fmt: skip


@pytest.mark.parametrize(("sql", "test"), [t[1:] for t in SHAPES], ids=[t[0] for t in SHAPES])
def test_struct_shape(sql: str, test: str) -> None:
    out = translate_statement(sql).statements[0]
    assert ("STRUCT_EXTRACT_AT(" in out) is (test == "position")
    assert ("IDU_ORDERED(" in out) is (test == "text")
    assert ("NULL element or field" in out) is (test != "text")  # the text test's message is in its macro


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
    # structs with the same field names compared, and joined in one type (names that differ: refused)
    ("struct-names-case", "SELECT s1 = s2 FROM (SELECT named_struct('a', 1) AS s1, named_struct('A', 1) AS s2)",
     [(True,)]),
    ("struct-field-types-widen", "SELECT s1 < s2 FROM (SELECT named_struct('a', 1) AS s1, named_struct('a', 2L) AS s2)",
     [(True,)]),
    ("struct-names-array", "SELECT array(s1, s2) FROM (SELECT named_struct('a', 1) AS s1, named_struct('b', 1) AS s2)",
     "[IDU_REFUSED] array of mixed types (STRUCT(a INTEGER), STRUCT(b INTEGER)"),
    ("scalars-compared", "SELECT a = b, a < b FROM (SELECT 1 AS a, 2 AS b)", [(False, True)]),
    ("merge-update-set", "MERGE INTO m USING (SELECT 1 AS a, 5 AS b) s ON m.a = s.a WHEN MATCHED THEN UPDATE SET b = "
     "s.b WHEN NOT MATCHED THEN INSERT (a, b) VALUES (s.a, s.b)", [(1,)]),
    # an operand a later rewrite replaced keeps its guard
    ("replaced-operand", f"SELECT max(array_sort(b)) FROM {_NULLS}", "[IDU_REFUSED] min/max of an array"),
    ("replaced-operand-json", """SELECT max(from_json(j, 'a INT')) FROM (SELECT '{"a": null}' AS j)""",
     "[IDU_REFUSED] min/max of an array"),
    # struct keys traced to their constructors (spark_compat/nested_shape.py)
    ("shaped-elements-null-field", "SELECT sort_array(collect_list(struct(o, v))) FROM (SELECT 1 AS o, NULL AS v)",
     "[IDU_REFUSED] array_sort of an array"),
    ("shaped-elements", "SELECT sort_array(collect_list(struct(o, v)), false) FROM (SELECT 1 AS o, 2 AS v UNION ALL "
     "SELECT 3, 4)", [([{"o": 3, "v": 4}, {"o": 1, "v": 2}],)]),
    ("text-elements-null", f"SELECT array_sort(array(b, a)) FROM {_NULLS}", "[IDU_REFUSED] array_sort of an array"),
    ("shaped-null-field", "SELECT max(CASE WHEN v > 0 THEN struct(o, v) END) FROM (SELECT NULL AS o, 1 AS v)",
     "[IDU_REFUSED] min/max of an array"),
    ("shaped-no-value", "SELECT max(CASE WHEN v > 0 THEN struct(o, v) END).o FROM (SELECT 1 AS o, 1 AS v UNION ALL "
     "SELECT NULL, 0)", [(1,)]),
    ("shaped-nested-field", "SELECT min(s) FROM (SELECT struct(1 AS x, array(1, NULL) AS y) AS s)",
     "[IDU_REFUSED] min/max of an array"),
    ("shaped-nested-field-clean", "SELECT min(s).y FROM (SELECT struct(1 AS x, array(1, 2) AS y) AS s)", [([1, 2],)]),
    ("shaped-window-compare", "SELECT count(*) FROM (SELECT ldr AS older, min(ldr) OVER (PARTITION BY f) AS newer "
     "FROM (SELECT f, struct(p, id) AS ldr FROM (SELECT 1 AS f, 2 AS p, 'b' AS id UNION ALL SELECT 1, 1, NULL))) "
     "WHERE older > newer", "[IDU_REFUSED] min/max of an array"),
]  # fmt: skip


@pytest.fixture(scope="module")
def duck() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    install_macros(con)
    con.execute("CREATE TABLE m AS SELECT 1 AS a, 2 AS b")  # a MERGE target
    yield con
    con.close()


@pytest.mark.parametrize(("sql", "expected"), [t[1:] for t in RUNS], ids=[t[0] for t in RUNS])
def test_run(duck: duckdb.DuckDBPyConnection, sql: str, expected: list[tuple[object, ...]] | str) -> None:
    *setup, statement = translate_statement(sql).statements  # a MERGE is several (engines/duckdb/merge.py)
    for step in setup:
        duck.execute(step)
    if isinstance(expected, str):
        with pytest.raises(duckdb.Error, match=re.escape(expected)):
            duck.sql(statement).fetchall()
    else:
        assert duck.sql(statement).fetchall() == expected


def test_check_of_a_struct_built_in_place_grows_with_its_width() -> None:
    """The test reads the constructor's own fields, not the whole constructor once per field (which
    grew with the square of the width: 157 kB of SQL for 100 fields)."""

    def size(width: int) -> int:
        fields = ", ".join(f"'f{j}', v + {j}" for j in range(width))
        sql = f"SELECT max(CASE WHEN v > 0 THEN named_struct({fields}) END).f0 FROM t"
        return len(translate_statement(sql).statements[0])

    assert size(100) < 12 * size(10)
