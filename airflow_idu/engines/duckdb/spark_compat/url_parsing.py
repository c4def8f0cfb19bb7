"""``parse_url``/``try_parse_url(url, part[, key])`` for the URLs whose ``java.net.URI`` reading is plain.

Spark reads the URL with ``java.net.URI`` and returns one part: PROTOCOL (the scheme), HOST,
AUTHORITY, PATH, QUERY, FILE (path and ``?query``), REF (the fragment); with a key, the value of
the first ``key=value`` of the query. The engine reads only URLs of ASCII letters, digits and the
unreserved and sub-delimiter characters (no ``%`` escapes, no user info), either
``scheme://host[:port][/path][?query][#fragment]`` with a host name of letter-led labels, or a
relative path with an optional query and fragment: for those the parts are the text between the
delimiters. Text holding a space, a control character or one of ``"<>\\^`{|}`` is no URI for Java:
``INVALID_URL`` (``try_parse_url``: NULL). Any other URL is refused when run; so are a part or a key
that is not a literal (a key of letters, digits and ``_``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.more_functions import text
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import rewrite_calls
from airflow_idu.engines.duckdb.spark_compat.python_functions import register_udf

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "ANONYMOUS",
    "CHECKS",
    "FUNCTIONS",
    "anonymous_check",
    "parse_url",
    "register_url_parsing",
    "url_parsing",
]

_CHARS = r"[A-Za-z0-9._~!$&'()*+,;=:@/-]"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_ABSOLUTE = re.compile(
    rf"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>(?P<host>(?:{_LABEL}\.)*[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?)"
    rf"(?::[0-9]*)?)(?P<path>(?:/[A-Za-z0-9._~!$&'()*+,;=:@-]*)*)(?:\?(?P<query>(?:{_CHARS}|\?)*))?"
    rf"(?:#(?P<ref>(?:{_CHARS}|\?)*))?"
)
_RELATIVE = re.compile(
    r"(?P<path>[A-Za-z0-9._~!$&'()*+,;=@-][A-Za-z0-9._~!$&'()*+,;=:@/-]*|)"
    rf"(?:\?(?P<query>(?:{_CHARS}|\?)*))?(?:#(?P<ref>(?:{_CHARS}|\?)*))?"
)
_INVALID = re.compile(r"[\x00-\x20\x7f\"<>\\^`{|}]")
_PARTS = frozenset({"HOST", "PATH", "QUERY", "REF", "PROTOCOL", "FILE", "AUTHORITY", "USERINFO"})


def _part(found: re.Match[str], part: str) -> str | None:
    groups = found.groupdict()
    if part == "FILE":
        path = groups.get("path") or ""
        return path if groups.get("query") is None else f"{path}?{groups['query']}"
    key = {"PROTOCOL": "scheme", "HOST": "host", "AUTHORITY": "authority", "PATH": "path", "QUERY": "query",
           "REF": "ref"}.get(part)  # fmt: skip
    value = groups.get(key) if key else None
    if part == "PATH" and value is None:
        return ""
    return value


def parse_url(url: str | None, part: str | None, key: str | None, try_: bool | None) -> str | None:
    if url is None or part is None:
        return None
    found = _ABSOLUTE.fullmatch(url) or (None if ":" in url.split("/", 1)[0] else _RELATIVE.fullmatch(url))
    if found is None:
        if _INVALID.search(url):
            if try_:
                return None
            raise ValueError(f"[INVALID_URL] The url is invalid: {url}")
        raise ValueError(
            "[IDU_REFUSED] parse_url of a URL whose java.net.URI reading the engine does not model"
        )
    value = _part(found, part) if part in _PARTS else None
    if key is None or part != "QUERY" or value is None:
        return value
    matched = re.search(rf"(?:&|^){re.escape(key)}=([^&]*)", value)
    return matched.group(1) if matched else None


def _literal(node: exp.Expr | None, pattern: str) -> bool:
    return isinstance(node, exp.Literal) and node.is_string and re.fullmatch(pattern, node.this) is not None


def _parse_url_args(node: exp.Expr) -> list[exp.Expr]:
    """parse_url's arguments: sqlglot reads it as ParseUrl(this, part_to_extract, key)."""
    if isinstance(node, exp.Anonymous):
        return list(node.expressions)
    keys = ("this", "part_to_extract", "key")
    return [node.args[k] for k in keys if node.args.get(k) is not None]


def anonymous_check(node: exp.Expr) -> str | None:
    args = _parse_url_args(node)
    if len(args) not in (2, 3) or not _literal(args[1], r"[A-Z]+"):
        return "parse_url with a part that is not an upper-case literal"
    if len(args) == 3 and not _literal(args[2], r"[A-Za-z0-9_]+"):
        return "parse_url with a key that is not a literal of letters, digits and _"
    return None


def _build(try_: bool) -> Callable[[list[exp.Expr]], exp.Expr]:
    def build(args: list[exp.Expr]) -> exp.Expr:
        key = args[2] if len(args) == 3 else exp.Null()
        return _call("idu_parse_url", text(args[0]), args[1], key, exp.Boolean(this=try_))

    return build


ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {
    "parse_url": _build(False),
    "try_parse_url": _build(True),
}
CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {exp.ParseUrl: anonymous_check}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset(CHECKS)


@gated(types=(exp.ParseUrl,), names=ANONYMOUS)
def url_parsing(tree: exp.Expr) -> exp.Expr:
    """Rewrite parse_url and try_parse_url (innermost first), before the other rewrites see them."""
    return rewrite_calls(
        tree,
        by_type={exp.ParseUrl: _build(False)},
        by_name=ANONYMOUS,
        arguments=lambda n: [a.copy() for a in _parse_url_args(n)],
    )


def register_url_parsing(con: duckdb.DuckDBPyConnection) -> None:
    """Register ``idu_parse_url`` on ``con``; again is harmless."""
    from duckdb import sqltypes as t

    register_udf(con, "idu_parse_url", parse_url, [t.VARCHAR, t.VARCHAR, t.VARCHAR, t.BOOLEAN], t.VARCHAR)
