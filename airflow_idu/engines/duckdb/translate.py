"""Translate one Databricks SQL statement into DuckDB statements.

The embedded DuckDB engine runs Databricks SQL directories unchanged, so every
statement goes through :func:`translate_statement`:

* session/maintenance statements are handled here (USE CATALOG is a no-op, USE
  SCHEMA creates the schema, OPTIMIZE/VACUUM/ANALYZE are no-ops with a note);
* everything else is parsed by sqlglot (databricks dialect), rewritten on the
  AST (catalog dropped from three-part names, Delta table properties removed)
  and printed as DuckDB.

Every construct must be on the allow-list of :mod:`airflow_idu.engines.duckdb.spark_compat`
(proven identical to Spark by ``tests/fidelity``); anything else is refused before it
runs with a :class:`TranslationError` naming the construct and its line. Rewrites
there, and the DuckDB macros in :data:`COMPAT_MACROS` (run once per connection),
give Spark's results where DuckDB's built-ins differ. The engine follows Databricks
SQL warehouses: ANSI mode on, session time zone UTC.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from airflow_idu.engines.duckdb.merge import TRANSACTION_START, merge_statements, merge_writes
from airflow_idu.engines.duckdb.set_operations import SetShape, set_shapes
from airflow_idu.engines.duckdb.spark_compat import COMPAT_MACROS, apply_rewrites, find_refusal, repair_parse
from airflow_idu.engines.duckdb.spark_compat.source_text import repair_source
from airflow_idu.engines.duckdb.spark_compat.time_type import enabled as time_type_enabled
from airflow_idu.engines.duckdb.store_assignment import WriteKind, WriteShape, cte_prefix
from airflow_idu.plan.contract import UseKind, parse_use
from airflow_idu.plan.statements import blank_comments

__all__ = ["COMPAT_MACROS", "Translation", "TranslationError", "forget_translations", "translate_statement"]


class TranslationError(ValueError):
    """A statement cannot be run on DuckDB; the message names its first line.

    For a refused construct, ``construct`` names it as written and ``line`` is its
    1-based line within the statement (``run_statements`` adds the statement's line
    in its file).
    """

    def __init__(self, message: str, *, construct: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.construct = construct
        self.line = line


@dataclass(frozen=True, kw_only=True)
class Translation:
    statements: tuple[str, ...]  # DuckDB statements to run in order; empty = no-op
    # (catalog, schema) of every three-part table name: the engine checks they map unambiguously
    catalog_schemas: frozenset[tuple[str, str]] = frozenset()
    note: str | None = None  # logged by the engine, e.g. why a statement was skipped
    # what INSERT, UPDATE and MERGE store: checked against the columns' types first (store_assignment.py)
    writes: tuple[WriteShape, ...] = ()
    # every UNION/INTERSECT/EXCEPT: its branches' column types are checked against Spark's first
    set_operations: tuple[SetShape, ...] = ()

    @property
    def may_add_floats(self) -> bool:
        """A statement may create a FLOAT column: it is not a query or DML, and it names FLOAT or reads
        a file (a table it creates from the database's own tables holds no FLOAT unless they do)."""
        return any(not _DATA_ONLY.match(s) and _FLOATISH.search(s) for s in self.statements)

    @property
    def transaction(self) -> bool:
        """The statements run in one transaction: whoever runs them rolls it back if one fails."""
        return bool(self.statements) and self.statements[0] == TRANSACTION_START


_DATA_ONLY = re.compile(
    r"\s*(SELECT|WITH|INSERT|UPDATE|DELETE|MERGE|BEGIN|COMMIT|ROLLBACK|USE|SET|CHECKPOINT)\b", re.IGNORECASE
)
_FLOATISH = re.compile(r"FLOAT|\bread_\w+\s*\(", re.IGNORECASE)
_MAINTENANCE = re.compile(r"(OPTIMIZE|VACUUM|ANALYZE\s+TABLE)\b", re.IGNORECASE)
_SET_TIME_ZONE = re.compile(r"SET\s+TIME\s+ZONE\s+(?:'([^']*)'|(\S+))$", re.IGNORECASE)
_UTC = frozenset({"utc", "etc/utc", "z", "+00:00", "gmt"})


def translate_statement(statement: str, *, float_values: bool = False) -> Translation:
    """Translate one Databricks statement (without the trailing ``;``). Cached, because the
    unify loop runs the same text many times; per setting of the Spark being mirrored.

    ``float_values``: the database the statement runs on has a FLOAT column (float_columns.py),
    so arithmetic and comparisons get Spark's widening of a FLOAT beside an integer or a DECIMAL
    (spark_compat/float_widening.py). Whoever runs the statement knows; the text alone does not."""
    return _translate(statement, time_type_enabled(), float_values)


def forget_translations() -> None:
    """Empty this process's cache of translations (translation_cache.py: as a new process starts)."""
    _translate.cache_clear()


@functools.lru_cache(maxsize=4096)
def _translate(statement: str, _time_type: bool, float_values: bool) -> Translation:
    blanked = blank_comments(statement)
    code = blanked.strip().rstrip(";").strip()
    if not code:
        return Translation(statements=(), note="empty statement")
    use = parse_use(code)
    if use and use.kind is UseKind.CATALOG:
        return Translation(
            statements=(), note="USE CATALOG is a no-op on DuckDB (catalogs map to one database)"
        )
    if use:
        schema = use.name
        return Translation(statements=(f'CREATE SCHEMA IF NOT EXISTS "{schema}"', f'USE "{schema}"'))
    maintenance = _MAINTENANCE.match(code)
    if maintenance:
        verb = " ".join(maintenance.group(1).upper().split())
        return Translation(statements=(), note=f"{verb} is a no-op on DuckDB (no Delta files to maintain)")
    zone = _SET_TIME_ZONE.fullmatch(code)
    if zone:
        return _set_time_zone(statement, zone.group(1) or zone.group(2))
    statements, catalog_schemas, writes, sets = _to_duckdb(
        statement, blanked.rstrip().rstrip(";"), float_values
    )
    return Translation(
        statements=statements, catalog_schemas=catalog_schemas, writes=writes, set_operations=sets
    )


def _set_time_zone(statement: str, zone: str) -> Translation:
    if zone.lower() in _UTC:
        return Translation(statements=(), note="SET TIME ZONE UTC: the embedded engine always runs in UTC")
    raise TranslationError(
        f"{_first_line(statement)}: SET TIME ZONE (line 1 of the statement) is refused: {zone!r}; the "
        "embedded DuckDB engine runs in UTC (as Databricks SQL warehouses do by default). Convert with "
        "explicit expressions, or run this file on Databricks",
        construct="SET TIME ZONE",
        line=1,
    )


def _to_duckdb(
    statement: str, code: str, float_values: bool
) -> tuple[tuple[str, ...], frozenset[tuple[str, str]], tuple[WriteShape, ...], tuple[SetShape, ...]]:
    code = repair_source(code)  # what Spark's lexer reads that sqlglot's does not: 'O''Brien', >>>, X 'hex'
    try:
        parsed = sqlglot.parse(code, read="databricks", error_level=ErrorLevel.RAISE)
    except SqlglotError as exc:
        raise TranslationError(f"{_first_line(statement)}: cannot parse as Databricks SQL: {exc}") from exc
    if len(parsed) != 1 or parsed[0] is None:
        raise TranslationError(f"{_first_line(statement)}: expected exactly one statement, got {len(parsed)}")
    tree = repair_parse(parsed[0], code)
    if isinstance(tree, exp.Command):
        raise TranslationError(f"{_first_line(statement)}: unsupported statement for DuckDB ({tree.name})")
    catalog_schemas = frozenset(
        (t.catalog, t.db) for t in tree.find_all(exp.Table) if t.args.get("catalog") is not None
    )
    refusal = find_refusal(tree, code)
    if refusal is not None:
        where = f" (line {refusal.line} of the statement)" if refusal.line else ""
        raise TranslationError(
            f"{_first_line(statement)}: {refusal.construct}{where} is refused: {refusal.reason}. "
            "The embedded DuckDB engine runs only constructs proven to give Spark's result "
            "(docs/compatibility.md); rewrite it with a supported form, or run this file on Databricks",
            construct=refusal.construct,
            line=refusal.line,
        )
    # in place (copy=False): the rewritten tree is this function's own, and a copy of it cost 6% of
    # a statement's translation
    rewritten = apply_rewrites(
        _like_as_empty_copy(_clone_as_copy(tree)), float_values=float_values
    ).transform(_rewrite, copy=False)
    if rewritten is None:
        raise TranslationError(
            f"{_first_line(statement)}: nothing left to run after removing storage clauses"
        )
    try:
        # Properties were removed above; anything else sqlglot cannot express in DuckDB fails here.
        sql = rewritten.sql(dialect="duckdb", unsupported_level=ErrorLevel.RAISE)
        sets = set_shapes(rewritten)
        if isinstance(rewritten, exp.Merge):
            return merge_statements(rewritten), catalog_schemas, merge_writes(rewritten), sets
        added = _add_columns(rewritten)
        if added is not None:
            return added, catalog_schemas, (), sets
        writes = _write_shapes(rewritten)
        if isinstance(rewritten, exp.Insert) and rewritten.args.get("overwrite"):
            return _insert_overwrite(rewritten), catalog_schemas, writes, sets
        return (sql,), catalog_schemas, writes, sets
    except SqlglotError as exc:
        raise TranslationError(f"{_first_line(statement)}: not translatable to DuckDB: {exc}") from exc


def _write_shapes(tree: exp.Expr) -> tuple[WriteShape, ...]:
    """What an INSERT or UPDATE stores, for the engine's type check (store_assignment.py)."""
    if isinstance(tree, exp.Update):
        return _update_shape(tree)
    if not isinstance(tree, exp.Insert):
        return ()
    target = tree.this
    columns = None
    if isinstance(target, exp.Schema):
        columns = tuple(c.name for c in target.expressions)
        target = target.this
    source = tree.args.get("source")  # INSERT INTO t TABLE s (sqlglot keeps a flag here otherwise)
    if isinstance(source, exp.Expr):
        query = f"SELECT * FROM {source.sql(dialect='duckdb')}"
    else:
        # DEFAULT stands for the column's default, of the column's type: NULL checks the same
        query = tree.expression.transform(_default_as_null).sql(dialect="duckdb")
    query = cte_prefix(tree) + query  # WITH x AS (...) INSERT INTO t SELECT ... FROM x
    return (
        WriteShape(
            kind=WriteKind.INSERT,
            table=target.sql(dialect="duckdb"),
            query=query,
            columns=columns,
            by_name=bool(tree.args.get("by_name")),
        ),
    )


def _default_as_null(node: exp.Expr) -> exp.Expr:
    return exp.null() if isinstance(node, exp.Var) and node.name.upper() == "DEFAULT" else node


def _update_shape(update: exp.Update) -> tuple[WriteShape, ...]:
    """``UPDATE t SET c = e``: the values are the SET expressions over the table's rows."""
    prefix = cte_prefix(update)
    values = ", ".join(a.expression.sql(dialect="duckdb") for a in update.expressions)
    target = update.this.copy()
    target.set("alias", None)
    return (
        WriteShape(
            kind=WriteKind.UPDATE,
            table=target.sql(dialect="duckdb"),
            query=f"{prefix}SELECT {values} FROM {update.this.sql(dialect='duckdb')}",
            columns=tuple(a.this.name for a in update.expressions),
        ),
    )


def _add_columns(tree: exp.Expr) -> tuple[str, ...] | None:
    """``ALTER TABLE t ADD COLUMNS (a T, b U)``: one DuckDB ``ADD COLUMN`` each, in one transaction
    (Spark appends nullable columns, NULL in every row, as DuckDB does)."""
    actions = tree.args.get("actions") if isinstance(tree, exp.Alter) else None
    if not actions or not all(isinstance(a, exp.Schema) for a in actions):
        return None
    table = tree.this.sql(dialect="duckdb")
    added = []
    for column in (c for a in actions for c in a.expressions):
        added.append(
            f"ALTER TABLE {table} ADD COLUMN {column.sql(dialect='duckdb', unsupported_level=ErrorLevel.RAISE)}"
        )
    return (TRANSACTION_START, *added, "COMMIT")


def _insert_overwrite(insert: exp.Insert) -> tuple[str, ...]:
    """INSERT OVERWRITE t q: replace t's rows with q's, in one transaction (DuckDB has no OVERWRITE)."""
    target = insert.this.this if isinstance(insert.this, exp.Schema) else insert.this
    appended = insert.copy()
    appended.set("overwrite", None)
    return (
        TRANSACTION_START,
        f"DELETE FROM {target.sql(dialect='duckdb')}",
        appended.sql(dialect="duckdb", unsupported_level=ErrorLevel.RAISE),
        "COMMIT",
    )


def _clone_as_copy(tree: exp.Expr) -> exp.Expr:
    """``CREATE TABLE t SHALLOW CLONE s``: a Delta table with s's rows at clone time; a copy reads the same."""
    clone = tree.args.get("clone") if isinstance(tree, exp.Create) else None
    if not isinstance(clone, exp.Clone):
        return tree
    copy = tree.copy()
    copy.set("clone", None)
    copy.set("expression", exp.select("*").from_(clone.this.copy()))
    return copy


def _like_as_empty_copy(tree: exp.Expr) -> exp.Expr:
    """``CREATE TABLE t LIKE s``: a table of s's columns and types, no rows (an empty copy)."""
    properties = tree.args.get("properties") if isinstance(tree, exp.Create) else None
    like = properties.find(exp.LikeProperty) if isinstance(properties, exp.Properties) else None
    if like is None:
        return tree
    copy = tree.copy()
    copy.set("properties", None)  # LIKE's own USING/TBLPROPERTIES are storage only, as elsewhere
    copy.set("expression", exp.select("*").from_(like.this.copy()).limit(0))
    return copy


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
