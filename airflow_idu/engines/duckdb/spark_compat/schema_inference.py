"""``schema_of_json``, ``schema_of_csv`` and ``schema_of_xml`` of a string literal: a constant, inferred when translated.

Spark requires a foldable argument and folds the call to its schema's DDL (``sql`` form). The
engine infers it from the literal exactly as Spark's default options do, for the texts below, and
refuses the call otherwise (any options map too).

JSON (``JsonInferSchema``): the first value of the text, which must be all the text has (blanks
aside) and strict JSON (no ``NaN``, single quotes, leading zeros, raw control characters, empty or
repeated keys, empty objects). Integers are BIGINT, or DECIMAL(digits, 0) beyond BIGINT (DOUBLE beyond
38 digits); other numbers DOUBLE; strings STRING (no date or timestamp inference by default);
objects STRUCTs of their keys in Java's ``String`` order; arrays the merge of their elements' types.
Merging: equal types stay; NULL gives way; BIGINT and DECIMAL widen to DECIMAL (BIGINT as
DECIMAL(20,0)); DOUBLE absorbs the numbers; STRUCTs merge field by field, ARRAYs element by element;
anything else is STRING. A type still NULL at the end (``null``, ``[]``) is STRING.

CSV (``CSVInferSchema``, one record, separator ``,``): each field is INT, BIGINT or DECIMAL(n,0)
when it is an optionally signed integer (by range), DOUBLE when it has digits on both sides of a
``.``, BOOLEAN for ``true``/``false`` in any case, STRING when empty or made of ASCII letters and
inner spaces (not ``NaN``/``Infinity``); columns are ``_c0``, ``_c1``... A field of anything else
(quotes, blanks at its ends, dates, exponents) is refused: Spark's readings of those vary.

XML (``XmlInferSchema``): a root element (:mod:`.xml_document`'s subset) without attributes whose
children are distinct elements holding only text: each a field, in Java's ``String`` order, BIGINT for
an optionally signed integer of up to 18 digits, DOUBLE for digits with a ``.``, BOOLEAN for
``true``/``false`` in any case, STRING for words or nothing (blanks around trimmed). Repeated,
nested or attributed elements, text in the root, and other values (exponents, dates, ``NaN``) are
refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import rewrite_calls
from airflow_idu.engines.duckdb.spark_compat.xml_document import parse_document

__all__ = [
    "ANONYMOUS",
    "CHECKS",
    "FUNCTIONS",
    "Unsupported",
    "anonymous_check",
    "csv_schema",
    "json_schema",
    "schema_inference",
]

_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LONG = 2**63
_INT = 2**31
_MAX_DIGITS = 38


class Unsupported(ValueError):
    """A literal whose inferred schema the engine does not model."""


# a type: "NULL", "BIGINT", "DOUBLE", "STRING", "BOOLEAN", ("DECIMAL", p), ("ARRAY", t), ("STRUCT", {name: t})
Type = Any


def _reject(name: str) -> Any:
    raise Unsupported(f"a JSON {name}")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if not pairs or "" in keys or len(set(keys)) != len(keys):
        raise Unsupported("a JSON object that is empty or has an empty or repeated key")
    return dict(pairs)


_DECODER = json.JSONDecoder(parse_constant=_reject, object_pairs_hook=_pairs, strict=True)


def _integer(value: int) -> Type:
    if -_LONG <= value < _LONG:
        return "BIGINT"
    digits = len(str(abs(value)))
    return ("DECIMAL", digits) if digits <= _MAX_DIGITS else "DOUBLE"


def _infer(value: Any) -> Type:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return _integer(value)
    if isinstance(value, float):
        return "DOUBLE"
    if isinstance(value, str):
        return "STRING"
    if isinstance(value, list):
        element: Type = "NULL"
        for item in value:
            element = _merge(element, _infer(item))
        return ("ARRAY", element)
    return ("STRUCT", {k: _infer(v) for k, v in value.items()})


def _decimal_digits(kind: Type) -> int | None:
    if kind == "BIGINT":
        return 20
    return kind[1] if isinstance(kind, tuple) and kind[0] == "DECIMAL" else None


def _merge(a: Type, b: Type) -> Type:
    if a == b:
        return a
    if a == "NULL" or b == "NULL":
        return b if a == "NULL" else a
    numbers = ("BIGINT", "DOUBLE")
    if (a in numbers or _decimal_digits(a)) and (b in numbers or _decimal_digits(b)):
        if "DOUBLE" in (a, b):
            return "DOUBLE"
        return ("DECIMAL", max(_decimal_digits(a) or 0, _decimal_digits(b) or 0))
    if isinstance(a, tuple) and isinstance(b, tuple) and a[0] == b[0] == "ARRAY":
        return ("ARRAY", _merge(a[1], b[1]))
    if isinstance(a, tuple) and isinstance(b, tuple) and a[0] == b[0] == "STRUCT":
        fields = dict(a[1])
        for name, kind in b[1].items():
            fields[name] = _merge(fields[name], kind) if name in fields else kind
        return ("STRUCT", fields)
    return "STRING"


def _name(name: str) -> str:
    return name if _PLAIN_NAME.fullmatch(name) else "`" + name.replace("`", "``") + "`"


def _ddl(kind: Type) -> str:
    if kind == "NULL":
        return "STRING"
    if isinstance(kind, str):
        return kind
    if kind[0] == "DECIMAL":
        return f"DECIMAL({kind[1]},0)"
    if kind[0] == "ARRAY":
        return f"ARRAY<{_ddl(kind[1])}>"
    names = sorted(kind[1], key=lambda n: n.encode("utf-16-be", "surrogatepass"))  # Java's String.compareTo
    return "STRUCT<" + ", ".join(f"{_name(n)}: {_ddl(kind[1][n])}" for n in names) + ">"


def json_schema(text: str) -> str:
    """Spark's ``schema_of_json(text)``; raises Unsupported outside the subset."""
    trimmed = text.strip(" \t\r\n")
    try:
        value, end = _DECODER.raw_decode(trimmed)
    except (ValueError, RecursionError) as exc:
        raise Unsupported(f"text that is not strict JSON or uses {exc}") from None
    if end != len(trimmed):
        raise Unsupported("text after the first JSON value")
    return _ddl(_infer(value))


_CSV_INTEGER = re.compile(r"[+-]?[0-9]+")
_CSV_DOUBLE = re.compile(r"[+-]?[0-9]+\.[0-9]+")
_CSV_WORDS = re.compile(r"[A-Za-z]+(?: +[A-Za-z]+)*")


def _csv_field(field: str) -> str:
    if not field:
        return "STRING"
    if _CSV_INTEGER.fullmatch(field):
        value = int(field)
        digits = len(field.lstrip("+-").lstrip("0")) or 1
        if -_INT <= value < _INT:
            return "INT"
        if -_LONG <= value < _LONG:
            return "BIGINT"
        if digits <= _MAX_DIGITS:
            return f"DECIMAL({digits},0)"
    elif _CSV_DOUBLE.fullmatch(field):
        return "DOUBLE"
    elif field.lower() in ("true", "false"):
        return "BOOLEAN"
    elif _CSV_WORDS.fullmatch(field) and field.lower() not in ("nan", "infinity"):
        return "STRING"
    raise Unsupported(f"the CSV field {field!r} (only integers, decimals, booleans, words and empty fields)")


def csv_schema(text: str) -> str:
    """Spark's ``schema_of_csv(text)``; raises Unsupported outside the subset."""
    if not text:
        raise Unsupported("an empty CSV record")
    fields = [_csv_field(f) for f in text.split(",")]
    return "STRUCT<" + ", ".join(f"_c{n}: {t}" for n, t in enumerate(fields)) + ">"


_XML_LONG = re.compile(r"[+-]?[0-9]{1,18}")
_XML_DOUBLE = re.compile(r"-?[0-9]+\.[0-9]+")


def _xml_value(text: str) -> str:
    value = text.strip(" \t\r\n")
    if not value or (
        _CSV_WORDS.fullmatch(value) and value.lower() not in ("true", "false", "nan", "infinity", "inf")
    ):
        return "STRING"
    if _XML_LONG.fullmatch(value):
        return "BIGINT"
    if _XML_DOUBLE.fullmatch(value):
        return "DOUBLE"
    if value.lower() in ("true", "false"):
        return "BOOLEAN"
    raise Unsupported(f"the XML value {value!r} (only integers, decimals, booleans, words and empty values)")


def xml_schema(text: str) -> str:
    """Spark's ``schema_of_xml(text)`` for a root of distinct text-only child elements; raises
    Unsupported outside that subset."""
    try:
        root = parse_document(text).children[0]
    except ValueError:
        raise Unsupported("XML outside the subset the engine parses") from None
    fields: dict[str, str] = {}
    for child in root.children:
        if child.kind == "text" and not child.value.strip(" \t\r\n"):
            continue
        if child.kind != "element" or child.attributes or child.name in fields:
            raise Unsupported("XML whose root holds text, attributes or repeated elements")
        if any(c.kind != "text" for c in child.children):
            raise Unsupported("XML with nested elements")
        fields[child.name] = _xml_value("".join(c.value for c in child.children))
    if root.attributes or not fields:
        raise Unsupported("XML whose root has attributes or no child element")
    names = sorted(fields, key=lambda n: n.encode("utf-16-be", "surrogatepass"))
    return "STRUCT<" + ", ".join(f"{_name(n)}: {fields[n]}" for n in names) + ">"


_INFER: dict[str, Callable[[str], str]] = {
    "schema_of_json": json_schema,
    "schema_of_csv": csv_schema,
    "schema_of_xml": xml_schema,
}


def anonymous_check(node: exp.Anonymous) -> str | None:
    name = node.name.lower()
    args = node.expressions
    if len(args) != 1:
        return f"{name} with options" if len(args) == 2 else f"{name} with {len(args)} arguments"
    if not (isinstance(args[0], exp.Literal) and args[0].is_string):
        return f"{name} of something other than a string literal"
    try:
        _INFER[name](args[0].this)
    except Unsupported as exc:
        return f"{name} of {exc}"
    return None


def _build(name: str) -> Callable[[list[exp.Expr]], exp.Expr]:
    return lambda a: exp.Literal.string(_INFER[name](a[0].this))


ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {name: _build(name) for name in _INFER}
CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset()


@gated(names=ANONYMOUS)
def schema_inference(tree: exp.Expr) -> exp.Expr:
    """Fold schema_of_json and schema_of_csv of a literal to their schema's text."""
    return rewrite_calls(tree, by_type={}, by_name=ANONYMOUS, arguments=lambda n: list(n.expressions))
