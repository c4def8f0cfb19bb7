"""Calls of names Spark lacks are refused when translated, naming the function and its line
(spark_compat/spark_names.py); strings, quoted names, table names and Spark's call-like syntax are not calls."""

from __future__ import annotations

import pytest

from airflow_idu.engines.duckdb.translate import TranslationError, translate_statement

# (id, Spark SQL, the refused name and line, or None: translated)
CASES = [
    ("arg_max", "SELECT arg_max(a, b) FROM t", ("arg_max", 1)),
    ("array_length-line-2", "SELECT a,\n  ARRAY_LENGTH(b) FROM t", ("array_length", 2)),
    ("starts_with", "SELECT * FROM t WHERE starts_with(s, 'a')", ("starts_with", 1)),
    ("max_by", "SELECT max_by(a, b) FROM t", None),
    ("in-a-string", "SELECT 'arg_max(a, b)' AS s, \"week(1)\" AS d FROM t", None),
    ("insert-column-list", "INSERT INTO host (a) VALUES (1)", None),
    ("merge-insert", "MERGE INTO t USING s ON t.a = s.a WHEN NOT MATCHED THEN INSERT (a) VALUES (s.a)", None),
    ("alias-column-list", "SELECT a FROM t AS pad (a)", None),
    ("try_cast-syntax", "SELECT try_cast(a AS INT) FROM t", None),
    ("qualified-column", "SELECT t.week FROM t", None),
]  # fmt: skip


@pytest.mark.parametrize(("sql", "refused"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_unknown_names(sql: str, refused: tuple[str, int] | None) -> None:
    if refused is None:
        assert translate_statement(sql).statements
        return
    with pytest.raises(TranslationError, match=f"Spark has no function {refused[0]}") as caught:
        translate_statement(sql)
    assert (caught.value.construct, caught.value.line) == refused
