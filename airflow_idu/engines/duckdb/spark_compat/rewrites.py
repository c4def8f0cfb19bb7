"""AST rewrites that make sqlglot's DuckDB output give Spark's results.

Each rewrite takes the parsed (databricks) tree and returns it changed in place;
:func:`apply` runs them in order. They call the macros of :mod:`.macro_catalog` by name; the
rewrites of Spark's own nodes are :mod:`.core_rewrites`.
Checks that a construct is supported at all live in :mod:`.allowed` and run first.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat import library
from airflow_idu.engines.duckdb.spark_compat.aggregates import aggregates
from airflow_idu.engines.duckdb.spark_compat.approximate import approximate
from airflow_idu.engines.duckdb.spark_compat.binary import binary_types
from airflow_idu.engines.duckdb.spark_compat.by_ties import by_ties
from airflow_idu.engines.duckdb.spark_compat.coercion import coerce_arguments
from airflow_idu.engines.duckdb.spark_compat.collations import collations
from airflow_idu.engines.duckdb.spark_compat.core_rewrites import (
    arithmetic,
    arrays,
    case_mapping,
    casts,
    empty_collections,
    lambdas,
    range_table,
    regexp_replacement,
    renamed_functions,
    result_types,
    substring_types,
    timestamps,
    unix_timestamp,
    unsupported_format,
)
from airflow_idu.engines.duckdb.spark_compat.counter_diff import counter_diffs
from airflow_idu.engines.duckdb.spark_compat.crypto_functions import crypto_functions
from airflow_idu.engines.duckdb.spark_compat.csv_reading import csv_reading
from airflow_idu.engines.duckdb.spark_compat.datetime_functions import datetime_functions
from airflow_idu.engines.duckdb.spark_compat.decimal_scales import decimal_scales
from airflow_idu.engines.duckdb.spark_compat.exact import exact_values
from airflow_idu.engines.duckdb.spark_compat.explode_forms import explode_forms
from airflow_idu.engines.duckdb.spark_compat.float_widening import float_widening, writes_floats
from airflow_idu.engines.duckdb.spark_compat.format_string import format_strings
from airflow_idu.engines.duckdb.spark_compat.functions import spark_functions
from airflow_idu.engines.duckdb.spark_compat.gates import Census, trigger_of
from airflow_idu.engines.duckdb.spark_compat.geospatial import geospatial
from airflow_idu.engines.duckdb.spark_compat.grouping_windows import grouping_windows
from airflow_idu.engines.duckdb.spark_compat.intervals import intervals
from airflow_idu.engines.duckdb.spark_compat.json_functions import json_functions
from airflow_idu.engines.duckdb.spark_compat.json_reading import json_reading
from airflow_idu.engines.duckdb.spark_compat.json_tuple import json_tuple
from airflow_idu.engines.duckdb.spark_compat.kll import kll
from airflow_idu.engines.duckdb.spark_compat.lambda_aggregates import hoist_lambda_aggregates
from airflow_idu.engines.duckdb.spark_compat.make_timestamp import make_timestamps
from airflow_idu.engines.duckdb.spark_compat.map_functions import map_functions
from airflow_idu.engines.duckdb.spark_compat.more_functions import more_functions
from airflow_idu.engines.duckdb.spark_compat.nested_order import guard_nested_orders, tag_nested_orders
from airflow_idu.engines.duckdb.spark_compat.number_conversion import number_conversion
from airflow_idu.engines.duckdb.spark_compat.number_format import number_format
from airflow_idu.engines.duckdb.spark_compat.order_positions import name_having_aliases, name_order_positions
from airflow_idu.engines.duckdb.spark_compat.ordered_aggregates import ordered_aggregates
from airflow_idu.engines.duckdb.spark_compat.partition_aggregates import partition_aggregates
from airflow_idu.engines.duckdb.spark_compat.qualify_aliases import name_qualify_aliases
from airflow_idu.engines.duckdb.spark_compat.regexp_functions import guard_java_patterns, regexp_functions
from airflow_idu.engines.duckdb.spark_compat.scalars import scalar_functions
from airflow_idu.engines.duckdb.spark_compat.scaled_rounding import scaled_rounding
from airflow_idu.engines.duckdb.spark_compat.schema_inference import schema_inference
from airflow_idu.engines.duckdb.spark_compat.sketches import sketches
from airflow_idu.engines.duckdb.spark_compat.string_similarity import string_similarity
from airflow_idu.engines.duckdb.spark_compat.struct_names import check_struct_names, place_struct_name_checks
from airflow_idu.engines.duckdb.spark_compat.struct_writing import struct_writing
from airflow_idu.engines.duckdb.spark_compat.substrings import text_substrings
from airflow_idu.engines.duckdb.spark_compat.text_functions import text_functions
from airflow_idu.engines.duckdb.spark_compat.time_bucket import time_buckets
from airflow_idu.engines.duckdb.spark_compat.time_type import times
from airflow_idu.engines.duckdb.spark_compat.time_zones import time_zones
from airflow_idu.engines.duckdb.spark_compat.try_datetime import try_datetime
from airflow_idu.engines.duckdb.spark_compat.tuple_functions import sketch_functions
from airflow_idu.engines.duckdb.spark_compat.type_names import type_names
from airflow_idu.engines.duckdb.spark_compat.unify import unify_types
from airflow_idu.engines.duckdb.spark_compat.values_types import values_types
from airflow_idu.engines.duckdb.spark_compat.variant import variants
from airflow_idu.engines.duckdb.spark_compat.vector_functions import vectors
from airflow_idu.engines.duckdb.spark_compat.window_ties import window_ties
from airflow_idu.engines.duckdb.spark_compat.xpath_functions import xpath_functions

__all__ = ["REWRITES", "apply", "unsupported_format"]

REWRITES: tuple[Callable[[exp.Expr], exp.Expr], ...] = (
    name_order_positions,  # ORDER BY 2, ORDER BY ALL, aliases in its expressions: the keys Spark reads
    name_having_aliases,  # HAVING s > 3: the alias's expression (Spark's reading; DuckDB's fails on macros)
    name_qualify_aliases,  # QUALIFY rn = 1: the window alias's expression (Spark reads it before a column)
    tag_nested_orders,  # marks the orderings of possibly nested values as written (guarded last)
    type_names,  # typeof: first, it names the types of the statement's own nodes
    collations,  # collate(s, 'UTF8_BINARY'): the string itself
    window_ties,  # guards windows that depend on the order of tied rows, on the nodes as written
    # max_by/min_by: Spark's NULLs, a guard over ties; before unify, so its messages quote the arguments as
    # written (unify reads the guard's error(...) branch as typeless)
    by_ties,
    unify_types,  # Spark's casts into array/map/coalesce/if/CASE/greatest/IN, before rewrites hide their types
    values_types,  # and into the rows of a VALUES list
    time_buckets,  # time_bucket: before the rewrites of its INTERVAL literal
    scalar_functions,  # Spark built-ins spelled as constructs the rewrites below give Spark's semantics
    datetime_functions,  # extract/date_part, make_date, timestamp_seconds..., trunc
    try_datetime,  # try_to_date, try_to_timestamp
    make_timestamps,  # make_timestamp[_ntz|_ltz] and their try_ forms
    times,  # the TIME functions and casts to TIME
    time_zones,  # from_utc_timestamp, to_utc_timestamp, convert_timezone
    number_conversion,  # conv for every base
    ordered_aggregates,  # regr_avgx/y, percentile_cont/disc, listagg, mode
    variants,  # parse_json, variant_get...: Spark's VARIANT as its JSON text (Python functions)
    json_tuple,  # json_tuple in a SELECT list: a column per field (Python functions)
    json_functions,  # json_array_length, json_object_keys, get_json_object, to_json; parse_url
    csv_reading,  # from_csv with a literal flat schema (a Python function and json_transform)
    json_reading,  # from_json with a literal STRUCT schema (a Python function and json_transform)
    struct_writing,  # to_csv, to_xml of a named_struct/struct written in the statement
    schema_inference,  # schema_of_json, schema_of_csv of a literal: folded to the schema's text
    xpath_functions,  # xpath, xpath_string, xpath_boolean, xpath_int... (Python functions)
    number_format,  # format_number of integers and DECIMALs, to_char/to_varchar of integers
    scaled_rounding,  # floor/ceil with a scale
    intervals,  # make_dt_interval
    format_strings,  # format_string/printf of %s and %d
    more_functions,  # factorial, rint, bin, find_in_set, quote, utf-8 checks, encode/decode...
    aggregates,  # any, regr_count, median, percentile
    approximate,  # percentile_approx, approx_count_distinct where exact
    geospatial,  # st_asbinary/st_srid of st_geomfromwkb/st_geogfromwkb/st_setsrid (a Python WKB reader)
    kll,  # the kll_sketch_* functions where the sketch never compacted
    sketch_functions,  # theta sketches byte for byte; tuple sketches only inside tuple functions
    sketches,  # bitmap_*_agg, histogram_numeric, hll_*, count_min_sketch, approx_top_k* where exact
    map_functions,  # map_concat, str_to_map, map_filter, transform_keys/values, zip_with, arrays_zip...
    text_functions,  # mask, collation, assert_true, bitmap_*
    regexp_functions,  # regexp_count/substr/instr/extract_all with Java's meaning on RE2
    crypto_functions,  # hmac, to_base32/from_base32, aes_decrypt (Python functions)
    string_similarity,  # jaro_winkler_similarity (a Python function)
    coerce_arguments,  # Spark's implicit casts into string/date-time functions, on the statement as written
    guard_java_patterns,  # rows where Java and RE2 read rlike/regexp_extract/replace/split's pattern differently
    float_widening,  # a FLOAT beside an integer or DECIMAL: DOUBLE as in Spark, or refused when run
    exact_values,  # zero divisors, overflow, casts and array edges, on Spark's own nodes
    spark_functions,  # initcap, split_part, floor/ceil, array_union/except, sequence, try_cast...
    casts,  # first: it must see only the statement's own CASTs, not the ones the rewrites add
    unix_timestamp,
    timestamps,
    result_types,
    substring_types,
    range_table,
    regexp_replacement,
    case_mapping,
    binary_types,  # after _casts/_case_mapping/_substring, before _by_name (it owns octet_length)
    text_substrings,
    renamed_functions,
    lambdas,
    arrays,
    empty_collections,
    arithmetic,
    *library.REWRITES,  # Spark functions sqlglot does not model (spark_compat/library.py)
    counter_diffs,  # counter_diff(...) OVER (...): last_value of the earlier rows and a macro
    vectors,  # vector_inner_product, vector_norm... (Python functions), on their rewritten arguments
    grouping_windows,  # grouping()/grouping_id() with Spark's types
    check_struct_names,  # comparisons of structs: refused when run where field names differ (folds)
    guard_nested_orders,  # the orderings marked first: refused when run on a NULL inside a nested value
    place_struct_name_checks,  # the checks marked above, around the guarded operands
    decimal_scales,  # decimal +, -, * where Spark's precision-loss rule would round: refused when run
    hoist_lambda_aggregates,  # it moves the aggregates the rewrites above produced
    explode_forms,  # posexplode written as DuckDB's constructs (the position Spark's INT); OUTER forms
    partition_aggregates,  # last: whole-partition window aggregates as a GROUP BY joined back (speed)
)


def apply(tree: exp.Expr, *, float_values: bool = False, gates: bool = True) -> exp.Expr:
    """Every rewrite in order. ``float_values``: a FLOAT may reach the statement (a column of the
    database, or its own syntax); without one, float_widening would only add checks that fold away.
    ``gates``: skip a rewrite whose declared trigger the tree does not hold (gates.py); ``False`` runs
    every one (the tests compare the two)."""
    floats = float_values or writes_floats(tree)
    census: Census | None = None  # of the tree as it is now; None once a rewrite ran
    for rewrite in REWRITES:
        if rewrite is float_widening and not floats:
            continue
        trigger = trigger_of(rewrite) if gates else None
        if trigger is not None:
            census = census or Census(tree)
            if not census.holds(trigger):
                continue
        tree = rewrite(tree)
        census = None
    return tree
