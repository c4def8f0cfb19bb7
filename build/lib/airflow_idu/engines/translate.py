"""Translate one Databricks SQL statement into DuckDB statements.

The embedded DuckDB engine runs Databricks SQL directories unchanged, so every
statement goes through :func:`translate_statement`:

* session/maintenance statements are handled here (USE CATALOG is a no-op, USE
  SCHEMA creates the schema, OPTIMIZE/VACUUM/ANALYZE are no-ops with a note);
* everything else is parsed by sqlglot (databricks dialect), rewritten on the
  AST (catalog dropped from three-part names, Delta table properties removed)
  and printed as DuckDB.

Spark functions DuckDB lacks (``conv``) are provided as macros in
:data:`COMPAT_MACROS`, which the engine runs once per connection.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from airflow_idu.engines.duckdb_macros import COMPAT_MACROS

__all__ = ["COMPAT_MACROS", "Translation", "TranslationError", "translate_statement"]


class TranslationError(ValueError):
    """A statement cannot be run on DuckDB; the message names its first line."""


@dataclass(frozen=True, kw_only=True)
class Translation:
    statements: tuple[str, ...]  # DuckDB statements to run in order; empty = no-op
    # (catalog, schema) of every three-part table name: the engine checks they map unambiguously
    catalog_schemas: frozenset[tuple[str, str]] = frozenset()
    note: str | None = None  # logged by the engine, e.g. why a statement was skipped


_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_IDENT = r"(`[^`]+`|[A-Za-z_][A-Za-z0-9_]*)"
_USE_CATALOG = re.compile(rf"USE\s+CATALOG\s+{_IDENT}$", re.IGNORECASE)
_USE_SCHEMA = re.compile(rf"USE\s+(?:SCHEMA\s+|DATABASE\s+)?{_IDENT}(?:\.{_IDENT})?$", re.IGNORECASE)
_MAINTENANCE = re.compile(r"(OPTIMIZE|VACUUM|ANALYZE\s+TABLE)\b", re.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def translate_statement(statement: str) -> Translation:
    """Translate one Databricks statement (without the trailing ``;``). Cached, because the
    unify loop runs the same text many times."""
    code = _COMMENT.sub(" ", statement).strip().rstrip(";").strip()
    if not code:
        return Translation(statements=(), note="empty statement")
    if _USE_CATALOG.fullmatch(code):
        return Translation(
            statements=(), note="USE CATALOG is a no-op on DuckDB (catalogs map to one database)"
        )
    use = _USE_SCHEMA.fullmatch(code)
    if use:
        schema = _unquote(use.group(2) or use.group(1))
        return Translation(statements=(f'CREATE SCHEMA IF NOT EXISTS "{schema}"', f'USE "{schema}"'))
    maintenance = _MAINTENANCE.match(code)
    if maintenance:
        verb = " ".join(maintenance.group(1).upper().split())
        return Translation(statements=(), note=f"{verb} is a no-op on DuckDB (no Delta files to maintain)")
    sql, catalog_schemas = _to_duckdb(statement, code)
    return Translation(statements=(sql,), catalog_schemas=catalog_schemas)


def _unquote(identifier: str) -> str:
    return identifier[1:-1] if identifier.startswith("`") else identifier


def _to_duckdb(statement: str, code: str) -> tuple[str, frozenset[tuple[str, str]]]:
    try:
        parsed = sqlglot.parse(code, read="databricks", error_level=ErrorLevel.RAISE)
    except SqlglotError as exc:
        raise TranslationError(f"{_first_line(statement)}: cannot parse as Databricks SQL: {exc}") from exc
    if len(parsed) != 1 or parsed[0] is None:
        raise TranslationError(f"{_first_line(statement)}: expected exactly one statement, got {len(parsed)}")
    tree = parsed[0]
    if isinstance(tree, exp.Command):
        raise TranslationError(f"{_first_line(statement)}: unsupported statement for DuckDB ({tree.name})")
    catalog_schemas = frozenset(
        (t.catalog, t.db) for t in tree.find_all(exp.Table) if t.args.get("catalog") is not None
    )
    rewritten = tree.transform(_rewrite)
    if rewritten is None:
        raise TranslationError(
            f"{_first_line(statement)}: nothing left to run after removing storage clauses"
        )
    try:
        # Properties were removed above; anything else sqlglot cannot express in DuckDB fails here.
        return rewritten.sql(dialect="duckdb", unsupported_level=ErrorLevel.RAISE), catalog_schemas
    except SqlglotError as exc:
        raise TranslationError(f"{_first_line(statement)}: not translatable to DuckDB: {exc}") from exc


def _rewrite(node: exp.Expression) -> exp.Expression | None:
    if isinstance(node, exp.Table) and node.args.get("catalog") is not None:
        # c.s.t -> s.t: a DuckDB file is one catalog; the engine checks the mapping is unambiguous
        node = node.copy()
        node.set("catalog", None)
        return node
    if isinstance(node, exp.Properties):
        # USING DELTA, CLUSTER BY, PARTITIONED BY, TBLPROPERTIES, LOCATION: storage only
        return None
    return node


def _first_line(statement: str) -> str:
    for line in statement.splitlines():
        text = line.strip()
        if text and not text.startswith("--"):
            return text if len(text) <= 100 else text[:97] + "..."
    return statement.strip()[:100]
