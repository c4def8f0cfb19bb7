"""``from_json(text, schema)`` with a literal STRUCT schema and Spark's default options (PERMISSIVE).

Spark reads the text with Jackson (``JacksonParser``, partial results on): blank text is NULL; text
whose first token is not ``{`` (a scalar, an array, ``null``, or no JSON at all) gives the row of
NULLs; otherwise the first object is read (the rest of the text is never read) and each field the
schema names is converted, a repeated key overwriting the field when its value converts. A value
that does not convert is NULL and the others are kept, at every level: INT/BIGINT take only integer tokens in range, DOUBLE integer
and decimal tokens and the strings ``NaN``, ``Infinity``, ``+Infinity``, ``+INF``, ``-Infinity``,
``-INF``; BOOLEAN only ``true``/``false``; STRING a string's text, or the token's JSON text (integers,
booleans, objects and arrays re-serialized compactly); an ARRAY fails whole when an element fails
(a STRUCT element keeps its partial row); JSON ``null`` is NULL everywhere.

The engine reads the object with Python's strict JSON decoder. Refused when run: an object that
decoder rejects (Spark's Jackson also reads single quotes and ``NaN``, and its reading of broken
JSON is partial), a decimal number or a control character that STRING would re-serialize (Java's
``Double.toString`` and Jackson's escapes), numbers of over 1000 characters, text starting with a
byte-order mark. Refused when translated: a schema other than a literal STRUCT of INT, BIGINT,
DOUBLE, STRING, BOOLEAN, ARRAY and STRUCT fields with distinct names, and an options map.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.more_functions import text as _text
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import rewrite_calls
from airflow_idu.engines.duckdb.spark_compat.python_functions import register_udf
from airflow_idu.engines.duckdb.spark_compat.types import Kind, static_kind

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "ANONYMOUS",
    "CHECKS",
    "FUNCTIONS",
    "anonymous_check",
    "from_json",
    "json_reading",
    "parse_schema",
    "read_back",
    "register_json_reading",
]

REFUSED = "[IDU_REFUSED] from_json"
_BLANK = " \t\r\n"
_INT = 2**31
_LONG = 2**63
_MAX_NUMBER = 1000  # Jackson's StreamReadConstraints.maxNumberLength
_SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "+Infinity": math.inf, "+INF": math.inf,
            "-Infinity": -math.inf, "-INF": -math.inf}  # fmt: skip
_FAIL = object()  # a value that does not convert


class Unsupported(ValueError):
    """A schema outside the subset."""


class _Decimal(float):
    """A JSON number with a fraction or an exponent (Jackson's VALUE_NUMBER_FLOAT)."""


# -- the schema ---------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:([A-Za-z_][A-Za-z0-9_]*)|`((?:[^`]|``)+)`|([<>,:]))")
_SIMPLE = {"INT": "INT", "INTEGER": "INT", "BIGINT": "BIGINT", "LONG": "BIGINT", "DOUBLE": "DOUBLE",
           "STRING": "STRING", "BOOLEAN": "BOOLEAN"}  # fmt: skip

# a type: "INT", "BIGINT", "DOUBLE", "STRING", "BOOLEAN", ("ARRAY", t), ("STRUCT", ((name, t), ...))
Type = Any


class _SchemaParser:
    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while text[pos:].strip():
            found = _TOKEN.match(text, pos)
            if found is None:
                raise Unsupported(
                    f"the schema {text!r} (only INT, BIGINT, DOUBLE, STRING, BOOLEAN, ARRAY, STRUCT)"
                )
            kind = ("word", "quoted", "op")[found.lastindex - 1 if found.lastindex else 0]
            value = found.group(found.lastindex or 0)
            self.tokens.append((kind, value.replace("``", "`") if kind == "quoted" else value))
            pos = found.end()
        self.pos = 0
        self.text = text

    def take(self, kind: str | None = None, value: str | None = None) -> str:
        token = self.tokens[self.pos] if self.pos < len(self.tokens) else ("end", "")
        if (kind and token[0] != kind) or (value and token[1].upper() != value):
            raise Unsupported(
                f"the schema {self.text!r} (only INT, BIGINT, DOUBLE, STRING, BOOLEAN, ARRAY, STRUCT)"
            )
        self.pos += 1
        return token[1]

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("end", "")

    def type(self) -> Type:
        word = self.take("word").upper()
        if word in _SIMPLE:
            return _SIMPLE[word]
        if word not in ("ARRAY", "STRUCT"):
            raise Unsupported(
                f"a {word} field in the schema (only INT, BIGINT, DOUBLE, STRING, BOOLEAN, ARRAY, STRUCT)"
            )
        self.take("op", "<")
        kind = ("ARRAY", self.type()) if word == "ARRAY" else self.fields(struct=True)
        self.take("op", ">")
        return kind

    def fields(self, struct: bool) -> Type:
        fields = []
        while True:
            kind, name = self.peek()
            if kind not in ("word", "quoted"):
                break
            self.pos += 1
            if self.peek() == ("op", ":"):
                self.pos += 1
            fields.append((name, self.type()))
            if self.peek() != ("op", ","):
                break
            self.pos += 1
        names = [n.lower() for n, _ in fields]  # DuckDB's STRUCT names are case-insensitive
        if not fields or len(set(names)) != len(names):
            raise Unsupported("a schema with no fields or repeated field names")
        return ("STRUCT", tuple(fields))


def parse_schema(text: str) -> Type:
    """The STRUCT type a DDL schema names (``a INT, b DOUBLE`` or ``STRUCT<...>``)."""
    parser = _SchemaParser(text)
    if parser.peek()[1].upper() == "STRUCT" and len(parser.tokens) > 1 and parser.tokens[1] == ("op", "<"):
        kind = parser.type()
    else:
        kind = parser.fields(struct=False)
    parser.take("end")
    return kind


# -- reading ------------------------------------------------------------------------------


def _number(text: str) -> Any:
    if len(text) > _MAX_NUMBER:
        raise ValueError(f"{REFUSED} of a number longer than {_MAX_NUMBER} characters")
    return int(text)


def _decimal(text: str) -> _Decimal:
    if len(text) > _MAX_NUMBER:
        raise ValueError(f"{REFUSED} of a number longer than {_MAX_NUMBER} characters")
    return _Decimal(text)


def _reject(name: str) -> Any:
    raise ValueError(name)


_CONTROL = re.compile("[\x00-\x1f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _string(value: str) -> str:
    if _SURROGATE.search(value):
        raise ValueError(f"{REFUSED} of a string with an unpaired surrogate escape")
    return value


def _json_text(value: Any) -> str:
    """Jackson's compact re-serialization of a value STRING reads as JSON text."""
    if isinstance(value, _Decimal):
        raise ValueError(f"{REFUSED} of a decimal number read as STRING (Java's Double.toString)")
    if isinstance(value, str):
        if _CONTROL.search(value):
            raise ValueError(f"{REFUSED} of a control character read as STRING (Jackson's escapes)")
        return json.dumps(_string(value), ensure_ascii=False)
    return _composite_text(value)


def _composite_text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, _Object):
        return "{" + ",".join(f"{_json_text(k)}:{_json_text(v)}" for k, v in value) + "}"
    return "[" + ",".join(_json_text(v) for v in value) + "]"


class _Object(list):  # type: ignore[type-arg]
    """A JSON object: its (key, value) pairs in order."""


def _convert(value: Any, kind: Type) -> Any:
    if value is None:
        return None
    if kind in ("INT", "BIGINT"):
        bound = _INT if kind == "INT" else _LONG
        ok = isinstance(value, int) and not isinstance(value, bool) and -bound <= value < bound
        return value if ok else _FAIL
    if kind == "DOUBLE":
        if isinstance(value, str):
            return _SPECIAL.get(value, _FAIL)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return _FAIL
        try:
            return float(value)
        except OverflowError:  # an integer beyond DOUBLE: Java's BigInteger.doubleValue
            return math.inf if value > 0 else -math.inf
    if kind == "BOOLEAN":
        return value if isinstance(value, bool) else _FAIL
    if kind == "STRING":
        return _string(value) if isinstance(value, str) else _json_text(value)
    if kind[0] == "ARRAY":
        if not isinstance(value, list) or isinstance(value, _Object):
            return _FAIL
        items = [_convert(v, kind[1]) for v in value]
        return _FAIL if any(i is _FAIL for i in items) else items
    return _struct(value, kind) if isinstance(value, _Object) else _FAIL


def _struct(pairs: list[tuple[str, Any]], kind: Type) -> dict[str, Any]:
    types = dict(kind[1])
    row: dict[str, Any] = dict.fromkeys(types)
    for key, value in pairs:
        if key in types:
            converted = _convert(value, types[key])
            if (
                converted is not _FAIL
            ):  # a failed value leaves the field as it was (NULL, or a repeated key's)
                row[key] = converted
    return row


def from_json(text: str | None, kind: Type) -> dict[str, Any] | None:
    """Spark's ``from_json(text, schema)`` for a STRUCT schema."""
    if text is None:
        return None
    trimmed = text.lstrip(_BLANK)
    if not trimmed:
        return None
    if trimmed[0] == "\ufeff":
        raise ValueError(f"{REFUSED} of text starting with a byte-order mark")
    if trimmed[0] != "{":
        return dict.fromkeys(dict(kind[1]))
    try:
        value, _ = _OBJECT_DECODER.raw_decode(trimmed)
    except RecursionError:
        raise ValueError(f"{REFUSED} of JSON nested deeper than Python reads") from None
    except ValueError as exc:
        if REFUSED in str(exc):
            raise
        raise ValueError(
            f"{REFUSED} of text that is not strict JSON (Jackson's partial reading differs)"
        ) from None
    return _struct(value, kind)


_OBJECT_DECODER = json.JSONDecoder(
    object_pairs_hook=_Object, parse_float=_decimal, parse_int=_number, parse_constant=_reject
)


# -- the translation ----------------------------------------------------------------------

_DUCK = {"INT": "INTEGER", "BIGINT": "BIGINT", "DOUBLE": "DOUBLE", "STRING": "VARCHAR", "BOOLEAN": "BOOLEAN"}


def _structure(kind: Type) -> Any:
    """json_transform's structure for ``kind``."""
    if isinstance(kind, str):
        return _DUCK[kind]
    if kind[0] == "ARRAY":
        return [_structure(kind[1])]
    return {name: _structure(t) for name, t in kind[1]}


def _plain(value: Any) -> Any:
    """The converted value as JSON json_transform reads back exactly (NaN and infinities as strings)."""
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        return ("Infinity" if value > 0 else "-Infinity") if math.isinf(value) else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def read_back(row: dict[str, Any] | None) -> str | None:
    """A converted row as JSON text json_transform reads back exactly (NULL for a NULL row)."""
    return None if row is None else json.dumps(_plain(row), ensure_ascii=False)


def from_json_text(text: str | None, schema: str) -> str | None:
    """``from_json`` as JSON text of the converted row."""
    return read_back(from_json(text, parse_schema(schema)))


def _check(node: exp.Expr) -> str | None:
    if node.args.get("options") is not None:
        return "from_json with options"
    schema = node.args.get("expression")
    if not (isinstance(schema, exp.Literal) and schema.is_string):
        return "from_json with a schema that is not a string literal"
    if static_kind(node.this) is Kind.BINARY or isinstance(node.this, exp.HexString):
        return "from_json of a BINARY value"
    try:
        parse_schema(schema.this)
    except Unsupported as exc:
        return f"from_json of {exc}"
    return None


def _duck_type(kind: Type) -> str:
    if isinstance(kind, str):
        return _DUCK[kind]
    if kind[0] == "ARRAY":
        return _duck_type(kind[1]) + "[]"
    fields = ", ".join('"' + name.replace('"', '""') + '" ' + _duck_type(t) for name, t in kind[1])
    return f"STRUCT({fields})"


def _build(args: list[exp.Expr]) -> exp.Expr:
    kind = parse_schema(args[1].this)
    structure = json.dumps(_structure(kind))
    read = _call("idu_from_json", _text(args[0]), exp.Literal.string(args[1].this))
    # the CAST types a NULL result too (json_transform of a NULL constant is untyped)
    to = exp.DataType.build(_duck_type(kind), dialect="duckdb")
    return exp.Cast(this=_call("json_transform", read, exp.Literal.string(structure)), to=to)


ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {}
CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {exp.FromJson: _check}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset(CHECKS)


def anonymous_check(node: exp.Anonymous) -> str | None:
    return None


@gated(types=(exp.FromJson,))
def json_reading(tree: exp.Expr) -> exp.Expr:
    """Rewrite from_json into its Python function and DuckDB's json_transform."""
    return rewrite_calls(tree, by_type={exp.FromJson: _build}, by_name={},
                         arguments=lambda n: [n.this.copy(), n.args["expression"].copy()])  # fmt: skip


def register_json_reading(con: duckdb.DuckDBPyConnection) -> None:
    """Register ``idu_from_json`` on ``con``; again is harmless."""
    from duckdb import sqltypes as t

    register_udf(con, "idu_from_json", from_json_text, [t.VARCHAR, t.VARCHAR], t.VARCHAR)
