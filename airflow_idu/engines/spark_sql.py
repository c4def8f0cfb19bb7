"""Databricks SQL on a Spark Connect session: what runs unchanged, and what the session needs rewritten.

The unification SQL is Spark SQL already. Only what the session cannot run is changed, and
only after the engine asked the session (:class:`SessionCapabilities`, probed once per
session, never guessed):

* three-part names ``c.s.t`` whose catalog ``c`` the session does not have run as ``s.t``
  (in the session's current catalog, ``spark_catalog`` on plain Spark); the engine checks the
  mapping is unambiguous, as the embedded DuckDB engine does; ``USE CATALOG c`` is then a no-op;
* without Delta: ``USING DELTA`` is dropped (the session's default table format),
  ``OPTIMIZE``/``VACUUM`` are no-ops, ``SHALLOW CLONE`` becomes a copy;
* where the catalog has no ``CREATE OR REPLACE TABLE``: a drop and a create (through a staging
  table for ``... AS SELECT``, which may read the table it replaces);
* where it has no ``CLUSTER BY`` for tables: the clause is dropped (layout only);
* where its tables have no row-level ``DELETE``/``UPDATE``: the table is rewritten through a
  staging table (``UPDATE`` needs the table's columns: :func:`update_statements`).

``USE SCHEMA s`` also creates ``s`` if it is missing, as on the embedded engine.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError
from sqlglot.tokens import TokenType

from airflow_idu.plan.statements import blank_comments

__all__ = ["Adapted", "SessionCapabilities", "UpdateRewrite", "adapt_statement", "update_statements"]

STAGING_SUFFIX = "__idu_rewrite"


@dataclass(frozen=True, kw_only=True)
class SessionCapabilities:
    """What the session supports, found by asking it (see ``spark_connect.probe_capabilities``)."""

    catalogs: frozenset[str]  # catalog names the session has (lower case)
    current_catalog: str
    delta: bool  # USING DELTA tables can be created
    replace_table: bool  # CREATE OR REPLACE TABLE works in the current catalog
    cluster_by: bool  # CREATE TABLE ... CLUSTER BY (...) is accepted
    row_level_dml: bool  # DELETE and UPDATE work on the tables the session creates

    def describe(self) -> str:
        return (
            f"catalogs {sorted(self.catalogs)} (current {self.current_catalog}), delta={self.delta}, "
            f"create_or_replace={self.replace_table}, cluster_by={self.cluster_by}, "
            f"delete_update={self.row_level_dml}"
        )


@dataclass(frozen=True, kw_only=True)
class UpdateRewrite:
    """``UPDATE table SET column = expression, ... WHERE condition`` to run as a table rewrite."""

    table: str
    assignments: tuple[tuple[str, str], ...]  # (column, Spark SQL expression)
    condition: str | None


@dataclass(frozen=True, kw_only=True)
class Adapted:
    statements: tuple[str, ...]  # Spark SQL to run in order; empty = a no-op (see note)
    # (catalog, schema) of three-part names whose catalog the session lacks: mapped to the current one
    mapped: frozenset[tuple[str, str]] = frozenset()
    # catalogs named that the session did not list (SHOW CATALOGS lists only those loaded so far)
    missing_catalogs: frozenset[str] = frozenset()
    notes: tuple[str, ...] = ()  # every rewrite made, for the log
    update: UpdateRewrite | None = None  # run by the engine once it knows the table's columns
    guard: str | None = None  # a query: the statements run only if it returns a row (else nothing to do)


_IDENT = r"(`[^`]+`|[A-Za-z_][A-Za-z0-9_]*)"
_USE_CATALOG = re.compile(rf"USE\s+CATALOG\s+{_IDENT}", re.IGNORECASE)
_USE_SCHEMA = re.compile(rf"USE\s+(?:SCHEMA|DATABASE)\s+{_IDENT}", re.IGNORECASE)
_MAINTENANCE = re.compile(r"(OPTIMIZE|VACUUM)\b", re.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def adapt_statement(statement: str, caps: SessionCapabilities) -> Adapted:
    """The Spark statements for one Databricks statement (without its ``;``). Cached: the loop
    sends the same text every iteration."""
    code = blank_comments(statement).strip().rstrip(";").strip()
    if not code:
        return Adapted(statements=(), notes=("empty statement",))
    use_catalog = _USE_CATALOG.fullmatch(code)
    if use_catalog:
        name = _unquote(use_catalog.group(1))
        if name.lower() in caps.catalogs:  # Spark's own spelling of USE CATALOG
            return Adapted(statements=(f"SET CATALOG {use_catalog.group(1)}",))
        return Adapted(
            statements=(),
            missing_catalogs=frozenset({name}),
            notes=(
                f"catalog {name} is not in this Spark session: USE CATALOG is a no-op and its "
                f"three-part names run in {caps.current_catalog}",
            ),
        )
    use_schema = _USE_SCHEMA.fullmatch(code)
    if use_schema:
        schema = use_schema.group(1)
        return Adapted(
            statements=(f"CREATE SCHEMA IF NOT EXISTS {schema}", f"USE {schema}"),
            notes=("USE SCHEMA creates the schema first if it is missing, as on the embedded engine",),
        )
    maintenance = _MAINTENANCE.match(code)
    if maintenance and not caps.delta:
        verb = maintenance.group(1).upper()
        return Adapted(statements=(), notes=(f"{verb} is a no-op: this session has no Delta tables",))
    return _adapt_sql(code, caps)


def _adapt_sql(code: str, caps: SessionCapabilities) -> Adapted:
    tree = _parse(code)
    if tree is None:  # Spark SQL sqlglot cannot read: nothing of it can be rewritten safely
        return Adapted(statements=(code,))
    mapped = frozenset(
        (t.catalog, t.db)
        for t in tree.find_all(exp.Table)
        if t.catalog and t.catalog.lower() not in caps.catalogs
    )
    notes: list[str] = []
    text = _drop_catalogs(code, tree, {c for c, _ in mapped})
    if mapped:
        notes.append(
            "catalog(s) " + ", ".join(sorted({c for c, _ in mapped})) + f" not in this session: "
            f"three-part names run in {caps.current_catalog}"
        )
    if isinstance(tree, exp.Create) and not caps.delta:
        text = _remove_using_delta(text, notes)
    if isinstance(tree, exp.Create) and not caps.cluster_by:
        text = _remove_cluster_by(text, notes)
    rewritten = _rewrite_statement(text, caps, notes)
    return dataclasses.replace(
        rewritten, mapped=mapped, missing_catalogs=frozenset(c for c, _ in mapped), notes=tuple(notes)
    )


def _parse(code: str) -> exp.Expr | None:
    try:
        parsed = sqlglot.parse(code, read="databricks", error_level=ErrorLevel.RAISE)
    except SqlglotError:
        return None
    return parsed[0] if len(parsed) == 1 else None


def _drop_catalogs(code: str, tree: exp.Expr, catalogs: set[str]) -> str:
    """``c.s.t`` -> ``s.t`` for every table name whose catalog ``c`` is in ``catalogs``; the
    identifiers' positions (quotes included) come from the parser, so string literals and columns
    are left alone."""
    cuts: list[tuple[int, int]] = []
    for table in tree.find_all(exp.Table):
        catalog, db = table.args.get("catalog"), table.args.get("db")
        if catalog is None or db is None or table.catalog not in catalogs:
            continue
        start, end = catalog.meta.get("start"), db.meta.get("start")
        if start is None or end is None:
            continue
        cuts.append((start, end))
    for start, end in sorted(cuts, reverse=True):
        code = code[:start] + code[end:]
    return code


def _tokens(text: str) -> list[sqlglot.tokens.Token]:
    return sqlglot.tokenize(text, read="databricks")


def _remove_using_delta(text: str, notes: list[str]) -> str:
    tokens = _tokens(text)
    for this, following in itertools.pairwise(tokens):
        if this.token_type is TokenType.USING and following.text.upper() == "DELTA":
            notes.append("USING DELTA dropped: this session has no Delta (its default table format)")
            return _cut(text, this.start, following.end + 1)
    return text


def _remove_cluster_by(text: str, notes: list[str]) -> str:
    """The table's ``CLUSTER BY (...)`` (before any ``AS SELECT``): layout only, results are the same."""
    tokens = _tokens(text)
    depth = 0
    for i, token in enumerate(tokens):
        if token.token_type in (TokenType.ALIAS, TokenType.SELECT) and depth == 0:
            return text
        depth += {TokenType.L_PAREN: 1, TokenType.R_PAREN: -1}.get(token.token_type, 0)
        if token.token_type is TokenType.CLUSTER_BY and depth == 0 and i + 1 < len(tokens):
            end = _closing_paren(tokens, i + 1)
            if end is not None:
                notes.append("CLUSTER BY dropped: this session's catalog has no clustered tables")
                return _cut(text, token.start, end + 1)
    return text


def _closing_paren(tokens: list[sqlglot.tokens.Token], i: int) -> int | None:
    if tokens[i].token_type is not TokenType.L_PAREN:
        return None
    depth = 0
    for token in tokens[i:]:
        depth += {TokenType.L_PAREN: 1, TokenType.R_PAREN: -1}.get(token.token_type, 0)
        if depth == 0:
            return token.end
    return None


def _cut(text: str, start: int, end: int) -> str:
    return (text[:start].rstrip() + " " + text[end:].lstrip()).strip()


def _rewrite_statement(text: str, caps: SessionCapabilities, notes: list[str]) -> Adapted:
    tree = _parse(text)
    if isinstance(tree, exp.Create) and tree.kind == "TABLE":
        return Adapted(statements=_create(text, tree, caps, notes))
    if isinstance(tree, exp.Delete) and not caps.row_level_dml:
        notes.append("DELETE run as a rewrite of the table: this session's tables have no row-level DELETE")
        return _delete(tree)
    if isinstance(tree, exp.Update) and not caps.row_level_dml:
        notes.append("UPDATE run as a rewrite of the table: this session's tables have no row-level UPDATE")
        return _update(tree)
    return Adapted(statements=(text,))


def _create(text: str, tree: exp.Create, caps: SessionCapabilities, notes: list[str]) -> tuple[str, ...]:
    target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    name = _spark(target)
    clone = tree.args.get("clone")
    if isinstance(clone, exp.Clone) and not caps.delta:
        notes.append("SHALLOW CLONE run as a copy: this session has no Delta")
        source = _spark(clone.this)
        text = f"CREATE TABLE {name} AS SELECT * FROM {source}"
        return (f"DROP TABLE IF EXISTS {name}", text) if tree.args.get("replace") else (text,)
    if not tree.args.get("replace") or caps.replace_table:
        return (text,)
    notes.append(
        f"CREATE OR REPLACE TABLE run as drop and create: {caps.current_catalog} cannot replace tables"
    )
    created = re.sub(r"^\s*CREATE\s+OR\s+REPLACE\s+TABLE", "CREATE TABLE", text, count=1, flags=re.I)
    if tree.expression is None or not _reads(tree.expression, target):  # may drop the target first
        return (f"DROP TABLE IF EXISTS {name}", created)
    staging = _staging(target)
    as_staging = created.replace(_original(text, target), staging, 1)
    return (
        f"DROP TABLE IF EXISTS {staging}",
        as_staging,
        f"DROP TABLE IF EXISTS {name}",
        f"ALTER TABLE {staging} RENAME TO {name}",
    )


def _reads(query: exp.Expr, table: exp.Table) -> bool:
    return any(
        t.name == table.name and (t.db == table.db or not t.db or not table.db)
        for t in query.find_all(exp.Table)
    )


def _original(text: str, table: exp.Table) -> str:
    """The target's name as written after ``CREATE OR REPLACE TABLE`` (first table name in the text)."""
    match = re.match(
        r"\s*CREATE\s+(?:OR\s+REPLACE\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([`\w.]+)", text, re.I
    )
    return match.group(1) if match else _spark(table)


def _delete(tree: exp.Delete) -> Adapted:
    table = tree.this
    where = tree.args.get("where")
    keep = f" WHERE ({_spark(where.this)}) IS NOT TRUE" if where is not None else " WHERE FALSE"
    return Adapted(
        statements=_rewrite_table(table, f"SELECT * FROM {_spark(table)}{keep}"),
        guard=_matching(table, where),
    )


def _update(tree: exp.Update) -> Adapted:
    where = tree.args.get("where")
    assignments = tuple((e.this.name, _spark(e.expression)) for e in tree.expressions)
    update = UpdateRewrite(
        table=_spark(tree.this),
        assignments=assignments,
        condition=_spark(where.this) if where is not None else None,
    )
    return Adapted(statements=(), update=update, guard=_matching(tree.this, where))


def _matching(table: exp.Table, where: exp.Expr | None) -> str:
    """A query for one row the statement changes: with none, the rewrite is skipped."""
    condition = f" WHERE ({_spark(where.this)}) IS TRUE" if where is not None else ""
    return f"SELECT 1 FROM {_spark(table)}{condition} LIMIT 1"


def update_statements(update: UpdateRewrite, columns: list[str]) -> tuple[str, ...]:
    """The rewrite of ``update`` for a table with ``columns`` (in order)."""
    values = {column.lower(): value for column, value in update.assignments}
    unknown = set(values) - {c.lower() for c in columns}
    if unknown:
        raise ValueError(f"UPDATE {update.table} sets unknown column(s) {sorted(unknown)}")
    when = f"({update.condition}) IS TRUE" if update.condition else "TRUE"
    select = ", ".join(
        f"CASE WHEN {when} THEN {values[c.lower()]} ELSE `{c}` END AS `{c}`"
        if c.lower() in values
        else f"`{c}`"
        for c in columns
    )
    table = sqlglot.parse_one(update.table, read="spark", into=exp.Table)
    return _rewrite_table(table, f"SELECT {select} FROM {update.table}")


def _rewrite_table(table: exp.Table, select: str) -> tuple[str, ...]:
    name, staging = _spark(table), _staging(table)
    return (
        f"DROP TABLE IF EXISTS {staging}",
        f"CREATE TABLE {staging} AS {select}",
        f"DROP TABLE {name}",
        f"ALTER TABLE {staging} RENAME TO {name}",
    )


def _staging(table: exp.Table) -> str:
    staging = table.copy()
    staging.set("this", exp.to_identifier(table.name + STAGING_SUFFIX))
    return _spark(staging)


def _spark(node: exp.Expr) -> str:
    return node.sql(dialect="spark", unsupported_level=ErrorLevel.RAISE)


def _unquote(identifier: str) -> str:
    return identifier[1:-1] if identifier.startswith("`") else identifier
