"""The xpath functions on local Spark and on the embedded engine, over hand-picked and generated documents.

Every (document, path) pair runs through the nine functions: where the engine accepts the path and
reads the document, the engine's SQL (DuckDB calling the Python functions) gives Spark's value; where
the engine raises Spark's invalid-document error, Spark raises too; documents the engine refuses are
not compared (Spark may or may not read them). Doubles are compared through ``float.hex``.
"""

from __future__ import annotations

import math
import random
from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.spark_compat.xml_document import REFUSED, parse_document
from airflow_idu.engines.duckdb.translate import TranslationError, translate_statement

pytestmark = pytest.mark.spark

FUNCTIONS = ("xpath", "xpath_string", "xpath_boolean", "xpath_double", "xpath_number", "xpath_float",
             "xpath_long", "xpath_int", "xpath_short")  # fmt: skip
DOCUMENTS = [
    "<a><b>b1</b><b>b2</b><b>b3</b><c>c1</c><c>c2</c></a>", "<a><b>1</b><b>2</b></a>", "<a><b>b</b><c>cc</c></a>",
    "<a/>", "<a></a>", "  <a> </a>\n", "<a>\r\n<b>x\ry</b></a>", "<a y='1' x=\"2\" b='3'><c/>t</a>",
    "<a b='1' c='2' a='3'/>", "<a><b x='1'>1</b><b x='2'>2</b><c><b x='3'>3</b></c></a>",
    "<a><b> 1.5 </b><b>-.5</b><b>5.</b><b>00012</b></a>", "<a><b>+5</b><b>1e3</b><b>Infinity</b></a>",
    "<a><b>99999999999</b><b>-40000.5</b><b>1e400</b></a>", "<a><b>99999999999999999999</b></a>",
    "<a><b>999999999999999999999999999999999999999999</b></a>", "<a><b>0.1</b><b>0.2</b><b>0.3</b></a>",
    "<a><b>-0</b></a>", "<a>&amp;&#65;&lt;&gt;&apos;&quot;&#x1F600;&#13;</a>", "<a><b>2147483647.9</b></a>",
    "<?xml version=\"1.0\"?><a><b>1</b></a>", "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n<a>é</a>",
    "<a><b/><b></b><b>x</b></a>", "<a b='x\ty\nz'>1</a>", "<a><a><a>deep</a></a></a>", "<a>日本<b>😀</b></a>",
    "", " ", "abc", "123", "\ufeff<a/>", "x<a/>", "\n\t", "<a>1</a><b/>", "<!DOCTYPE a><a>1</a>",
    "<a>x<!--c-->z</a>", "<a>x<![CDATA[y]]>z</a>", "<a xmlns='u'><b>1</b></a>", "<p:a xmlns:p='u'/>",
    "<a>x]]>y</a>", "<a b='1' b='2'/>", "<a>&foo;</a>", "<a>\x01</a>", "<a>&#1;</a>", "<a><b></a>", "<a>",
]  # fmt: skip
PATHS = [
    "a/b/text()", "a/b", "a/c", "a", "/", ".", "//b", "//text()", "a//b[1]", "a/b[2]", "a/*", "a/node()",
    "a/@*", "a/@x", "a/b/@x", 'a/b[@x="2"]', "a/b[@x=2]/text()", "a/*/b/..", "/a/b", "a/b[x]", "sum(a/b)",
    "count(a/b)", "sum(a/*)", "count(//b)", "a/b = 1", "a/b != 1", 'a/b = "1"', 'a/b[1] = "b1"', "a/d",
    "a/b/text ()", " a / b ", "", "a/a/a/text()",
]  # fmt: skip
_TYPES = {"xpath": "array<string>", "xpath_string": "string", "xpath_boolean": "boolean", "xpath_double": "double",
          "xpath_number": "double", "xpath_float": "float", "xpath_long": "bigint", "xpath_int": "int",
          "xpath_short": "smallint"}  # fmt: skip


def _generated(count: int, seed: int) -> list[str]:
    """Small documents of nested b/c elements holding numbers, words and blanks."""
    rng = random.Random(seed)
    texts = [
        "1",
        "2",
        " 3 ",
        "-4.5",
        ".5",
        "7.",
        "x",
        "",
        " ",
        "1e2",
        "0",
        "-0",
        "12345678901234567890",
        "2.5",
    ]

    def element(depth: int) -> str:
        name = rng.choice("bc")
        attribute = f" x='{rng.choice(texts)}'" if rng.random() < 0.3 else ""
        body = "".join(element(depth + 1) if rng.random() < 0.4 and depth < 3 else rng.choice(texts)
                       for _ in range(rng.randint(0, 3)))  # fmt: skip
        return f"<{name}{attribute}>{body}</{name}>"

    return ["<a>" + "".join(element(1) for _ in range(rng.randint(0, 4))) + "</a>" for _ in range(count)]


ALL_DOCUMENTS = DOCUMENTS + _generated(150, seed=7)


def _norm(value: Any) -> Any:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else value.hex()
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value


def _accepted(function: str, path: str) -> str | None:
    """The engine's SQL for ``function`` over the table, or None where it refuses the path."""
    try:
        sql = f"SELECT i, {function}(x, '{path}') FROM xpath_in ORDER BY i"
        return translate_statement(sql).statements[-1]
    except TranslationError:
        return None


def _read(document: str) -> str:
    """ok / invalid (the engine raises Spark's error) / refused."""
    try:
        parse_document(document)
    except ValueError as exc:
        return "refused" if REFUSED in str(exc) else "invalid"
    return "ok"


def _spark_values(spark: Any, rows: list[tuple[int, str]], selects: list[str]) -> dict[int, tuple[Any, ...]]:
    spark.createDataFrame(rows, schema="i INT, x STRING").createOrReplaceTempView("xpath_in")
    found = spark.sql(f"SELECT i, {', '.join(selects)} FROM xpath_in").collect()
    return {r[0]: tuple(_norm(v) for v in r[1:]) for r in found}


def _engine_values(
    con: duckdb.DuckDBPyConnection, rows: list[tuple[int, str]], sqls: list[str]
) -> dict[int, list[Any]]:
    con.execute("CREATE OR REPLACE TEMP TABLE xpath_in (i INTEGER, x VARCHAR)")
    con.executemany("INSERT INTO xpath_in VALUES (?, ?)", rows)
    out: dict[int, list[Any]] = {i: [] for i, _ in rows}
    for sql in sqls:
        for i, value in con.execute(sql).fetchall():
            out[i].append(_norm(value))
    return out


def _forms() -> list[tuple[str, str, str]]:
    """(function, path, the engine's SQL) of every form the engine accepts."""
    forms = [(f, p, sql) for p in PATHS for f in FUNCTIONS if (sql := _accepted(f, p)) is not None]
    assert {p for _, p, _ in forms} == set(PATHS), "a path every function refuses"
    return forms


@pytest.mark.beyond_test  # ~280 forms over ~190 documents: a minute on Spark
def test_xpath_functions_match_spark(spark: Any, engine: duckdb.DuckDBPyConnection) -> None:
    forms = _forms()
    kinds = {n: _read(d) for n, d in enumerate(ALL_DOCUMENTS)}
    rows = [(n, d) for n, d in enumerate(ALL_DOCUMENTS) if kinds[n] == "ok" or not d]
    want = _spark_values(spark, rows, [f"{f}(x, '{p}')" for f, p, _ in forms])
    got = _engine_values(engine, rows, [sql for _, _, sql in forms])
    bad = [(ALL_DOCUMENTS[n], forms[k][:2], want[n][k], got[n][k])
           for n, _ in rows for k in range(len(forms)) if want[n][k] != got[n][k]]  # fmt: skip
    assert not bad, bad[:3]


def test_empty_path_is_null_on_any_document(spark: Any, engine: duckdb.DuckDBPyConnection) -> None:
    rows = list(enumerate(DOCUMENTS))
    forms = [(f, _accepted(f, "")) for f in FUNCTIONS]
    want = _spark_values(spark, rows, [f"{f}(x, '')" for f, _ in forms])
    got = _engine_values(engine, rows, [sql for _, sql in forms if sql])
    assert all(set(v) == {None} for v in want.values()) and want == {n: tuple(v) for n, v in got.items()}


@pytest.mark.parametrize("document", [" ", "abc", "\ufeff<a/>", "x<a/>"], ids=repr)
def test_no_xml_raises_on_both(spark: Any, engine: duckdb.DuckDBPyConnection, document: str) -> None:
    assert _read(document) == "invalid"
    spark.createDataFrame([(0, document)], schema="i INT, x STRING").createOrReplaceTempView("xpath_in")
    with pytest.raises(Exception, match=r"(?i)xml|expression"):
        spark.sql("SELECT xpath_int(x, 'a') FROM xpath_in").collect()
    with pytest.raises(duckdb.Error, match="Invalid XML document"):
        _engine_values(engine, [(0, document)], [str(_accepted("xpath_int", "a"))])


def test_result_types_are_spark_s(spark: Any, engine: duckdb.DuckDBPyConnection) -> None:
    for function, kind in _TYPES.items():
        frame = spark.sql(f"SELECT {function}('<a>1</a>', 'a') AS v")
        assert frame.schema.fields[0].dataType.simpleString() == kind
        sql = translate_statement(f"SELECT {function}('<a>1</a>', 'a') AS v").statements[-1]
        assert _norm(engine.execute(sql).fetchall()[0][0]) == _norm(frame.collect()[0][0])
