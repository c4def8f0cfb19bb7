"""``json_array_length`` and ``json_object_keys``, as Spark's Jackson reading gives them.

Spark reads the text with Jackson: the first token must open an array (an object), else NULL; the
elements (the keys, in order, repeated ones kept) are counted (listed) by reading the value to its
closing bracket, and text after it is never read; any malformed JSON inside is NULL. Python's
``json`` decoder reads the first value the same way (``raw_decode``, the leading whitespace skipped
as Jackson skips it), with Spark's Jackson settings: no ``NaN``/``Infinity``, no leading zeros, control characters
allowed in strings; Spark also reads single-quoted strings, which Python does not: text that
fails to parse and holds a ``'`` is refused when run (compared with Spark on 8,000 generated texts). A BINARY argument
is read as its UTF-8 text (bytes that are not UTF-8 are refused when run, as everywhere).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.json_path import json_path
from airflow_idu.engines.duckdb.spark_compat.more_functions import text
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import rewrite_calls
from airflow_idu.engines.duckdb.spark_compat.python_functions import register_udf
from airflow_idu.engines.duckdb.spark_compat.url_parsing import url_parsing

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "ANONYMOUS",
    "CHECKS",
    "FUNCTIONS",
    "anonymous_check",
    "json_array_length",
    "json_functions",
    "json_object_keys",
    "register_json_functions",
]

_WHITESPACE = " \t\n\r"


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _pairs(pairs: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return pairs  # keys in order, repeated ones kept


_DECODER = json.JSONDecoder(parse_constant=_reject_constant, object_pairs_hook=_pairs, strict=False)


def _first_value(document: str) -> Any:
    """The first JSON value of ``document`` (the rest is not read), or raises ValueError."""
    trimmed = document.lstrip(_WHITESPACE)
    try:
        value, _ = _DECODER.raw_decode(trimmed)
    except RecursionError:
        raise RuntimeError(
            "[IDU_REFUSED] JSON nested deeper than Python reads (Jackson stops at 1000)"
        ) from None
    except ValueError:
        if "'" in trimmed:
            raise RuntimeError(
                "[IDU_REFUSED] JSON with single-quoted strings (Spark's Jackson reads them)"
            ) from None
        raise
    return value


def json_array_length(document: str | None) -> int | None:
    if document is None or not document.lstrip(_WHITESPACE).startswith("["):
        return None
    try:
        value = _first_value(document)
    except ValueError:
        return None
    return len(value)


def json_object_keys(document: str | None) -> list[str] | None:
    if document is None or not document.lstrip(_WHITESPACE).startswith("{"):
        return None
    try:
        value = _first_value(document)
    except ValueError:
        return None
    return [key for key, _ in value]


ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {
    "json_array_length": lambda a: _call("idu_json_array_length", text(a[0])),
}
_BUILD: dict[type[exp.Expr], Callable[[list[exp.Expr]], exp.Expr]] = {
    exp.JSONKeys: lambda a: _call("idu_json_object_keys", text(a[0])),  # json_object_keys
}
CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {
    exp.JSONKeys: lambda n: None if len([v for v in n.args.values() if v]) == 1 else "json_object_keys arity",
}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset(CHECKS)


def anonymous_check(node: exp.Anonymous) -> str | None:
    return (
        None if len(node.expressions) == 1 else f"{node.name.lower()} with {len(node.expressions)} arguments"
    )


@gated(types=_BUILD, names=ANONYMOUS, like=(json_path, url_parsing))
def json_functions(tree: exp.Expr) -> exp.Expr:
    """Rewrite the functions above, get_json_object and to_json (:mod:`.json_path`) and parse_url
    (:mod:`.url_parsing`), innermost first, before the other rewrites see them."""
    tree = url_parsing(json_path(tree))
    return rewrite_calls(
        tree,
        by_type=_BUILD,
        by_name=ANONYMOUS,
        arguments=lambda n: [a.copy() for a in (n.expressions if isinstance(n, exp.Anonymous) else [n.this])],
    )


def register_json_functions(con: duckdb.DuckDBPyConnection) -> None:
    """Register the functions above on ``con``; again is harmless."""
    import duckdb
    from duckdb import sqltypes as t

    register_udf(con, "idu_json_array_length", json_array_length, [t.VARCHAR], t.INTEGER)
    register_udf(con, "idu_json_object_keys", json_object_keys, [t.VARCHAR], duckdb.list_type(t.VARCHAR))
