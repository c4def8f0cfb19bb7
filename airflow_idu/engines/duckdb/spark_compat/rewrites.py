"""AST rewrites that make sqlglot's DuckDB output give Spark's results.

Each rewrite takes the parsed (databricks) tree and returns it changed in place;
:func:`apply` runs them in order. They call the macros of :mod:`.macros` by name.
Checks that a construct is supported at all live in :mod:`.allowed` and run first.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat import library
from airflow_idu.engines.duckdb.spark_compat.aggregates import aggregates
from airflow_idu.engines.duckdb.spark_compat.approximate import approximate
from airflow_idu.engines.duckdb.spark_compat.binary import binary_types
from airflow_idu.engines.duckdb.spark_compat.coercion import coerce_arguments
from airflow_idu.engines.duckdb.spark_compat.crypto_functions import crypto_functions
from airflow_idu.engines.duckdb.spark_compat.datetime_functions import datetime_functions
from airflow_idu.engines.duckdb.spark_compat.exact import exact_values
from airflow_idu.engines.duckdb.spark_compat.format_string import format_strings
from airflow_idu.engines.duckdb.spark_compat.functions import spark_functions
from airflow_idu.engines.duckdb.spark_compat.grouping_windows import grouping_windows
from airflow_idu.engines.duckdb.spark_compat.intervals import intervals
from airflow_idu.engines.duckdb.spark_compat.json_functions import json_functions
from airflow_idu.engines.duckdb.spark_compat.lambda_aggregates import hoist_lambda_aggregates
from airflow_idu.engines.duckdb.spark_compat.make_timestamp import make_timestamps
from airflow_idu.engines.duckdb.spark_compat.map_functions import map_functions
from airflow_idu.engines.duckdb.spark_compat.more_functions import more_functions
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import replace_each
from airflow_idu.engines.duckdb.spark_compat.number_conversion import number_conversion
from airflow_idu.engines.duckdb.spark_compat.number_format import number_format
from airflow_idu.engines.duckdb.spark_compat.ordered_aggregates import ordered_aggregates
from airflow_idu.engines.duckdb.spark_compat.regexp_functions import guard_java_patterns, regexp_functions
from airflow_idu.engines.duckdb.spark_compat.scalars import scalar_functions
from airflow_idu.engines.duckdb.spark_compat.scaled_rounding import scaled_rounding
from airflow_idu.engines.duckdb.spark_compat.string_similarity import string_similarity
from airflow_idu.engines.duckdb.spark_compat.substrings import text_substrings
from airflow_idu.engines.duckdb.spark_compat.text_functions import text_functions
from airflow_idu.engines.duckdb.spark_compat.time_type import times
from airflow_idu.engines.duckdb.spark_compat.time_zones import time_zones
from airflow_idu.engines.duckdb.spark_compat.try_datetime import try_datetime
from airflow_idu.engines.duckdb.spark_compat.type_names import type_names
from airflow_idu.engines.duckdb.spark_compat.variant import variants

__all__ = ["REWRITES", "apply", "unsupported_format"]

_INT = exp.DataType.build("INT")
_DATE = exp.DataType.build("DATE")
_TIMESTAMP = exp.DataType.build("TIMESTAMP")

# Spark returns INT where DuckDB returns BIGINT
_SPARK_INT_RESULT: tuple[type[exp.Expr], ...] = (
    exp.Length,
    exp.StrPosition,
    exp.Year,
    exp.Month,
    exp.Day,
    exp.DayOfMonth,
    exp.WeekOfYear,
    exp.Hour,
    exp.Minute,
    exp.Second,
    exp.DateDiff,
)
_SPARK_INT_WINDOW = (exp.RowNumber, exp.Rank, exp.DenseRank, exp.Ntile)
_STRFTIME_TOKEN = re.compile(r"%[YmdHMS](?:strict)?|[-/: T.,]")


def _cast(node: exp.Expr, to: exp.DataType) -> exp.Cast:
    return exp.Cast(this=node, to=to.copy())


def _replace_all(
    tree: exp.Expr, kinds: type[exp.Expr] | tuple[type[exp.Expr], ...], build: Callable
) -> exp.Expr:
    """Replace every node of ``kinds`` (found before any change) by ``build(node)``."""
    wanted = kinds if isinstance(kinds, tuple) else (kinds,)
    return replace_each(tree, list(tree.find_all(*wanted)), build)


_FIELD_PATTERN = {"%Y": "[0-9]{4}", "%m": "[0-9]{2}", "%d": "[0-9]{2}", "%H": "[0-9]{2}", "%M": "[0-9]{2}",
                  "%S": "[0-9]{2}"}  # fmt: skip


def _parse_args(fmt: exp.Expr | None) -> tuple[exp.Literal, exp.Literal]:
    """The strftime format (sqlglot's ``strict`` markers dropped) and the regex a value must match."""
    text = fmt.this.replace("strict", "") if isinstance(fmt, exp.Literal) else "%Y-%m-%d %H:%M:%S"
    pattern = "".join(
        _FIELD_PATTERN.get(tok, "[.]" if tok == "." else tok) for tok in re.findall(r"%[A-Za-z]|.", text)
    )
    return exp.Literal.string(text), exp.Literal.string(pattern)


def unsupported_format(fmt: str) -> bool:
    """True unless ``fmt`` (already in strftime form) uses only yyyy MM dd HH mm ss and separators."""
    return _STRFTIME_TOKEN.sub("", fmt) != ""


# -- the rewrites -----------------------------------------------------------------


def _timestamps(tree: exp.Expr) -> exp.Expr:
    """Spark TIMESTAMP (session time zone UTC) is DuckDB TIMESTAMP; ``current_timestamp`` too."""
    for dtype in list(tree.find_all(exp.DataType)):
        if dtype.this in (exp.DataType.Type.TIMESTAMPTZ, exp.DataType.Type.TIMESTAMPLTZ):
            dtype.set("this", exp.DataType.Type.TIMESTAMP)
    return _replace_all(tree, exp.CurrentTimestamp, lambda n: _cast(n.copy(), _TIMESTAMP))


def _unix_timestamp(tree: exp.Expr) -> exp.Expr:
    def build(node: exp.StrToUnix) -> exp.Expr:
        value = node.this.copy() if node.this is not None else _cast(exp.CurrentTimestamp(), _TIMESTAMP)
        return _call("idu_unix_timestamp", value, *_parse_args(node.args.get("format")))

    def parse(node: exp.Expr) -> exp.Expr:
        if node.args.get("format") is None:
            return node
        parsed = _call("idu_strptime", node.this.copy(), *_parse_args(node.args["format"]))
        return _cast(parsed, _DATE) if isinstance(node, exp.TsOrDsToDate) else parsed

    tree = _replace_all(tree, exp.StrToUnix, build)
    return _replace_all(tree, (exp.StrToTime, exp.TsOrDsToDate), parse)


def _result_types(tree: exp.Expr) -> exp.Expr:
    tree = _replace_all(tree, _SPARK_INT_RESULT, lambda n: _cast(n.copy(), _INT))
    tree = _replace_all(tree, exp.ArrayPosition, lambda n: _call("idu_array_position", n.this.copy(),
                                                                  n.expression.copy()))  # fmt: skip
    tree = _replace_all(  # Spark: 1 = Sunday; DuckDB: 0 = Sunday
        tree, exp.DayOfWeek, lambda n: _cast(exp.Add(this=n.copy(), expression=exp.Literal.number(1)), _INT)
    )
    tree = _replace_all(tree, (exp.TsOrDsAdd, exp.AddMonths), lambda n: _cast(n.copy(), _DATE))
    tree = _replace_all(tree, exp.ArraySize, lambda n: _cast(_call("cardinality", n.this.copy()), _INT))
    tree = _replace_all(
        tree,
        exp.Anonymous,
        lambda n: (
            _cast(_call("cardinality", n.expressions[0].copy()), _INT)
            if n.name.lower() == "cardinality"
            else n
        ),
    )
    return _replace_all(
        tree,
        exp.Window,
        lambda n: _cast(n.copy(), _INT) if isinstance(n.this, _SPARK_INT_WINDOW) else n,
    )


def _substring(tree: exp.Expr) -> exp.Expr:
    """Spark reads position 0 as 1."""
    for node in list(tree.find_all(exp.Substring)):
        start = node.args.get("start")
        if start is None or (isinstance(start, exp.Literal) and start.this != "0"):
            continue
        if isinstance(start, exp.Literal):
            node.set("start", exp.Literal.number(1))
        else:
            node.set(
                "start",
                exp.Case(ifs=[exp.If(this=exp.EQ(this=start.copy(), expression=exp.Literal.number(0)),
                                     true=exp.Literal.number(1))], default=start.copy()),
            )  # fmt: skip
    return tree


def _range_table(tree: exp.Expr) -> exp.Expr:
    """Spark's table function range(...) names its column ``id``; DuckDB's names it ``range``."""

    def build(node: exp.Table) -> exp.Expr:
        fn = node.this
        if not (isinstance(fn, exp.Anonymous) and fn.name.lower() == "range"):
            return node
        inner = exp.select(exp.alias_(exp.column("range"), "id")).from_(exp.Table(this=fn.copy()))
        alias = node.args.get("alias")
        return exp.Subquery(
            this=inner, alias=alias.copy() if alias else exp.TableAlias(this=exp.to_identifier("idu_range"))
        )

    return _replace_all(tree, exp.Table, build)


def _regexp_replacement(tree: exp.Expr) -> exp.Expr:
    """Java's ``$1`` group references are RE2's ``\\1``."""
    for node in tree.find_all(exp.RegexpReplace):
        replacement = node.args.get("replacement")
        if isinstance(replacement, exp.Literal) and "$" in replacement.this:
            node.set("replacement", exp.Literal.string(re.sub(r"\$(\d)", r"\\\1", replacement.this)))
    return tree


def _case_mapping(tree: exp.Expr) -> exp.Expr:
    tree = _replace_all(tree, exp.Upper, lambda n: _call("idu_upper", n.this.copy()))
    return _replace_all(tree, exp.Lower, lambda n: _call("idu_lower", n.this.copy()))


_RENAMED: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {
    "every": lambda a: exp.LogicalAnd(this=a[0]),
    "some": lambda a: exp.LogicalOr(this=a[0]),
    "any": lambda a: exp.LogicalOr(this=a[0]),
}


def _by_name(tree: exp.Expr) -> exp.Expr:
    """Spark functions sqlglot does not model, spelled as DuckDB functions."""
    return _replace_all(
        tree,
        exp.Anonymous,
        lambda n: (
            _RENAMED[n.name.lower()]([a.copy() for a in n.expressions]) if n.name.lower() in _RENAMED else n
        ),
    )


def _arrays(tree: exp.Expr) -> exp.Expr:
    tree = _replace_all(tree, exp.ArrayContains, lambda n: _call("idu_array_contains", n.this.copy(),
                                                                  n.expression.copy()))  # fmt: skip
    tree = _replace_all(tree, exp.ArrayDistinct, lambda n: _call("idu_array_distinct", n.this.copy()))
    tree = _replace_all(tree, exp.ArrayIntersect, _array_intersect)
    tree = _replace_all(tree, exp.FromBase64, lambda n: _call("idu_unbase64", n.this.copy()))
    tree = _replace_all(
        tree, exp.Avg, lambda n: n if isinstance(n.parent, exp.Window) else _call("idu_avg", n.this.copy())
    )
    tree = _replace_all(tree, exp.Flatten, lambda n: _call("idu_flatten", n.this.copy()))
    tree = _replace_all(tree, exp.ArrayRemove, lambda n: _call("idu_array_remove", n.this.copy(),
                                                                n.expression.copy()))  # fmt: skip
    tree = _replace_all(tree, exp.ArraySort, _array_sort)
    return _replace_all(tree, exp.Bracket, _bracket)


def _empty_collections(tree: exp.Expr) -> exp.Expr:
    """collect_list/collect_set of a group with no non-NULL value: Spark's [], DuckDB's NULL."""
    for agg in list(tree.find_all(exp.ArrayAgg, exp.ArrayUniqueAgg)):
        target: exp.Expr = agg  # the whole call: with its OVER, WITHIN GROUP or FILTER
        while isinstance(target.parent, exp.Window | exp.WithinGroup | exp.Filter):
            target = target.parent
        tree = replace_each(tree, [target], _or_empty_array)
    return tree


def _or_empty_array(node: exp.Expr) -> exp.Expr:
    return exp.Coalesce(this=node.copy(), expressions=[exp.Array(expressions=[])])


def _array_intersect(node: exp.ArrayIntersect) -> exp.Expr:
    arrays = node.expressions
    if len(arrays) != 2:
        return node  # refused in allowed.py
    return _call("idu_array_intersect", arrays[0].copy(), arrays[1].copy())


def _array_sort(node: exp.ArraySort) -> exp.Expr:
    """array_sort: ascending, NULLs last; sort_array: NULLs first ascending, last descending."""
    asc = node.args.get("asc")
    descending = isinstance(asc, exp.Boolean) and not asc.this
    nulls_first = node.args.get("nulls_first")
    first = isinstance(nulls_first, exp.Boolean) and nulls_first.this and not descending
    return _call(
        "idu_array_sort",
        node.this.copy(),
        exp.Literal.string("DESC" if descending else "ASC"),
        exp.Literal.string("NULLS FIRST" if first else "NULLS LAST"),
    )


def _bracket(node: exp.Bracket) -> exp.Expr:
    [index] = node.expressions
    if isinstance(index, exp.Literal) and index.is_string:
        return node  # a map key
    if node.args.get("offset") == 1 and node.args.get("safe"):
        return _call("idu_try_element_at", node.this.copy(), index.copy())
    if node.args.get("offset") == 1:
        return _call("idu_element_at", node.this.copy(), index.copy())
    return _call("idu_subscript", node.this.copy(), index.copy())


def _lambdas(tree: exp.Expr) -> exp.Expr:
    """Spark's lambda index is 0-based, DuckDB's 1-based; exists/forall keep three-valued logic."""
    for node in tree.find_all(exp.Transform, exp.ArrayFilter):
        fn = node.expression if isinstance(node, exp.Transform) else node.args.get("expression")
        if isinstance(fn, exp.Lambda) and len(fn.expressions) == 2:
            index = fn.expressions[1].name
            for ref in list(fn.this.find_all(exp.Identifier, exp.Column)):
                if ref.name == index and not isinstance(ref.parent, exp.Column):
                    ref.replace(exp.Paren(this=exp.Sub(this=ref.copy(), expression=exp.Literal.number(1))))

    def each(array: exp.Expr, fn: exp.Expr) -> exp.Expr:
        return exp.Transform(this=array.copy(), expression=fn.copy())

    tree = _replace_all(
        tree,
        exp.Exists,
        lambda n: (
            _call("idu_exists", each(n.this, n.expression))
            if isinstance(n.args.get("expression"), exp.Lambda)
            else n
        ),
    )
    return _replace_all(
        tree,
        exp.Anonymous,
        lambda n: _call("idu_forall", each(*n.expressions)) if n.name.lower() == "forall" else n,
    )


def _arithmetic(tree: exp.Expr) -> exp.Expr:
    tree = _replace_all(tree, exp.Div, lambda n: _call("idu_divide", n.this.copy(), n.expression.copy()))
    return _replace_all(tree, exp.IntDiv, lambda n: _call("idu_int_div", n.this.copy(), n.expression.copy()))


_INTEGRAL = {
    exp.DataType.Type.BIGINT: "idu_to_bigint",
    exp.DataType.Type.INT: "idu_to_integer",
    exp.DataType.Type.SMALLINT: "idu_to_smallint",
    exp.DataType.Type.TINYINT: "idu_to_tinyint",
}


def _casts(tree: exp.Expr) -> exp.Expr:
    """CAST to STRING prints DOUBLEs like Java; CAST to an integer truncates like Spark."""

    def build(node: exp.Cast) -> exp.Expr:
        if isinstance(node, exp.TryCast):
            return node
        if node.to.this in (exp.DataType.Type.TEXT, exp.DataType.Type.VARCHAR) and not node.to.expressions:
            return _call("idu_cast_string", node.this.copy())
        if node.to.this in _INTEGRAL:
            return _call(_INTEGRAL[node.to.this], node.this.copy())
        return node

    return _replace_all(tree, exp.Cast, build)


REWRITES: tuple[Callable[[exp.Expr], exp.Expr], ...] = (
    type_names,  # typeof: first, it names the types of the statement's own nodes
    scalar_functions,  # Spark built-ins spelled as constructs the rewrites below give Spark's semantics
    datetime_functions,  # extract/date_part, make_date, timestamp_seconds..., trunc
    try_datetime,  # try_to_date, try_to_timestamp
    make_timestamps,  # make_timestamp[_ntz|_ltz] and their try_ forms
    times,  # the TIME functions and casts to TIME
    time_zones,  # from_utc_timestamp, to_utc_timestamp, convert_timezone
    number_conversion,  # conv for every base
    ordered_aggregates,  # regr_avgx/y, percentile_cont/disc, listagg, mode
    variants,  # parse_json, variant_get...: Spark's VARIANT as its JSON text (Python functions)
    json_functions,  # json_array_length, json_object_keys, get_json_object, to_json; parse_url
    number_format,  # format_number of integers and DECIMALs, to_char/to_varchar of integers
    scaled_rounding,  # floor/ceil with a scale
    intervals,  # make_dt_interval
    format_strings,  # format_string/printf of %s and %d
    more_functions,  # factorial, rint, bin, find_in_set, quote, utf-8 checks, encode/decode...
    aggregates,  # any, regr_count, median, percentile
    approximate,  # percentile_approx, approx_count_distinct where exact
    map_functions,  # map_concat, str_to_map, map_filter, transform_keys/values, zip_with, arrays_zip...
    text_functions,  # mask, collation, assert_true, bitmap_*
    regexp_functions,  # regexp_count/substr/instr/extract_all with Java's meaning on RE2
    crypto_functions,  # hmac, to_base32/from_base32, aes_decrypt (Python functions)
    string_similarity,  # jaro_winkler_similarity (a Python function)
    coerce_arguments,  # Spark's implicit casts into string/date-time functions, on the statement as written
    guard_java_patterns,  # rows where Java and RE2 read rlike/regexp_extract/replace/split's pattern differently
    exact_values,  # zero divisors, overflow, casts and array edges, on Spark's own nodes
    spark_functions,  # initcap, split_part, floor/ceil, array_union/except, sequence, try_cast...
    _casts,  # first: it must see only the statement's own CASTs, not the ones the rewrites add
    _unix_timestamp,
    _timestamps,
    _result_types,
    _substring,
    _range_table,
    _regexp_replacement,
    _case_mapping,
    binary_types,  # after _casts/_case_mapping/_substring, before _by_name (it owns octet_length)
    text_substrings,
    _by_name,
    _lambdas,
    _arrays,
    _empty_collections,
    _arithmetic,
    *library.REWRITES,  # Spark functions sqlglot does not model (spark_compat/library.py)
    grouping_windows,  # grouping()/grouping_id() with Spark's types
    hoist_lambda_aggregates,  # last: it moves the aggregates the rewrites above produced
)


def apply(tree: exp.Expr) -> exp.Expr:
    for rewrite in REWRITES:
        tree = rewrite(tree)
    return tree
