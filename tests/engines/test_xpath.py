"""The xpath functions' XML reading, XPath subset and Java conversions, without Spark.

The expected values are local Spark 4.3's (tests/fidelity/test_xpath.py compares the engine with Spark).
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from airflow_idu.engines.duckdb.spark_compat.xml_document import INVALID, REFUSED, parse_document
from airflow_idu.engines.duckdb.spark_compat.xpath_eval import Unsupported, compile_xpath
from airflow_idu.engines.duckdb.spark_compat.xpath_functions import evaluate
from airflow_idu.engines.duckdb.translate import TranslationError, translate_statement

DOC = "<a><b>1</b><b>2</b><c><b>3</b></c></a>"

CASES = [
    # (function, document, path, Spark's value)
    ("xpath", "<a><b>b1</b><b>b2</b><b>b3</b><c>c1</c><c>c2</c></a>", "a/b/text()", ["b1", "b2", "b3"]),
    ("xpath", "<a><b>b1</b><b>b2</b></a>", "a/b", [None, None]),
    ("xpath", "<a><b>b1</b></a>", "a/x", []),
    ("xpath", "<a y='1' x='2' b='3'/>", "a/@*", ["3", "2", "1"]),
    ("xpath", DOC, "//b/text()", ["1", "2", "3"]),
    ("xpath", DOC, "a//b[1]/text()", ["1", "3"]),
    ("xpath", DOC, "a/b[2]/text()", ["2"]),
    ("xpath", DOC, "a/c/b/..", [None]),
    ("xpath", "<a><b x='1'>1</b><b x='2'>2</b></a>", 'a/b[@x="2"]/text()', ["2"]),
    ("xpath", "<a><b x='1'>1</b><b x='2'>2</b></a>", "a/b[@x=2]/text()", ["2"]),
    ("xpath", "<a>&amp;&#65;&lt;</a>", "a/text()", ["&A<"]),
    ("xpath", "<a>\r\n</a>", "a/text()", ["\n"]),
    ("xpath", "<a>&#13;</a>", "a/text()", ["\r"]),
    ("xpath", "<a b='x\ty'>1</a>", "a/@b", ["x y"]),
    ("xpath", "<a><b>1</b>2</a>", "a/node()", [None, "2"]),
    ("xpath", '<?xml version="1.0" encoding="UTF-8"?><a>1</a>', "a/text()", ["1"]),
    ("xpath", "  <a>1</a>  ", " a / text() ", ["1"]),
    ("xpath", "", "a", None),
    ("xpath", "<a>1</a>", "", None),
    ("xpath", None, "a", None),
    ("xpath_string", "<a><b>b</b><c>cc</c></a>", "a/c", "cc"),
    ("xpath_string", "<a><b>b</b><c>cc</c></a>", "a/d", ""),
    ("xpath_string", DOC, "/", "123"),
    ("xpath_boolean", "<a><b>1</b></a>", "a/b", True),
    ("xpath_boolean", "<a><b>1</b></a>", "a/c", False),
    ("xpath_boolean", "<a><b> 1 </b></a>", "a/b = 1", True),
    ("xpath_boolean", "<a><b>1</b><b>2</b></a>", "a/b != 1", True),
    ("xpath_boolean", "<a><b>x</b></a>", "sum(a/b)", False),
    ("xpath_double", "<a><b>1</b><b>2</b></a>", "sum(a/b)", 3.0),
    ("xpath_double", "<a><b> 1.5 </b></a>", "a/b", 1.5),
    ("xpath_double", "<a><b>-.5</b></a>", "a/b", -0.5),
    ("xpath_double", "<a><b>5.</b></a>", "a/b", 5.0),
    ("xpath_double", "<a><b>-0</b></a>", "a/b", -0.0),
    ("xpath_double", "<a/>", "sum(a/b)", 0.0),
    ("xpath_double", "<a/>", "count(a/b)", 0.0),
    ("xpath_double", "<a><b>0.1</b><b>0.2</b><b>0.3</b></a>", "sum(a/b)", 0.6000000000000001),
    ("xpath_int", "<a><b>1e10</b></a>", "a/b", 0),
    ("xpath_int", "<a><b>99999999999</b></a>", "a/b", 2147483647),
    ("xpath_int", "<a><b>-99999999999</b></a>", "a/b", -2147483648),
    ("xpath_int", "<a><b>-2.7</b></a>", "a/b", -2),
    ("xpath_short", "<a><b>99999</b></a>", "a/b", -31073),
    ("xpath_short", "<a><b>-40000.5</b></a>", "a/b", 25536),
    ("xpath_long", "<a><b>99999999999999999999</b></a>", "a/b", 9223372036854775807),
    ("xpath_long", "<a><b>1e400</b></a>", "a/b", 0),
]
NAN = [("xpath_double", "<a><b>+5</b></a>", "a/b"), ("xpath_double", "<a><b>1e3</b></a>", "a/b"),
       ("xpath_double", "<a><b>Infinity</b></a>", "a/b"), ("xpath_double", "<a><b>1</b></a>", "a/c"),
       ("xpath_double", "<a><b></b><b>2</b></a>", "sum(a/b)"), ("xpath_number", "<a><b>&#x661;</b></a>", "a/b")]  # fmt: skip


def _hex(value: Any) -> Any:
    return value.hex() if isinstance(value, float) else value


@pytest.mark.parametrize(("function", "document", "path", "expected"), CASES, ids=lambda v: str(v)[:30])
def test_spark_s_values(function: str, document: str | None, path: str, expected: Any) -> None:
    assert _hex(evaluate(function, document, path)) == _hex(expected)


@pytest.mark.parametrize(("function", "document", "path"), NAN, ids=lambda v: str(v)[:30])
def test_not_a_number_is_nan(function: str, document: str, path: str) -> None:
    assert math.isnan(evaluate(function, document, path))


@pytest.mark.parametrize("document", [" ", "abc", "\ufeff<a/>", "123", "\n\t"], ids=repr)
def test_no_xml_at_all_raises_like_spark(document: str) -> None:
    with pytest.raises(ValueError, match=INVALID):
        parse_document(document)


REFUSED_DOCUMENTS = ["<!DOCTYPE a><a/>", "<a>x<!--c-->y</a>", "<a><![CDATA[x]]></a>", "<a xmlns='u'/>", "<p:a/>",
                     "<a>1</a><b/>", "<a>&foo;</a>", "<a>\x01</a>", "<a>&#1;</a>", "<a b='1' b='2'/>", "<a><b></a>",
                     "<a>", " <?xml version='1.0'?><a/>", "<a>x]]>y</a>"]  # fmt: skip


@pytest.mark.parametrize("document", REFUSED_DOCUMENTS, ids=repr)
def test_documents_outside_the_subset_are_refused(document: str) -> None:
    with pytest.raises(ValueError, match=REFUSED.replace("[", r"\[").replace("]", r"\]")):
        parse_document(document)


@pytest.mark.parametrize(
    "path", ["a/[", "a/", "(a//b)[1]", "a|b", "child::a", "number(a)", "a[1.5]", "a/b + 1"]
)
def test_paths_outside_the_subset_are_unsupported(path: str) -> None:
    with pytest.raises(Unsupported):
        compile_xpath(path)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT xpath(s, concat('a', ''))",
        "SELECT xpath(s, p)",
        "SELECT xpath('<a/>', 'count(a)')",
        "SELECT xpath_string('<a/>', 'sum(a)')",
        "SELECT xpath(X'3c612f3e', 'a')",
        "SELECT xpath_int('<a/>')",
    ],
)
def test_refused_forms(sql: str) -> None:
    with pytest.raises(TranslationError):
        translate_statement(sql)


def test_accepted_form_calls_the_python_function() -> None:
    assert (
        "idu_xpath_int("
        in translate_statement("SELECT xpath_int(s, 'sum(a/b)') FROM t").statements[-1].lower()
    )
