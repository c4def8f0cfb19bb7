"""What the embedded engine runs: an allow-list of Spark SQL constructs, checked on the AST.

Every node of a parsed statement must be of a type listed here, and some must also
pass a check of their arguments (a literal format, a supported regex, a hash width).
Anything else is refused before the statement runs, naming the construct and its
line: a construct is listed only once ``tests/fidelity`` has shown that DuckDB gives
Spark's result for it (see docs/compatibility.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat import functions, library, time_type, unify
from airflow_idu.engines.duckdb.spark_compat.core_rewrites import unsupported_format
from airflow_idu.engines.duckdb.spark_compat.explode_forms import lateral_refusal
from airflow_idu.engines.duckdb.spark_compat.families import FAMILIES
from airflow_idu.engines.duckdb.spark_compat.order_positions import having_refusal, unnamed_position
from airflow_idu.engines.duckdb.spark_compat.qualify_aliases import qualify_refusal
from airflow_idu.engines.duckdb.spark_compat.refusals import (
    ANONYMOUS_REASONS,
    REASONS,
    construct_name,
    node_line,
)
from airflow_idu.engines.duckdb.spark_compat.source_calls import text_refusal
from airflow_idu.engines.duckdb.spark_compat.types import Kind, static_kind

__all__ = ["Refusal", "find_refusal"]


@dataclass(frozen=True, kw_only=True)
class Refusal:
    construct: str  # as written in the statement, e.g. "months_between" or "PIVOT"
    line: int | None  # 1-based line within the statement, when sqlglot knows it
    reason: str


_E = exp
# Structure: statements, clauses, operators, literals and names.
_STRUCTURE: frozenset[type[exp.Expr]] = frozenset({
    _E.Select, _E.Insert, _E.Create, _E.Drop, _E.Alter, _E.AlterRename, _E.RenameColumn, _E.Merge, _E.Whens,
    _E.When, _E.Update, _E.Delete, _E.TruncateTable, _E.With, _E.CTE, _E.Union, _E.Except, _E.Intersect,
    _E.Subquery, _E.From, _E.Join, _E.Where, _E.Group, _E.Having, _E.Qualify, _E.Order, _E.Ordered, _E.Limit,
    _E.Distinct, _E.Window, _E.WindowSpec, _E.Alias, _E.Aliases, _E.Column, _E.Identifier, _E.Table,
    _E.TableAlias, _E.Star, _E.Dot, _E.Literal, _E.Null, _E.Boolean, _E.Paren, _E.Tuple, _E.Values,
    _E.Schema, _E.ColumnDef, _E.DataType, _E.DataTypeParam, _E.Properties, _E.FileFormatProperty,
    _E.PartitionedByProperty, _E.SchemaCommentProperty, _E.LocationProperty, _E.Property, _E.PropertyEQ,
    _E.Cast, _E.TryCast, _E.Case, _E.If, _E.Coalesce, _E.Nullif, _E.And, _E.Or, _E.Not, _E.EQ, _E.NEQ,
    _E.GT, _E.GTE, _E.LT, _E.LTE, _E.NullSafeEQ, _E.NullSafeNEQ, _E.Is, _E.In, _E.Between, _E.Like,
    _E.ILike, _E.Neg, _E.Add, _E.Sub, _E.Mul, _E.Div, _E.IntDiv, _E.Mod, _E.BitwiseXor, _E.BitwiseAnd,
    _E.BitwiseOr, _E.DPipe, _E.Lambda, _E.Bracket, _E.Exists, _E.Var, _E.Unnest, _E.Lateral,
    _E.ColumnConstraint, _E.NotNullColumnConstraint, _E.Except, _E.Check, _E.Placeholder, _E.Anonymous,
    _E.Struct, _E.Array, _E.IgnoreNulls, _E.RespectNulls, _E.Interval, _E.Clone,
})  # fmt: skip

# Functions shown identical to Spark (with the rewrites and macros) by tests/fidelity.
_FUNCTIONS: frozenset[type[exp.Expr]] = frozenset({
    # date and time
    _E.CurrentTimestamp, _E.CurrentDate, _E.StrToUnix, _E.UnixToStr, _E.StrToTime, _E.TsOrDsToDate,
    _E.TimeToStr, _E.TimeStrToTime, _E.TsOrDsAdd, _E.DateDiff, _E.TimestampTrunc, _E.Year, _E.Month, _E.DayOfMonth, _E.Day,
    _E.Hour, _E.Minute, _E.Second, _E.DayOfWeek, _E.WeekOfYear, _E.LastDay, _E.AddMonths,
    # strings
    _E.Concat, _E.ConcatWs, _E.Substring, _E.Left, _E.Right, _E.Pad, _E.RegexpSplit, _E.RegexpReplace,
    _E.RegexpExtract, _E.RegexpLike, _E.Trim, _E.Translate, _E.StrPosition, _E.Lower, _E.Upper, _E.Length,
    _E.Reverse, _E.Repeat, _E.Replace, _E.StartsWith, _E.Contains, _E.Ascii,
    # hashing and encoding
    _E.SHA2, _E.MD5, _E.SHA, _E.ToBase64, _E.FromBase64, _E.Hex, _E.Unhex,
    # arrays, maps, structs
    _E.ArrayContains, _E.ArrayDistinct, _E.ArraySort, _E.ArraySlice, _E.Flatten, _E.ArraySize,
    _E.ArrayToString, _E.ArrayFilter, _E.Transform, _E.Reduce, _E.Map, _E.VarMap, _E.MapKeys,
    _E.ArrayMax, _E.ArrayMin, _E.ArrayPosition, _E.ArrayRemove, _E.ArrayIntersect, _E.ArrayAppend,
    # aggregates and windows
    _E.Count, _E.Sum, _E.Avg, _E.Min, _E.Max, _E.ArrayAgg, _E.ArrayUniqueAgg, _E.CountIf, _E.LogicalOr,
    _E.LogicalAnd, _E.First, _E.Last, _E.RowNumber, _E.Rank, _E.DenseRank, _E.Lag,
    _E.Lead, _E.FirstValue, _E.LastValue, _E.Ntile, _E.PercentRank,
    # semantics
    _E.Nvl2, _E.Greatest, _E.Least, _E.Abs, _E.Round, _E.Pow, _E.Sqrt, _E.Explode, _E.Posexplode, _E.ExplodeOuter, _E._ExplodeOuter,
    _E.Grouping, _E.GroupingSets, _E.Rollup, _E.Cube,
})  # fmt: skip

# each: FUNCTIONS, CHECKS, ANONYMOUS, anonymous_check
ALLOWED: frozenset[type[exp.Expr]] = (
    _STRUCTURE
    | _FUNCTIONS
    | library.FUNCTIONS
    | functions.FUNCTIONS
    | frozenset().union(*(m.FUNCTIONS for m in FAMILIES))
)

# Functions sqlglot does not model, provided as DuckDB macros or rewritten by name
_ANONYMOUS = (
    frozenset(
        {
            "conv",
            "pmod",
            "octet_length",
            "forall",
            "cardinality",
            "every",
            "some",
            "any",
            "map_values",
            "map_entries",
        }
    )
    | frozenset(library.ANONYMOUS)
    | functions.ANONYMOUS
    | frozenset().union(*(m.ANONYMOUS for m in FAMILIES))
)

# Java regex constructs RE2 lacks or reads differently
_JAVA_ONLY_REGEX = re.compile(
    r"\\p\{|\\P\{|\(\?<[=!]|\(\?[=!]|\\G|\\Z|\\z|[*+?}]\+|\\[1-9]|\(\?[a-z]*[^a-z:)]"
)


def _literal(node: exp.Expr | None) -> str | None:
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        return f"-{node.this.this}"
    return node.this if isinstance(node, exp.Literal) else None


def _format(node: exp.Expr) -> str | None:
    fmt = node.args.get("format")
    if fmt is None:
        return None
    text = _literal(fmt)
    if text is None:
        return "the format must be a string literal"
    if unsupported_format(text):
        return (
            f"format {text!r}: only the fields yyyy MM dd HH mm ss and the separators - / : . , T and space"
        )
    return None


def _regex(node: exp.Expr) -> str | None:
    pattern = node.args.get("expression")
    text = _literal(pattern)
    if text is None or pattern is None or not pattern.is_string:
        return "the regular expression must be a string literal"
    if _JAVA_ONLY_REGEX.search(text):
        return f"regular expression {text!r} uses Java-only syntax (\\p{{..}}, lookaround, possessive, backreference)"
    return None


def _regexp_replace(node: exp.Expr) -> str | None:
    if node.args.get("position") is not None or node.args.get("occurrence") is not None:
        return "the position argument"
    replacement = _literal(node.args.get("replacement"))
    if replacement is None:
        return "the replacement must be a string literal"
    if "\\" in replacement:
        return "backslashes in the replacement"
    return _regex(node)


def _split(node: exp.Expr) -> str | None:
    if node.args.get("limit") is not None:
        return "split with a limit"
    return _regex(node)


def _sha2(node: exp.Expr) -> str | None:
    length = node.args.get("length")
    if length is not None and _literal(length) != "256":
        return "only sha2(x, 256): DuckDB has no SHA-224/384/512"
    return None


def _anonymous(node: exp.Expr) -> str | None:
    name = node.name.lower()
    if name == "range" and isinstance(node.parent, exp.Table):
        return None  # the table function range(start, end[, step]); rewritten to name its column id
    if name not in _ANONYMOUS:
        return ANONYMOUS_REASONS.get(name, "unknown function")
    if name == "regexp" and len(node.expressions) == 2:  # rlike: the same regular expression check
        return _regex(exp.RegexpLike(this=node.expressions[0].copy(), expression=node.expressions[1].copy()))
    for module in FAMILIES:
        if name in module.ANONYMOUS:
            return module.anonymous_check(node)  # type: ignore[arg-type]
    if name == "conv":
        bases = [_literal(a) for a in node.expressions[1:]]
        if len(bases) != 2 or bases[0] not in ("10", "16") or bases[1] not in ("10", "-10", "16"):
            return "conv supports literal bases 10 and 16 to 10, -10 and 16"
    return unify.set_check(node) if name in unify.SET_FUNCTIONS else None


def _lambda_function(node: exp.Expr) -> str | None:
    extra = [k for k in ("comparator", "finish") if node.args.get(k) is not None]
    if isinstance(node, exp.ArraySort) and node.args.get("expression") is not None:
        extra.append("comparator")
    return f"the {extra[0]} argument" if extra else None


def _bracket(node: exp.Expr) -> str | None:
    return "more than one subscript" if len(node.expressions) != 1 else None


def _aliases(node: exp.Expr) -> str | None:
    # posexplode(a) AS (pos, value) works; explode(map) AS (key, value) does not
    if isinstance(node.this, exp.Anonymous) and node.this.name.lower() == "json_tuple":
        return None  # json_tuple.py checks its aliases
    return None if isinstance(node.this, exp.Posexplode) else "a multi-column alias (explode of a map)"


def _unordered_first_last(node: exp.Expr) -> str | None:
    parent = node.parent
    while isinstance(parent, exp.IgnoreNulls | exp.RespectNulls):
        parent = parent.parent
    if isinstance(parent, exp.Window):
        return None
    return "first()/last()/first_value()/last_value() as an aggregate: Spark's result depends on row order (use a window or max_by)"


def _avg(node: exp.Expr) -> str | None:
    if isinstance(node.parent, exp.Window):
        return "avg(...) OVER: a DECIMAL average differs (Spark DECIMAL, DuckDB DOUBLE); use sum(...) / count(...)"
    return None


def _struct_order(node: exp.Expr) -> str | None:
    operands = [node.this, node.args.get("expression")]
    if any(isinstance(o, exp.Struct) for o in operands):
        return "ordering structs (Spark and DuckDB order NULL fields differently)"
    return None


def _pad(node: exp.Expr) -> str | None:
    if static_kind(node.this) is Kind.BINARY:
        return "lpad/rpad of a BINARY value (DuckDB pads text only)"
    return None


_TRUNC_UNITS = frozenset({
    "YEAR", "YYYY", "YY", "QUARTER", "MONTH", "MON", "MM", "WEEK", "DAY", "DD", "HOUR", "MINUTE", "SECOND",
    "MILLISECOND", "MICROSECOND",
})  # fmt: skip


def _date_trunc(node: exp.Expr) -> str | None:
    unit = node.args.get("unit")
    if not isinstance(unit, exp.Var | exp.Literal) or unit.name.upper() not in _TRUNC_UNITS:
        return "the unit must be a literal YEAR, QUARTER, MONTH, WEEK, DAY, HOUR, MINUTE, SECOND..."
    return None


def _str_position(node: exp.Expr) -> str | None:
    position = node.args.get("position")
    if position is None:
        return None
    text = _literal(node.args.get("substr"))
    start = _literal(position)
    if not text or start is None or not start.isdigit() or int(start) < 1:
        return "locate/instr with a start position: only a positive literal start and a non-empty literal"
    return None


def _struct(node: exp.Expr) -> str | None:
    names = [e.alias_or_name for e in node.expressions]
    if len(set(names)) != len(names):
        return "struct() with two fields of the same name (DuckDB needs distinct names): alias them"
    return None


def _array_join(node: exp.Expr) -> str | None:
    for key in ("expression", "null"):
        arg = node.args.get(key)
        if arg is not None and not (isinstance(arg, exp.Literal) and arg.is_string):
            return "array_join with a separator or NULL replacement that is not a string literal"
    return None


def _create(node: exp.Expr) -> str | None:
    query = node.expression
    if query is not None and isinstance(node.this, exp.Schema) and node.this.find(exp.ColumnDef):
        return (
            "CREATE TABLE with column types and AS query: DuckDB has no such form; give the types "
            "as CASTs in the query"
        )
    if isinstance(query, exp.Select):
        for item in query.expressions:
            if not isinstance(item, exp.Column | exp.Alias | exp.Star):
                return (
                    f"the unnamed column {item.sql('spark')!r} in CREATE TABLE AS (Spark and DuckDB name it "
                    "differently); give it a name with AS"
                )
    return None


def _insert(node: exp.Expr) -> str | None:
    if node.args.get("where") is not None:
        # Delta deletes the rows the predicate selects, inserts the query's and fails if one of
        # those falls outside the predicate; DuckDB has no such statement
        return "INSERT ... REPLACE WHERE has no DuckDB counterpart; write DELETE FROM ... WHERE, then INSERT INTO"
    return "INSERT ... PARTITION" if node.args.get("partition") else None


_COLUMN_MAPPING = (
    "Delta {verb} a column only on a table with column mapping ('delta.columnMapping.mode' = 'name'; "
    "DELTA_UNSUPPORTED_{error}_COLUMN otherwise), a table property the embedded engine does not keep"
)


def _alter(node: exp.Expr) -> str | None:
    for action in node.args.get("actions") or []:
        if isinstance(action, exp.RenameColumn):
            return _COLUMN_MAPPING.format(verb="renames", error="RENAME")
        if isinstance(action, exp.Drop) and str(action.args.get("kind", "")).upper().startswith("COLUMN"):
            return _COLUMN_MAPPING.format(verb="drops", error="DROP")
        if isinstance(action, exp.Schema) and any(
            isinstance(d, exp.ColumnDef) and d.args.get("position") is not None for d in action.expressions
        ):
            return "ADD COLUMNS with FIRST or AFTER: DuckDB adds a column at the end only"
    return None


def _update(node: exp.Expr) -> str | None:
    # Spark's grammar has no UPDATE ... FROM: the statement would run here and fail on Databricks
    return "Databricks SQL has no UPDATE ... FROM; write MERGE INTO" if node.args.get("from_") else None


_CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {
    exp.StrToUnix: _format,
    exp.UnixToStr: _format,
    exp.StrToTime: _format,
    exp.TsOrDsToDate: _format,
    exp.TimeToStr: _format,
    exp.RegexpLike: _regex,
    exp.RegexpExtract: _regex,
    exp.RegexpReplace: _regexp_replace,
    exp.RegexpSplit: _split,
    exp.SHA2: _sha2,
    exp.Anonymous: _anonymous,
    exp.ArraySort: _lambda_function,
    exp.Reduce: _lambda_function,
    exp.Bracket: _bracket,
    exp.Aliases: _aliases,
    exp.Lateral: lateral_refusal,
    exp.First: _unordered_first_last,
    exp.Last: _unordered_first_last,
    exp.Avg: _avg,
    exp.Min: _struct_order,
    exp.Max: _struct_order,
    exp.GT: _struct_order,
    exp.GTE: _struct_order,
    exp.LT: _struct_order,
    exp.LTE: _struct_order,
    exp.Pad: _pad,
    exp.Create: _create,
    exp.TimestampTrunc: _date_trunc,
    exp.StrPosition: _str_position,
    exp.Struct: _struct,
    exp.ArrayToString: _array_join,
    exp.FirstValue: _unordered_first_last,
    exp.LastValue: _unordered_first_last,
    exp.Insert: _insert,
    exp.Update: _update,
    exp.Alter: _alter,
    exp.Order: unnamed_position,
    exp.Having: having_refusal,
    exp.Qualify: qualify_refusal,
    exp.Cast: time_type.CAST_CHECK,
    exp.TryCast: time_type.CAST_CHECK,
    **library.CHECKS,
    **functions.CHECKS,
    **{kind: check for m in FAMILIES for kind, check in m.CHECKS.items()},
}


def find_refusal(tree: exp.Expr, code: str) -> Refusal | None:
    """The first construct of ``tree`` (parsed from ``code``) the embedded engine does not run."""
    misread = text_refusal(code)  # what sqlglot's parse loses
    if misread is not None:
        return Refusal(construct=misread[0], line=misread[1], reason=misread[2])
    for node in tree.walk(prune=lambda n: isinstance(n, exp.Properties)):  # storage only, dropped
        kind = type(node)
        reason = None if kind in ALLOWED else REASONS.get(kind, "not supported")
        if reason is None and kind in _CHECKS:
            reason = _CHECKS[kind](node)
        if reason is not None:
            return Refusal(construct=construct_name(node, code), line=node_line(node), reason=reason)
    return None
