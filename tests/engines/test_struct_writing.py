"""to_csv / to_xml of written structs on the engine alone: Spark 4.3's texts (tests/fidelity/test_struct_writing.py)."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from airflow_idu.engines.duckdb.translate import COMPAT_MACROS, TranslationError, translate_statement

CASES = [
    ("to_csv(named_struct('a', 1, 'b', 2))", "1,2"),
    ("to_csv(struct(1, 'x', true))", "1,x,true"),
    ("to_csv(named_struct('a', CAST(NULL AS INT), 'b', ''))", ',""'),
    ("to_csv(named_struct('a', 'a\tb', 'b', 'é ü'))", "a\tb,é ü"),
    ("to_xml(named_struct('a', 1, 'b', 2))", "<ROW>\n    <a>1</a>\n    <b>2</b>\n</ROW>"),
    ("to_xml(named_struct('a', 'x<y&', 'b', CAST(NULL AS INT)))", "<ROW>\n    <a>x&lt;y&amp;</a>\n</ROW>"),
    ("to_xml(named_struct('a', CAST(NULL AS INT)))", "<ROW/>"),
    ("to_xml(named_struct('a', ''))", "<ROW>\n    <a></a>\n</ROW>"),
    ("to_xml(struct(1, 'a'))", "<ROW>\n    <col1>1</col1>\n    <col2>a</col2>\n</ROW>"),
]
REFUSED_WHEN_RUN = [
    "to_csv(named_struct('a', 'x,y'))", "to_csv(named_struct('a', ' x'))", "to_csv(named_struct('a', '#x'))",
    "to_csv(named_struct('a', 1.5D))", "to_csv(named_struct('a', CAST(NULL AS INT)))",
    "to_xml(named_struct('a', 'x>y'))", "to_xml(named_struct('a', DATE'2024-01-01'))",
]  # fmt: skip
REFUSED = [
    "to_csv(s)", "to_csv(named_struct('a', 1), map('sep', ';'))", "to_xml(named_struct('_a', 1))",
    "to_xml(named_struct('a b', 1))",
]  # fmt: skip


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    from airflow_idu.engines.duckdb.spark_compat.library import register_functions

    connection = duckdb.connect()
    for macro in COMPAT_MACROS:
        connection.execute(macro)
    register_functions(connection)
    yield connection
    connection.close()


@pytest.mark.parametrize(("expression", "expected"), CASES, ids=[c for c, _ in CASES])
def test_spark_s_text(con: duckdb.DuckDBPyConnection, expression: str, expected: str) -> None:
    assert con.execute(translate_statement(f"SELECT {expression}").statements[-1]).fetchall() == [(expected,)]


@pytest.mark.parametrize("expression", REFUSED_WHEN_RUN)
def test_refused_when_run(con: duckdb.DuckDBPyConnection, expression: str) -> None:
    with pytest.raises(duckdb.Error, match=r"IDU_REFUSED"):
        con.execute(translate_statement(f"SELECT {expression}").statements[-1]).fetchall()


@pytest.mark.parametrize("expression", REFUSED)
def test_refused_when_translated(expression: str) -> None:
    with pytest.raises(TranslationError):
        translate_statement(f"SELECT {expression} FROM t")
