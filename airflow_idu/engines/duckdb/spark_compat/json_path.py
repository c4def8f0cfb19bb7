"""``get_json_object(json, path)`` with a literal path of names and indexes (``$.a['b c'][0]``).

Spark reads the first JSON value with Jackson (control characters allowed; malformed text is NULL;
what follows the value is not read) and walks the path: a name takes the first field of that name
of an object, an index the element of an array, anything else is NULL. The value found is printed:
a string as its text, JSON ``null`` as NULL after a name and ``null`` after an index (as Spark
does), an integer as its value, ``true``/``false``, an object
or an array compactly re-serialized (Jackson's escapes: ``\\n``-style for the usual controls,
``\\u00XX`` in capitals for the others; a character beyond U+FFFF as its two UTF-16 escapes, as
Jackson's UTF-8 generator writes it, where the found string itself is written raw). Python's ``json`` reads the same first value
(:mod:`.json_functions`); refused when run: a value holding a fraction (Jackson prints Java's double
digits), single-quoted strings (Jackson reads them). Refused at translation: wildcards (``[*]``,
``.*``) and paths that are not literals. ``to_json`` of a map of strings to integers, strings or
booleans (or arrays of such maps): DuckDB's ``to_json`` keeps the keys and their order, and is
re-written with Jackson's escapes; other values (structs, whose NULL fields Spark drops, fractions,
dates) are refused when run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.more_functions import text
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import rewrite_calls
from airflow_idu.engines.duckdb.spark_compat.python_functions import register_udf

if TYPE_CHECKING:
    import duckdb

# to_json of a map of string keys (or arrays of them) of integers, strings and booleans: DuckDB's
# to_json holds the same keys in the same order, re-serialized with Jackson's escapes; a struct (Spark
# drops its NULL fields), a DOUBLE, a DECIMAL, a date or a timestamp is refused when run
_TO_JSON_TYPES = r"^MAP\(VARCHAR, (TINYINT|SMALLINT|INTEGER|BIGINT|VARCHAR|BOOLEAN)\)(\[\])*$"
JSON_PATH_MACROS: tuple[str, ...] = (
    _macro(
        "idu_to_json(x)",
        f"CASE WHEN NOT regexp_matches(typeof(x), '{_TO_JSON_TYPES}') THEN error('[IDU_REFUSED] to_json of a "
        "value other than a map of strings to integers, strings or booleans, or arrays of them') "
        "WHEN x IS NULL THEN NULL ELSE idu_jackson_json(CAST(to_json(x) AS VARCHAR)) END",
    ),
)

__all__ = [
    "ANONYMOUS",
    "CHECKS",
    "FUNCTIONS",
    "JSON_PATH_MACROS",
    "anonymous_check",
    "get_json_object",
    "jackson_json",
    "json_path",
    "register_json_path",
    "utf8_generator_text",
]

_STEP = re.compile(r"\.([^.\[\]*]+)|\['([^']*)'\]|\[([0-9]+)\]")
_WHITESPACE = " \t\n\r"
_SHORT = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"', "\\": "\\\\"}


class _Fraction(str):
    """A JSON number with a fraction or an exponent, as written."""


def _no_constant(name: str) -> Any:
    raise ValueError(name)


class _Pairs(list):  # type: ignore[type-arg]
    """An object's fields in order (a list of (key, value) pairs)."""


_DECODER = json.JSONDecoder(
    parse_constant=_no_constant, parse_float=_Fraction, object_pairs_hook=_Pairs, strict=False
)


@lru_cache(maxsize=256)
def parse_path(path: str) -> tuple[str | int, ...] | None:
    """The steps of a path of names and indexes, None for any other path."""
    if not path.startswith("$"):
        return None
    steps, at = [], 1
    while at < len(path):
        found = _STEP.match(path, at)
        if found is None:
            return None
        name, quoted, index = found.groups()
        steps.append(int(index) if index is not None else name if name is not None else quoted)
        at = found.end()
    return tuple(steps)


_MISSING = object()


def _walk(value: Any, steps: tuple[str | int, ...]) -> Any:
    for step in steps:
        if isinstance(step, int):
            if not isinstance(value, list) or isinstance(value, _Pairs) or step >= len(value):
                return _MISSING
            value = value[step]
        else:
            if not isinstance(value, _Pairs):
                return _MISSING
            value = next((v for k, v in value if k == step), _MISSING)
    return value


def _quote(value: str) -> str:
    return '"' + "".join(_SHORT.get(c, f"\\u{ord(c):04X}" if ord(c) < 32 else c) for c in value) + '"'


def _write(value: Any) -> str:
    if isinstance(value, _Fraction):
        raise RuntimeError(
            "[IDU_REFUSED] get_json_object of a number with a fraction (Jackson prints Java's digits)"
        )
    if isinstance(value, _Pairs):
        return "{" + ",".join(_quote(k) + ":" + _write(v) for k, v in value) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_write(v) for v in value) + "]"
    if isinstance(value, str):
        return _quote(value)
    if value is None:
        return "null"
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def utf8_generator_text(text: str) -> str:
    """Jackson's UTF-8 generator writes a character beyond U+FFFF in a string as its two UTF-16 escapes."""
    if text.isascii():
        return text
    out = []
    for c in text:
        code = ord(c)
        if code > 0xFFFF:
            high, low = 0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)
            out.append(f"\\u{high:04X}\\u{low:04X}")
        else:
            out.append(c)
    return "".join(out)


def jackson_json(document: str | None) -> str | None:
    """DuckDB's ``to_json`` text of a map or an array (keys in order) as Spark's Jackson writes it."""
    return None if document is None else _write(_DECODER.decode(document))


def get_json_object(document: str | None, path: str | None) -> str | None:
    steps = parse_path(path) if path is not None else None
    if document is None or steps is None:
        return None
    trimmed = document.lstrip(_WHITESPACE)
    try:
        value, _ = _DECODER.raw_decode(trimmed)
    except RecursionError:
        raise RuntimeError("[IDU_REFUSED] JSON nested deeper than Python reads") from None
    except ValueError:
        if "'" in trimmed:
            raise RuntimeError(
                "[IDU_REFUSED] JSON with single-quoted strings (Spark's Jackson reads them)"
            ) from None
        return None
    if not steps and not isinstance(value, list):
        raise RuntimeError(
            "[IDU_REFUSED] get_json_object(json, '$') of a JSON value that is not an object or an array "
            "(Jackson reads a top-level number or null differently)"
        )
    found = _walk(value, steps)
    if found is _MISSING or (found is None and isinstance(steps[-1], str)):
        return None  # Spark: a field holding JSON null is NULL, an array element holding it "null"
    if isinstance(found, str) and not isinstance(found, _Fraction):
        return found  # written raw
    return utf8_generator_text(_write(found))


_REFUSED_PATH = "get_json_object with a path other than a literal $ of .names and [indexes] (no wildcards)"


def _path_text(node: exp.Expr | None) -> str | None:
    """The path sqlglot read (source_calls.py checks its text is of the form read here), as Spark's text."""
    if not isinstance(node, exp.JSONPath):
        return None
    text = ""
    for part in node.expressions:
        if isinstance(part, exp.JSONPathRoot) and not text:
            text = "$"
        elif isinstance(part, exp.JSONPathKey) and isinstance(part.this, str) and part.this.isidentifier():
            text += "." + part.this
        elif isinstance(part, exp.JSONPathSubscript) and isinstance(part.this, int) and part.this >= 0:
            text += f"[{part.this}]"
        else:
            return None
    return text if parse_path(text) is not None else None


ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {}
CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {
    exp.JSONExtractScalar: lambda n: None if _path_text(n.expression) else _REFUSED_PATH,
    exp.JSONFormat: lambda n: "to_json with options" if n.args.get("options") is not None else None,
}
# the parsed path's nodes (their text checked in source_calls.py, their shape in _path_text)
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset(
    {*CHECKS, exp.JSONPath, exp.JSONPathRoot, exp.JSONPathKey, exp.JSONPathSubscript}
)


def anonymous_check(node: exp.Anonymous) -> str | None:
    return None


@gated(types=(exp.JSONExtractScalar, exp.JSONFormat))
def json_path(tree: exp.Expr) -> exp.Expr:
    """Rewrite get_json_object (innermost first), before the other rewrites see it."""
    return rewrite_calls(
        tree,
        by_type={
            exp.JSONExtractScalar: lambda a: _call("idu_get_json_object", text(a[0]), a[1]),
            exp.JSONFormat: lambda a: _call("idu_to_json", a[0]),
        },
        by_name={},
        arguments=lambda n: (
            [n.this.copy()]
            if isinstance(n, exp.JSONFormat)
            else [n.this.copy(), exp.Literal.string(_path_text(n.expression) or "")]
        ),
    )


def register_json_path(con: duckdb.DuckDBPyConnection) -> None:
    """Register ``idu_get_json_object`` on ``con``; again is harmless."""
    from duckdb import sqltypes as t

    register_udf(con, "idu_get_json_object", get_json_object, [t.VARCHAR, t.VARCHAR], t.VARCHAR)
    register_udf(con, "idu_jackson_json", jackson_json, [t.VARCHAR], t.VARCHAR)
