"""Comparisons of structs whose field names differ (spark_compat/struct_names.py): refused when run,
since Spark compares field by field in order whatever the names and DuckDB by name (computed
operands too); where the names
agree the check folds away before planning (hash joins and scan filters unchanged)."""

from __future__ import annotations

import re
from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.translate import translate_statement

# (id, Spark SQL, whether its comparison carries the names check)
CHECKED = [
    ("columns", "SELECT * FROM a JOIN b ON a.s = b.s", True),
    ("field-and-constructor", "SELECT s.x = named_struct('a', 1) FROM t", True),
    ("ordering", "SELECT * FROM t WHERE s < u", True),
    ("null-safe", "SELECT * FROM t WHERE s <=> u", True),
    ("computed-key", "SELECT * FROM a JOIN b ON a.k = upper(b.k)", True),
    ("arithmetic", "SELECT * FROM a JOIN b ON a.k + 1 = b.k", False),
    ("subquery", "SELECT * FROM t WHERE s = (SELECT max(s) FROM u)", True),
    ("literal", "SELECT * FROM t WHERE s = 1", False),
    ("cast-to-scalar", "SELECT * FROM t WHERE CAST(s AS INT) = CAST(u AS INT)", False),
    ("update-set", "UPDATE t SET a = b", False),
]  # fmt: skip

REFUSED = [
    ("constructors", "SELECT s1 = s2 FROM (SELECT named_struct('a', 1) AS s1, named_struct('b', 1) AS s2)"),
    ("order-of-names", "SELECT s1 < s2 FROM (SELECT named_struct('a', 1, 'b', 2) AS s1, named_struct('b', 1, 'a', 2) AS s2)"),
    ("join", "SELECT count(*) FROM ta JOIN tb ON ta.s = tb.s"),
    ("scan-filter", "SELECT count(*) FROM ta WHERE s = named_struct('x', 0, 'b', '0')"),
    ("computed", "SELECT count(*) FROM ta JOIN tb ON coalesce(ta.s, ta.s) = tb.s"),
    ("subquery", "SELECT count(*) FROM ta WHERE s = (SELECT named_struct('x', 0, 'b', '0'))"),
    ("nested", "SELECT count(*) FROM tn JOIN tn AS o ON tn.n = named_struct('a', 1, 'inner', named_struct('z', 2))"),
]  # fmt: skip


@pytest.fixture(scope="module")
def tables(con: Any) -> Any:
    con.execute("CREATE OR REPLACE TABLE ta AS SELECT {'a': i, 'b': i::VARCHAR} s, i k FROM range(1000) t(i)")
    con.execute("CREATE OR REPLACE TABLE tb AS SELECT {'b': i, 'a': i::VARCHAR} s, i k FROM range(10) t(i)")
    con.execute("CREATE OR REPLACE TABLE tc AS SELECT {'a': i, 'b': i::VARCHAR} s, i k FROM range(1000) t(i)")
    con.execute("CREATE OR REPLACE TABLE tn AS SELECT {'a': 1, 'inner': {'y': 2}} n")
    return con


def _sql(statement: str) -> str:
    return translate_statement(statement).statements[-1]


@pytest.mark.parametrize(("sql", "checked"), [c[1:] for c in CHECKED], ids=[c[0] for c in CHECKED])
def test_which_comparisons_are_checked(sql: str, checked: bool) -> None:
    assert (re.search(r"IDU_SAME_FIELDS(_OF)?\(", _sql(sql)) is not None) is checked


# (id, Spark SQL, the form of its check): operands whose types DuckDB knows when it picks a macro
# overload take the typed front (nodes.typed_macro); an aggregate or a window the general check
FORMS = [
    ("columns", "SELECT * FROM a JOIN b ON a.k = b.k", "IDU_SAME_FIELDS("),
    ("subquery-with-aggregate", "SELECT * FROM t WHERE s = (SELECT max(s) FROM u)", "IDU_SAME_FIELDS("),
    ("aggregate", "SELECT max(b) = max(i) FROM t", "IDU_SAME_FIELDS_OF("),
    ("aggregate-and-column", "SELECT i FROM t GROUP BY i HAVING max(b) = i", "IDU_SAME_FIELDS_OF("),
    ("window", "SELECT lag(b) OVER (ORDER BY i) = i FROM t", "IDU_SAME_FIELDS_OF("),
    ("aggregate-by", "SELECT i FROM t GROUP BY i HAVING max_by(b, i) = i", "IDU_SAME_FIELDS_OF("),
]  # fmt: skip


@pytest.mark.parametrize(("sql", "form"), [c[1:] for c in FORMS], ids=[c[0] for c in FORMS])
def test_the_form_of_the_check_follows_what_is_typed_when_bound(sql: str, form: str) -> None:
    assert form in _sql(sql)


@pytest.mark.parametrize("sql", [r[1] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_different_field_names_are_refused_when_run(tables: Any, sql: str) -> None:
    with pytest.raises(duckdb.Error, match=r"\[IDU_REFUSED\] comparing structs whose field names differ"):
        tables.execute(_sql(sql)).fetchall()


# the same check refuses a BOOLEAN compared with a number (Spark fails the query) and a BINARY with a
# STRING (Spark compares UTF-8 bytes): the catalogue's cmp-* rows run them on Spark
OTHER_TYPES = [
    ("boolean-int", "SELECT count(*) FROM (SELECT true AS b, 1 AS i) WHERE b = i", "a BOOLEAN with a number"),
    ("int-boolean", "SELECT count(*) FROM (SELECT true AS b, 1L AS i) WHERE i = b", "a BOOLEAN with a number"),
    ("binary-string", "SELECT count(*) FROM (SELECT X'41' AS bin, 'A' AS s) WHERE bin = s", "a BINARY with a STRING"),
    ("string-binary-join", "SELECT count(*) FROM ta JOIN (SELECT X'41' AS bin) x ON ta.s.b = x.bin", "a BINARY"),
    # an aggregate's or a window's type is open when DuckDB picks an overload: the general check
    ("aggregates", "SELECT max(b) = max(i) FROM (SELECT true AS b, 1 AS i)", "a BOOLEAN with a number"),
    ("aggregate-and-column", "SELECT i FROM (SELECT true AS b, 1 AS i) GROUP BY i HAVING max(b) = i", "a BOOLEAN"),
    ("window", "SELECT lag(b) OVER (ORDER BY i) = i FROM (SELECT true AS b, 1 AS i)", "a BOOLEAN with a number"),
]  # fmt: skip


@pytest.mark.parametrize(("sql", "message"), [c[1:] for c in OTHER_TYPES], ids=[c[0] for c in OTHER_TYPES])
def test_boolean_with_number_and_binary_with_string_refused_when_run(
    tables: Any, sql: str, message: str
) -> None:
    with pytest.raises(duckdb.Error, match=r"\[IDU_REFUSED\] comparing " + message):
        tables.execute(_sql(sql)).fetchall()


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT count(*) FROM ta JOIN tc ON ta.s = tc.s", 1000),
        ("SELECT count(*) FROM ta WHERE s = named_struct('a', 5, 'b', '5')", 1),
        ("SELECT count(*) FROM ta JOIN tc ON ta.k = tc.k WHERE ta.s < tc.s", 0),
    ],
    ids=["join", "scan-filter", "ordering"],
)
def test_same_names_compare_as_before(tables: Any, sql: str, expected: int) -> None:
    assert tables.execute(_sql(sql)).fetchall() == [(expected,)]


@pytest.mark.parametrize(
    ("sql", "plan"),
    [
        ("SELECT count(*) FROM ta JOIN tc ON ta.s = tc.s", "Conditions: s = s"),
        ("SELECT count(*) FROM ta JOIN tc ON ta.k = tc.k", "Conditions: k = k"),
        ("SELECT count(*) FROM ta WHERE k = 5", "Filters: k = 5"),
        (
            "SELECT count(*) FROM ta JOIN tc ON CAST(ta.k AS STRING) = upper(CAST(tc.k AS STRING))",
            "Hash Join",
        ),
    ],
    ids=["struct-join", "column-join", "scan-filter", "computed-key"],
)
def test_the_check_folds_before_planning(tables: Any, sql: str, plan: str) -> None:
    explained = tables.execute("EXPLAIN " + _sql(sql)).fetchall()[0][1]
    assert plan in explained and "IDU_SAME_FIELDS" not in explained.upper()


def _nested(kind: str, depth: int) -> str:
    if kind == "subquery":
        query = "SELECT max(k) FROM t"
        for _ in range(depth):
            query = f"SELECT max(k) FROM t WHERE k = ({query})"
        return query
    value = "s"
    for _ in range(depth):
        value = f"CASE WHEN {value} = s THEN s ELSE s END"
    return f"SELECT {value} FROM t"


@pytest.mark.parametrize("kind", ["subquery", "case"])
def test_checks_grow_linearly_with_nesting(tables: Any, kind: str) -> None:
    """Each check copies its operands without their predicates, so a comparison nested in an
    operand is not copied again by every enclosing one (that grew with the square of the depth)."""
    short, long = (len(_sql(_nested(kind, d))) for d in (10, 40))
    assert long < 4.5 * short, (short, long)
    # every comparison still checked (an aggregate operand by the general check)
    assert len(re.findall(r"IDU_SAME_FIELDS(_OF)?\(", _sql(_nested(kind, 40)))) == 40
