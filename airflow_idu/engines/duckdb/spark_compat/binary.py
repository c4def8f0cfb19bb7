"""BINARY and STRING values through ``base64``, ``concat``, ``length``, ``substr`` and casts.

Spark decides these functions by their arguments' types: ``concat`` of binaries is a
binary, ``base64`` encodes a binary's bytes but a string's UTF-8 bytes, ``length`` of
a binary counts bytes. The rewrite here decides from :func:`.types.static_kind` where
the expression says the type, and otherwise emits a macro that dispatches on DuckDB's
``typeof()`` (folded to a constant by DuckDB's binder, so free at run time). Where a
DuckDB expression cannot have the result type Spark's would (``substr`` of a BINARY
*column*, ``concat`` mixing a BINARY column with text), the macro refuses with
``[IDU_REFUSED]`` instead of returning a different value.

The tree is rewritten children first, with each argument's kind read from the
statement as written, so nested calls (``base64(concat(unhex(..), unhex(..)))``) see
their arguments' Spark types, not the DuckDB functions that replaced them.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.hex_text import max_bytes
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import replace_each
from airflow_idu.engines.duckdb.spark_compat.plain_args import plain_call
from airflow_idu.engines.duckdb.spark_compat.types import Kind, static_kind

__all__ = ["BINARY_MACROS", "binary_types"]

_BLOB = exp.DataType.build("BLOB")
_INT_MAX = exp.Literal.number(2147483647)
_REFUSED = "error('[IDU_REFUSED] {what}')"


def _base64(node: exp.Expr, kinds: list[Kind | None]) -> exp.Expr:
    arg = node.this
    match kinds[0]:
        case Kind.BINARY:
            bound = max_bytes(arg)  # up to 57 bytes (76 characters) Spark breaks no line
            return _call("to_base64" if bound is not None and bound <= 57 else "idu_base64", arg)
        case Kind.STRING:
            return _call("idu_base64", _call("encode", arg))
        case Kind.NULL:
            return exp.Null()
    return _call("idu_base64_any", arg)


def _length(node: exp.Expr, kinds: list[Kind | None]) -> exp.Expr:
    if kinds[0] is Kind.BINARY:
        return _call("octet_length", node.this)
    if kinds[0] in (Kind.STRING, Kind.NULL):
        return node
    return _call("idu_length", node.this)


def _octet_length(node: exp.Expr, kinds: list[Kind | None]) -> exp.Expr:
    if node.name.lower() != "octet_length":
        return node
    name = {Kind.BINARY: "octet_length", Kind.STRING: "strlen"}.get(kinds[0], "idu_octet_length")  # type: ignore[arg-type]
    return exp.Cast(this=_call(name, node.expressions[0]), to=exp.DataType.build("INT"))


def _substring(node: exp.Expr, kinds: list[Kind | None]) -> exp.Expr:
    start, length = node.args["start"], node.args.get("length")
    if kinds[0] is Kind.BINARY:
        return _call("idu_binary_substr", node.this, start, length if length is not None else _INT_MAX.copy())
    if kinds[0] in (Kind.STRING, Kind.NULL):
        return node
    node.set("this", plain_call("idu_substr_text", node.this))
    return node


def _cast(node: exp.Expr, kinds: list[Kind | None]) -> exp.Expr:
    assert isinstance(node, exp.Cast)
    if not node.to.is_type(exp.DataType.Type.BINARY, exp.DataType.Type.VARBINARY):
        return node
    match kinds[0]:
        case Kind.BINARY:
            return node.this
        case Kind.STRING:
            return _call("encode", node.this)
        case Kind.NULL:
            return exp.Cast(this=exp.Null(), to=_BLOB.copy())
    return _call("idu_to_binary", node.this)


def _concat(node: exp.Expr, kinds: list[Kind | None]) -> exp.Expr:
    """Binaries stay ``||`` of BLOBs; text gets Spark's strings; a mix DuckDB cannot type is refused."""
    args = list(node.expressions)
    if all(k in (Kind.BINARY, Kind.NULL) for k in kinds) or all(k in (Kind.STRING, Kind.NULL) for k in kinds):
        return node
    if Kind.BINARY in kinds and all(k is not None for k in kinds):  # known binary among known text
        node.set(
            "expressions",
            [_call("idu_utf8", a) if k is Kind.BINARY else a for a, k in zip(args, kinds, strict=True)],
        )
        return node
    # some argument's type is only known to DuckDB: keep each type, refuse what would differ
    guarded = [
        a if k in (Kind.STRING, Kind.NULL) else _call("idu_concat_arg", a)
        for a, k in zip(args, kinds, strict=True)
    ]
    node.set("expressions", guarded)
    unknown = [a for a, k in zip(args, kinds, strict=True) if k is None]
    if not unknown:
        return node
    if Kind.STRING in kinds or Kind.OTHER in kinds:
        mixed = " OR ".join(f"typeof({a.sql('duckdb')}) = 'BLOB'" for a in unknown)
    elif Kind.BINARY in kinds:
        mixed = " OR ".join(f"typeof({a.sql('duckdb')}) NOT IN ('BLOB', '\"NULL\"')" for a in unknown)
    else:
        blob = [f"typeof({a.sql('duckdb')}) = 'BLOB'" for a in unknown]
        other = [f"typeof({a.sql('duckdb')}) NOT IN ('BLOB', '\"NULL\"')" for a in unknown]
        mixed = f"({' OR '.join(blob)}) AND ({' OR '.join(other)})"
    guard: exp.Expr = exp.maybe_parse(
        f"CASE WHEN {mixed} THEN "
        + _REFUSED.format(what="concat of BINARY with other values: give every argument one type with CAST")
        + " END",
        dialect="duckdb",
    )
    return exp.Coalesce(this=guard, expressions=[node.copy()])


_BY_KIND: dict[type[exp.Expr], Callable[[exp.Expr, list[Kind | None]], exp.Expr]] = {
    exp.ToBase64: _base64,
    exp.Length: _length,
    exp.Anonymous: _octet_length,
    exp.Substring: _substring,
    exp.Cast: _cast,
    exp.Concat: _concat,
}


def _arguments(node: exp.Expr) -> list[exp.Expr]:
    if isinstance(node, exp.Concat):
        return list(node.expressions)
    if isinstance(node, exp.Anonymous):
        return list(node.expressions[:1])
    return [node.this]


@gated(types=_BY_KIND, names=("idu_text",))
def binary_types(tree: exp.Expr) -> exp.Expr:
    """Rewrite the type-dependent functions of ``tree``, innermost first."""
    nodes = [n for n in tree.find_all(*_BY_KIND) if type(n) in _BY_KIND]
    kinds = {id(n): [static_kind(a) for a in _arguments(n)] for n in nodes}
    # breadth-first reversed: every child before its parent
    tree = replace_each(tree, reversed(nodes), lambda node: _BY_KIND[type(node)](node, kinds[id(node)]))
    # idu_text of what the rewrites above made text (substr of idu_substr_text) is that text
    texts = [n for n in tree.find_all(exp.Anonymous) if n.name.lower() == "idu_text"]
    return replace_each(tree, [n for n in texts if static_kind(n.expressions[0]) is Kind.STRING], _first)


def _first(node: exp.Expr) -> exp.Expr:
    return node.expressions[0]


_NOT_TEXT = "typeof(x) NOT IN ('VARCHAR', 'BLOB', '\"NULL\"')"
_SUBSTR_TEXT = (
    "CASE WHEN typeof(x) = 'BLOB' THEN "
    + _REFUSED.format(what="substr/length of a BINARY column: CAST it, or use unhex/hex around it")
    + " WHEN typeof(x) IN ('DOUBLE', 'FLOAT') THEN idu_cast_string(x) ELSE CAST(x AS VARCHAR) END"
)

BINARY_MACROS: tuple[str, ...] = (
    # base64 of a value whose type only DuckDB knows: a BLOB's bytes, a VARCHAR's UTF-8 bytes
    _macro(
        "idu_base64_any(x)",
        "CASE WHEN typeof(x) = 'BLOB' THEN idu_base64(CAST(x AS BLOB)) "
        "WHEN typeof(x) = 'VARCHAR' THEN idu_base64(encode(CAST(x AS VARCHAR))) "
        f"WHEN {_NOT_TEXT} THEN "
        + _REFUSED.format(what="base64 of a value that is neither BINARY nor STRING")
        + " END",
    ),
    # (no guard macro in a dead branch: DuckDB folds a constant error() even there)
    _macro(
        "idu_length(x)",
        "CASE WHEN typeof(x) = 'BLOB' THEN octet_length(CAST(x AS BLOB)) "
        "WHEN typeof(x) IN ('DOUBLE', 'FLOAT') THEN length(idu_cast_string(x)) ELSE length(CAST(x AS VARCHAR)) END",
    ),
    _macro(
        "idu_octet_length(x)",
        "CASE WHEN typeof(x) = 'BLOB' THEN octet_length(CAST(x AS BLOB)) "
        "WHEN typeof(x) IN ('DOUBLE', 'FLOAT') THEN strlen(idu_cast_string(x)) ELSE strlen(CAST(x AS VARCHAR)) END",
    ),
    # Spark's CAST(BINARY AS STRING) decodes UTF-8; bytes that are not UTF-8 would differ (U+FFFD)
    # (b bound once by a one-element lambda: TRY refuses an argument holding a guard's error())
    _macro(
        "idu_utf8(b)",
        "list_transform([b], lambda v: CASE WHEN v IS NOT NULL AND try(decode(v)) IS NULL THEN "
        + _REFUSED.format(what="BINARY to STRING of bytes that are not UTF-8 (Spark substitutes U+FFFD)")
        + " ELSE decode(v) END)[1]",
    ),
    # CAST(x AS BINARY): a string's UTF-8 bytes; numbers (Spark: big-endian bytes) are refused
    _macro(
        "idu_to_binary(x)",
        "CASE WHEN typeof(x) = 'BLOB' THEN CAST(x AS BLOB) "
        "WHEN typeof(x) = 'VARCHAR' THEN encode(CAST(x AS VARCHAR)) "
        "WHEN typeof(x) = '\"NULL\"' THEN CAST(NULL AS BLOB) ELSE "
        + _REFUSED.format(what="CAST to BINARY of a value that is not a STRING")
        + " END",
    ),
    # Spark's implicit cast to STRING where DuckDB cannot return a BINARY instead (substr of a column)
    # (and the same copying a plain argument, plain_args.py: a VARCHAR column then costs nothing)
    *(_macro(f"idu_substr_text{plain}(x)", _SUBSTR_TEXT) for plain in ("", "_plain")),
    # an argument of concat: its own type kept; a DOUBLE DuckDB would print unlike Java is refused
    _macro(
        "idu_concat_arg(x)",
        "CASE WHEN typeof(x) IN ('DOUBLE', 'FLOAT') AND CAST(x AS VARCHAR) IS DISTINCT FROM idu_cast_string(x) "
        "THEN "
        + _REFUSED.format(what="concat of a DOUBLE that Spark prints differently: format it explicitly")
        + " ELSE x END",
    ),
    # substr of a BINARY: Spark's ByteArray.subStringSQL (1-based, negative from the end, 0 as 1)
    _macro("idu_binary_start(n, pos)", "CASE WHEN pos > 0 THEN pos - 1 WHEN pos < 0 THEN n + pos ELSE 0 END"),
    _macro(
        "idu_binary_slice(b, s, e)",
        "CASE WHEN s >= e THEN CAST('' AS BLOB) "
        "ELSE unhex(substr(hex(b), CAST(2 * s + 1 AS BIGINT), CAST(2 * (e - s) AS BIGINT))) END",
    ),
    _macro(
        "idu_binary_substr(b, pos, len)",
        "CASE WHEN b IS NULL OR pos IS NULL OR len IS NULL THEN NULL "
        "WHEN pos > octet_length(b) THEN CAST('' AS BLOB) ELSE idu_binary_slice(b, "
        "greatest(idu_binary_start(octet_length(b), CAST(pos AS BIGINT)), 0), "
        "CASE WHEN octet_length(b) - idu_binary_start(octet_length(b), CAST(pos AS BIGINT)) < len "
        "THEN octet_length(b) ELSE idu_binary_start(octet_length(b), CAST(pos AS BIGINT)) + len END) END",
    ),
)
