"""Spark's ``xpath``, ``xpath_string``, ``xpath_boolean`` and the numeric ``xpath_*`` functions.

Spark (``UDFXPathUtil``) returns NULL for a NULL or empty document or path; otherwise it parses the
document (:mod:`.xml_document`: the subset the engine reads, Spark's error for text that is no XML
at all, a refusal when run for the rest) and evaluates the XPath 1.0 expression on it
(:mod:`.xpath_eval`: the subset, refused when translated outside it; the path must be a string
literal, as Spark requires a foldable one). The results, by function:

* ``xpath``: the node set's ``getNodeValue()``s, in document order: a text's or an attribute's
  value, NULL for an element or the document; only a location path (Spark raises on others);
* ``xpath_string``: the first node's string value, ``''`` for none; only a location path (a number
  would print by XPath's number-to-string, which the engine does not model);
* ``xpath_boolean``: a node set is true when not empty, a number when neither 0 nor NaN;
* ``xpath_double``/``xpath_number``: the double (a path: its first node's number, NaN for none);
  ``xpath_float``, ``xpath_long``, ``xpath_int``, ``xpath_short`` convert it as Java's
  ``Double.floatValue``/``longValue``/``intValue``/``shortValue`` do (NaN to 0, out of range to the
  type's limit; ``shortValue`` wraps the ``int`` to 16 bits).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.more_functions import text
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import rewrite_calls
from airflow_idu.engines.duckdb.spark_compat.python_functions import register_udf
from airflow_idu.engines.duckdb.spark_compat.types import Kind, static_kind
from airflow_idu.engines.duckdb.spark_compat.xml_document import parse_document
from airflow_idu.engines.duckdb.spark_compat.xpath_eval import (
    Compiled,
    Unsupported,
    compare,
    compile_xpath,
    number_of,
    select,
    string_value,
)

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "ANONYMOUS",
    "CHECKS",
    "FUNCTIONS",
    "anonymous_check",
    "evaluate",
    "register_xpath",
    "xpath_functions",
]

# Spark name -> the result it computes (nodes, string, boolean, number) and its result type
_FUNCTIONS: dict[str, tuple[str, str]] = {
    "xpath": ("nodes", "VARCHAR[]"),
    "xpath_string": ("string", "VARCHAR"),
    "xpath_boolean": ("boolean", "BOOLEAN"),
    "xpath_double": ("number", "DOUBLE"),
    "xpath_number": ("number", "DOUBLE"),
    "xpath_float": ("number", "FLOAT"),
    "xpath_long": ("number", "BIGINT"),
    "xpath_int": ("number", "INTEGER"),
    "xpath_short": ("number", "SMALLINT"),
}
_INT = 2**31
_LONG = 2**63


def _java_integral(value: float, bound: int) -> int:
    """Java's (int)/(long) of a double: NaN 0, truncated, saturated at the type's limits."""
    if math.isnan(value):
        return 0
    if value >= bound:
        return bound - 1
    if value <= -bound:
        return -bound
    return int(value)


def _short(value: float) -> int:
    return (_java_integral(value, _INT) + 2**15) % 2**16 - 2**15


_NUMERIC: dict[str, Callable[[float], Any]] = {
    "xpath_double": float,
    "xpath_number": float,
    "xpath_float": float,  # narrowed by Arrow's cast (round to nearest, inf beyond FLOAT's range)
    "xpath_long": lambda v: _java_integral(v, _LONG),
    "xpath_int": lambda v: _java_integral(v, _INT),
    "xpath_short": _short,
}


def _result(compiled: Compiled, wanted: str, document: Any) -> Any:
    comparison = compiled.comparison
    if compiled.kind in ("sum", "count"):
        nodes = select(comparison.path, document)
        if compiled.kind == "count":
            number = float(len(nodes))
        else:
            number = 0.0
            for node in nodes:  # one addition at a time (Python's sum() compensates)
                number += number_of(string_value(node))
        return number if wanted == "number" else not (number == 0.0 or math.isnan(number))
    if compiled.kind == "compare" or wanted == "boolean":
        return compare(comparison, document)
    nodes = select(comparison.path, document)
    if wanted == "nodes":
        return [None if n.kind in ("element", "root") else n.value for n in nodes]
    if wanted == "string":
        return string_value(nodes[0]) if nodes else ""
    return number_of(string_value(nodes[0])) if nodes else math.nan


def evaluate(function: str, document: str | None, path: str | None) -> Any:
    """Spark's ``function(document, path)`` (a ValueError where Spark raises or the engine refuses)."""
    if document is None or path is None or not document or not path:
        return None
    wanted = _FUNCTIONS[function][0]
    compiled = compile_xpath(path)
    result = _result(compiled, wanted, parse_document(document))
    return _NUMERIC[function](result) if function in _NUMERIC else result


def _check_path(function: str, path: str) -> str | None:
    wanted = _FUNCTIONS[function][0]
    try:
        compiled = compile_xpath(path)
    except Unsupported as exc:
        return f"{function} of {exc}"
    if wanted in ("nodes", "string") and compiled.kind != "path":
        return f"{function} of an XPath expression that is not a location path"
    return None


def anonymous_check(node: exp.Anonymous) -> str | None:
    name = node.name.lower()
    args = node.expressions
    if len(args) != 2:
        return f"{name} with {len(args)} arguments"
    if static_kind(args[0]) is Kind.BINARY or isinstance(args[0], exp.HexString):
        return f"{name} of a BINARY document"
    path = args[1]
    if isinstance(path, exp.Null):
        return None
    if not (isinstance(path, exp.Literal) and path.is_string):
        return f"{name} with a path that is not a string literal"
    return _check_path(name, path.this) if path.this else None


def _build(name: str) -> Callable[[list[exp.Expr]], exp.Expr]:
    return lambda a: _call(f"idu_{name}", text(a[0]), text(a[1]))


ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {name: _build(name) for name in _FUNCTIONS}
CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset()


@gated(names=ANONYMOUS)
def xpath_functions(tree: exp.Expr) -> exp.Expr:
    """Rewrite the xpath functions into their Python functions."""
    return rewrite_calls(
        tree, by_type={}, by_name=ANONYMOUS, arguments=lambda n: [a.copy() for a in n.expressions]
    )


def _on_arrays(name: str, result: Any) -> Callable[[Any, Any], Any]:
    """``evaluate`` over a chunk of rows as pyarrow arrays (an arrow result keeps NaN)."""
    import pyarrow as pa

    def run(documents: Any, paths: Any) -> Any:
        values = [evaluate(name, d, p) for d, p in zip(documents.to_pylist(), paths.to_pylist(), strict=True)]
        if name == "xpath_float":
            return pa.array(values, type=pa.float64()).cast(pa.float32(), safe=False)
        return pa.array(values, type=result)

    return run


def register_xpath(con: duckdb.DuckDBPyConnection) -> None:
    """Register the ``idu_xpath*`` functions on ``con``; again is harmless."""
    import duckdb
    import pyarrow as pa
    from duckdb import sqltypes as t

    arrow_types = {"VARCHAR[]": pa.list_(pa.string()), "VARCHAR": pa.string(), "BOOLEAN": pa.bool_(),
                   "DOUBLE": pa.float64(), "FLOAT": pa.float32(), "BIGINT": pa.int64(), "INTEGER": pa.int32(),
                   "SMALLINT": pa.int16()}  # fmt: skip
    for name, (_, result) in _FUNCTIONS.items():
        duck = duckdb.list_type(t.VARCHAR) if result == "VARCHAR[]" else getattr(t, result)
        register_udf(
            con,
            f"idu_{name}",
            _on_arrays(name, arrow_types[result]),
            [t.VARCHAR, t.VARCHAR],
            duck,
            arrow=True,
        )
