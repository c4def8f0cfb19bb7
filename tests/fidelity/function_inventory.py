"""Spark's built-in function list, and the calls each function is tested with.

The list and each function's group and examples come from the local Spark session
(``SHOW FUNCTIONS`` and the catalog's ``ExpressionInfo``), so a new Spark release brings its
new functions here without an edit. Each example call ``f(a, b, ...)`` gives the function's
arity and, through Spark's ``typeof``, the type of each argument; a form replaces an
argument by the column of that type of :mod:`.function_inputs` (24 rows), the others kept
as in the example. Operators and the cast functions, whose examples are not calls, have
written forms (``OPERATOR_FORMS``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.fidelity.function_inputs import COLUMN_OF_TYPE
from tests.fidelity.geo_forms import GEO_FORMS
from tests.fidelity.sketch_forms import AGGREGATED_FORMS, SKETCH_FORMS

__all__ = ["Form", "Function", "forms_of", "spark_functions"]

# Depend on the environment or a random source, whatever the plan says
ENVIRONMENT = frozenset({
    "current_catalog", "current_database", "current_date", "current_schema", "current_timestamp",
    "current_timezone", "current_user", "curdate", "localtimestamp", "now", "session_user", "user", "version",
    "input_file_block_length", "input_file_block_start", "input_file_name", "monotonically_increasing_id",
    "spark_partition_id", "aes_encrypt", "current_time", "session_timezone",
})  # fmt: skip
# Integer arguments that are sizes: INT_MAX there asks for gigabytes, so they take the small column k
_SIZES = frozenset({
    "repeat", "lpad", "rpad", "space", "array_repeat", "sequence", "format_number", "format_string", "printf",
    "percentile_approx", "approx_percentile", "histogram_numeric", "randstr", "make_interval", "make_dt_interval",
    "make_ym_interval", "kll_sketch_agg_bigint", "kll_sketch_agg_double", "kll_sketch_agg_float", "ntile",
    "nth_value", "bitmap_bit_position", "mask", "overlay", "elt", "substring_index", "approx_top_k",
})  # fmt: skip

_I, _N, _D, _DEC, _S, _B = "i", "n", "d", "dec", "s", "bin"
_BIN_OPS = {"%": "%", "&": "&", "*": "*", "+": "+", "-": "-", "/": "/", "<": "<", "<=": "<=", "<=>": "<=>",
            "=": "=", "==": "==", ">": ">", ">=": ">=", "^": "^", "|": "|", "!=": "!=", "<>": "<>",
            "div": "div", "and": "AND", "or": "OR", "<<": "<<", ">>": ">>", ">>>": ">>>"}  # fmt: skip
_OPERANDS = {  # operand pairs per operator kind
    "arith": [("i", "k"), ("n", "k"), ("d", "d"), ("dec", "dec"), ("k", "dec"), ("n", "d")],
    "compare": [("i", "k"), ("n", "i"), ("d", "d"), ("dec", "d"), ("s", "s2"), ("dt", "dt"), ("ts", "dt"),
                ("bin", "bin"), ("b", "b"), ("arr", "arr")],
    "bits": [("i", "k"), ("n", "i"), ("k", "k")],
    "logic": [("b", "b"), ("b", "k > 3")],
    "shift": [("i", "k"), ("n", "k")],
}  # fmt: skip
_KIND = {"%": "arith", "*": "arith", "+": "arith", "-": "arith", "/": "arith", "div": "arith", "&": "bits",
         "^": "bits", "|": "bits", "and": "logic", "or": "logic", "<<": "shift", ">>": "shift", ">>>": "shift"}  # fmt: skip
_CASTS = {"bigint", "binary", "boolean", "date", "decimal", "double", "float", "int", "smallint", "string",
          "timestamp", "tinyint"}  # fmt: skip
_CAST_FROM = ("s", "i", "n", "d", "dec", "b", "dt", "ts", "bin")


def _operator_forms() -> dict[str, tuple[str, ...]]:
    forms: dict[str, tuple[str, ...]] = {}
    for name, op in _BIN_OPS.items():
        pairs = _OPERANDS[_KIND.get(name, "compare")]
        forms[name] = tuple(f"{a} {op} {b}" for a, b in pairs)
    forms.update({
        "!": ("! b", "! (k > 3)"), "not": ("NOT b", "NOT (s = s2)"), "~": ("~ i", "~ n", "~ k"),
        "||": ("s || s2", "bin || bin", "arr || arr", "s || i"),
        "between": ("i BETWEEN -5 AND k", "d BETWEEN 0 AND 100", "s BETWEEN 'a' AND 'z'", "dt BETWEEN DATE'2000-01-01' AND DATE'2030-01-01'"),
        "case": ("CASE WHEN k > 3 THEN s ELSE s2 END", "CASE k WHEN 1 THEN i WHEN 2 THEN n END"),
        "when": ("CASE WHEN b THEN d ELSE 0 END",),
        "in": ("i IN (k, 3)", "n IN (i, 7, NULL)", "d IN (d, 1.5)", "dec IN (dec, 2.50)", "s IN (s2, 'abc')",
               "dt IN (dt, DATE'2024-03-05')", "ts IN (ts, TIMESTAMP'2024-03-05 12:34:56')", "bin IN (bin)",
               "b IN (b, NULL)", "arr IN (arr, array(1))"),
        **{c: tuple(f"{c}({col})" for col in _CAST_FROM) for c in _CASTS},
    })  # fmt: skip
    return forms


OPERATOR_FORMS = _operator_forms()


def _vector_forms() -> dict[str, tuple[str, ...]]:
    f = "transform(arr, x -> float(x))"
    g = "transform(arr, x -> float(x * 3 - 1))"
    a9 = "array(float(d), float(i), float(n), float(dec), float(k), float(d / 7), float(i / 3), float(n / 11), float(k / 9))"
    b9 = "array(float(dec), float(d / 3), float(k), float(i), float(n / 7), float(d), float(k / 9), float(i / 5), float(d * 3))"
    pairs = {
        name: (
            f"{name}({f}, {f})",
            f"{name}({f}, {g})",
            f"{name}({a9}, {b9})",
            f"{name}({f}, array(float(d), float(k)))",
        )
        for name in ("vector_inner_product", "vector_l2_distance", "vector_cosine_similarity")
    }
    norms = {
        name: (
            f"{name}({f})",
            f"{name}({f}, float(1))",
            f"{name}({f}, float('inf'))",
            f"{name}({a9}, float(2))",
            f"{name}({a9}, float(1))",
            f"{name}({a9}, float('inf'))",
            f"{name}({f}, float(k))",
        )
        for name in ("vector_norm", "vector_normalize")
    }
    sums = {name: (f"{name}({f})",) for name in ("vector_sum", "vector_avg")}
    return {**pairs, **norms, **sums}


# grouping()/grouping_id() need a GROUP BY CUBE: they run over ``GROUP BY CUBE(g)`` (kind "cube")
GROUPING_FORMS = {"grouping": ("grouping(g)",), "grouping_id": ("grouping_id()", "grouping_id(g)")}
# Spark's bytes of KLL sketches (kll_sketch_agg_*): bigint 1, 2, 3; bigint 5 alone; bigint 4, -9, 4 with k 8;
# an empty bigint sketch; double 1.5, -2, 0.0, -0.0; float 1.5, -2, 0.25; and 20 bigints with k 8 (compacted)
_KLL = {
    "b": (
        "X'05010F00C80008000300000000000000C8000100C500000001000000000000000300000000000000020000000000000003000"
        "000000000000100000000000000'"
    ),
    "b1": "X'02020F04C80008000500000000000000'",
    "b8": (
        "X'05010F000800080003000000000000000800010005000000F7FFFFFFFFFFFFFF0400000000000000F7FFFFFFFFFFFFFF0400"
        "0000000000000400000000000000'"
    ),
    "b0": "X'02010F01C8000800'",
    "d": (
        "X'05010F00C80008000400000000000000C8000100C400000000000000000000C0000000000000F83F000000000000000000000"
        "00000000080000000000000F83F00000000000000C0'"
    ),
    "f": "X'05010F00C80008000300000000000000C8000100C5000000000000C00000C03F000000C00000803E0000C03F'",
    "big": (
        "X'05010F0008000800140000000000000008000200040000000800000000000000000000001300000000000000120000000000"
        "000013000000000000000800000000000000090000000000000000000000000000000200000000000000040000000000000006"
        "000000000000000B000000000000000D000000000000000F000000000000001100000000000000'"
    ),
}
_KLL_VALUES = {"bigint": ("i", "n", "k"), "double": ("d", "CAST(i AS DOUBLE)", "d"),
               "float": ("CAST(i AS FLOAT)", "CAST(k AS FLOAT)", "CAST(i AS FLOAT)")}  # fmt: skip
_KLL_PICK = {"bigint": f"CASE WHEN k > 3 THEN {_KLL['b']} WHEN k > 0 THEN {_KLL['b8']} WHEN k < 0 THEN {_KLL['b1']} END",
             "double": f"CASE WHEN k > 0 THEN {_KLL['d']} END", "float": f"CASE WHEN k > 0 THEN {_KLL['f']} END"}  # fmt: skip


def _kll_forms() -> dict[str, tuple[str, ...]]:
    forms: dict[str, tuple[str, ...]] = {}
    for t, (a, b, c) in _KLL_VALUES.items():
        # the rows so far (never empty: row 1 has values); a form raising on a row would be rerun over some rows
        # with its first FROM fn_in replaced (function_harness._only_rows): these never raise
        prefix = f"(SELECT kll_sketch_agg_{t}({b}) FROM fn_in t WHERE t.id <= fn_in.id)"
        ranks, value = ("array(-3, 0, 3, 7)", "1") if t == "bigint" else ("array(-3, 0, 2.5, 7)", "1.5")
        forms[f"kll_sketch_agg_{t}"] = (
            f"kll_sketch_get_n_{t}(kll_sketch_agg_{t}({a}))",
            f"kll_sketch_get_quantile_{t}(kll_sketch_agg_{t}({a}), array(0, 0.2, 0.5, 0.9, 1))",
            f"kll_sketch_get_quantile_{t}(kll_sketch_agg_{t}({b}, 8), 0.5)",
            f"kll_sketch_get_rank_{t}(kll_sketch_agg_{t}({c}), {ranks})",
            f"kll_sketch_get_n_{t}(kll_sketch_merge_{t}(kll_sketch_agg_{t}({a}), kll_sketch_agg_{t}({b}, 8)))",
        )
        forms[f"kll_merge_agg_{t}"] = (
            f"kll_sketch_get_n_{t}(kll_merge_agg_{t}({_KLL_PICK[t]}))",
            f"kll_sketch_get_quantile_{t}(kll_merge_agg_{t}({_KLL_PICK[t]}), array(0, 0.5, 1))",
            f"kll_sketch_get_rank_{t}(kll_merge_agg_{t}({_KLL_PICK[t]}, 100), 0)",
            f"kll_sketch_to_string_{t}(kll_merge_agg_{t}({_KLL_PICK[t]}, 100))",
        )
        forms[f"kll_sketch_merge_{t}"] = (
            f"kll_sketch_get_n_{t}(kll_sketch_merge_{t}({prefix}, {_KLL_PICK[t]}))",
            f"kll_sketch_get_quantile_{t}(kll_sketch_merge_{t}({prefix}, {_KLL_PICK[t]}), 0.5)",
            f"kll_sketch_get_rank_{t}(kll_sketch_merge_{t}({_KLL_PICK[t]}, {_KLL_PICK[t]}), 1)",
        )
        forms[f"kll_sketch_get_n_{t}"] = (
            f"kll_sketch_get_n_{t}({prefix})",
            f"kll_sketch_get_n_{t}({_KLL_PICK[t]})",
        )
        forms[f"kll_sketch_get_quantile_{t}"] = (
            f"kll_sketch_get_quantile_{t}({prefix}, array(0, 0.25, 0.5, 0.75, 1))",
            f"kll_sketch_get_quantile_{t}({_KLL_PICK[t]}, 0.6)",
        )
        small = f"(SELECT kll_sketch_agg_{t}({c if t == 'bigint' else f'CAST(k AS {t.upper()})'}) FROM fn_in t WHERE t.id <= fn_in.id)"
        forms[f"kll_sketch_to_string_{t}"] = (
            f"kll_sketch_to_string_{t}({small})",
            f"kll_sketch_to_string_{t}({_KLL_PICK[t]})",
            f"kll_sketch_to_string_{t}(kll_sketch_merge_{t}({_KLL_PICK[t]}, {_KLL_PICK[t]}))",
        )
        forms[f"kll_sketch_get_rank_{t}"] = (
            f"kll_sketch_get_rank_{t}({prefix}, {ranks})",
            f"kll_sketch_get_rank_{t}({_KLL_PICK[t]}, {value})",
        )
    return forms


# Functions whose examples' argument types have no column (maps of INT keys, lambdas): forms over m, arr, sarr
EXTRA_FORMS = {
    "map_concat": ("map_concat(m, map('zz', i))", "map_concat(m, m)", "map_concat(m, map(s2, k))"),
    "map_filter": ("map_filter(m, (k, v) -> v > 1)", "map_filter(m, (k, v) -> k < s)"),
    "transform_values": ("transform_values(m, (k, v) -> v + 1)", "transform_values(m, (k, v) -> concat(k, s2))"),
    "transform_keys": ("transform_keys(m, (k, v) -> concat(k, 'x'))", "transform_keys(m, (k, v) -> s2)"),
    "map_zip_with": ("map_zip_with(m, map('a', k, s2, 1), (k, v1, v2) -> coalesce(v1, 0) + coalesce(v2, 0))",
                     "map_zip_with(m, m, (k, v1, v2) -> (v1, v2))"),
    "map_from_entries": ("map_from_entries(map_entries(m))", "map_from_entries(arrays_zip(sarr, arr))"),
    "zip_with": ("zip_with(arr, sarr, (x, y) -> concat(y, x))", "zip_with(arr, arr, (x, y) -> x + y)"),
    # ordered-set aggregates and listagg/mode in the forms whose result the values define (WITHIN GROUP)
    "percentile_cont": ("percentile_cont(0.25) WITHIN GROUP (ORDER BY i)", "percentile_cont(0.5) WITHIN GROUP (ORDER BY dec)",
                        "percentile_cont(0.9) WITHIN GROUP (ORDER BY n)"),
    "percentile_disc": ("percentile_disc(0.25) WITHIN GROUP (ORDER BY i)", "percentile_disc(0.5) WITHIN GROUP (ORDER BY dec)",
                        "percentile_disc(0.9) WITHIN GROUP (ORDER BY n)"),
    "listagg": ("listagg(s) WITHIN GROUP (ORDER BY s)", "listagg(s2, ', ') WITHIN GROUP (ORDER BY s2 DESC)"),
    "string_agg": ("string_agg(s) WITHIN GROUP (ORDER BY s)", "string_agg(s2, '|') WITHIN GROUP (ORDER BY s2 DESC)"),
    # maps built in the query (a map column's entry order is PySpark's, not the table's)
    "to_json": ("to_json(map('b', k, 'a', i))", "to_json(map('x', s, 'y', s2))", "to_json(array(map('k', k), map('n', i)))"),
    # approximate aggregates with a literal accuracy (the examples' accuracy becomes a column, which Spark rejects);
    # 12 makes the groups of 6 non-NULL values refused when run, of 5 exact
    **{name: (f"{name}(i, 0.5)", f"{name}(n, array(0.25, 0.5, 0.75), 100)", f"{name}(dec, 0.5, 13)",
              f"{name}(dt, array(0, 0.1, 0.9, 1))", f"{name}(ts, 0.3)", f"{name}(d, 0.5)", f"{name}(k, 0.5, 12)")
       for name in ("percentile_approx", "approx_percentile")},
    "approx_count_distinct": ("approx_count_distinct(s)", "approx_count_distinct(d, 0.3)", "approx_count_distinct(dec)",
                              "approx_count_distinct(dt, 0.01)", "approx_count_distinct(ts)", "approx_count_distinct(bin)",
                              "approx_count_distinct(arr)", "approx_count_distinct(b)"),
    "typeof": ("typeof(s)", "typeof(bin)", "typeof(d)", "typeof(b)", "typeof(dt)", "typeof(sarr)", "typeof(dec)",
               "typeof(ts)", "typeof(m)", "typeof(cast(i as decimal(12, 3)))", "typeof(named_struct('a', s, 'b', d))",
               "typeof(array(s2, NULL))", "typeof(map(s, bin))", "typeof(-2147483648)", "typeof(1.50)", "typeof(1e3)"),
    # ARRAY<FLOAT> vectors (no column of that type): the INT arrays, and 9 elements (a block of 8 and one more)
    **_vector_forms(),
    # collate's example is the COLLATE operator inside collation(); TIME casts have no example
    "collate": ("collate(s, 'UTF8_BINARY')", "collate(s2, 'utf8_binary')", "collate(s, 'UTF8_LCASE')",
                "s COLLATE UTF8_BINARY"),
    # counters: non-negative ones (and the negative INT column, which raises), FLOAT/DOUBLE, a start time
    "counter_diff": ("counter_diff(k % 5 + 5)", "counter_diff(k % 5 + 5, ts)", "counter_diff(k % 5 + 5, timestamp_seconds(id div 4))",
                     "counter_diff(n & 9223372036854775807)", "counter_diff(abs(d), ts)", "counter_diff(float(abs(d)))",
                     "counter_diff(d)", "counter_diff(dec)"),
    "time_bucket": ("time_bucket(INTERVAL '7' DAY, ts, TIMESTAMP '2000-01-03 12:00:00')",
                    "time_bucket(INTERVAL '1.5' SECOND, ts)", "time_bucket(INTERVAL '1' MONTH, ts)"),
    "time": ("time(s)", "time(ts)", "time(tm)", "time(s2)"),
    # KLL sketches go straight into the functions reading them (a sketch's bytes depend on row order: refused);
    # per row: scalar subqueries over the rows so far, and Spark's own bytes as literals (_KLL)
    **_kll_forms(),
    # the bitmap aggregates over positions (bitmap_bit_position of a column, or a column: out of range fails)
    # and over BINARY bitmaps of every length (shorter than 4096 bytes, empty, NULL)
    "bitmap_construct_agg": ("bitmap_construct_agg(bitmap_bit_position(i))", "bitmap_construct_agg(bitmap_bit_position(n))",
                             "bitmap_count(bitmap_construct_agg(bitmap_bit_position(k)))", "bitmap_construct_agg(k)",
                             "bitmap_construct_agg(abs(k) * 4000)"),
    "bitmap_or_agg": ("bitmap_or_agg(bin)", "bitmap_count(bitmap_or_agg(bin))", "bitmap_or_agg(CASE WHEN b THEN bin END)"),
    "bitmap_and_agg": ("bitmap_and_agg(bin)", "bitmap_count(bitmap_and_agg(bin))",
                       "bitmap_and_agg(CASE WHEN b THEN bin END)", "bitmap_and_agg(CASE WHEN k > 100 THEN bin END)"),
    # exact while a group's values are distinct and at most nb (k % 3 repeats a value: refused when run)
    "histogram_numeric": ("histogram_numeric(i, 10)", "histogram_numeric(n, 6)", "histogram_numeric(d, 10)",
                          "histogram_numeric(dec, 10)", "histogram_numeric(dt, 10)", "histogram_numeric(ts, 10)",
                          "histogram_numeric(k, 10)", "histogram_numeric(i, 5)", "histogram_numeric(k % 3, 10)"),
    # the estimate of a sketch in its coupon mode (the sketch's own bytes depend on Spark's partitions: refused)
    "hll_sketch_agg": ("hll_sketch_estimate(hll_sketch_agg(i))", "hll_sketch_estimate(hll_sketch_agg(n, 4))",
                       "hll_sketch_estimate(hll_sketch_agg(s))", "hll_sketch_estimate(hll_sketch_agg(s2, 8))",
                       "hll_sketch_estimate(hll_sketch_agg(bin, 21))", "hll_sketch_estimate(hll_sketch_agg(k, 5))",
                       "hll_sketch_agg(i)"),
    # literal eps, confidence and seed (the example's become columns, which Spark rejects)
    "count_min_sketch": ("count_min_sketch(i, 0.5d, 0.5d, 1)", "count_min_sketch(n, 0.1d, 0.9d, 42)",
                         "count_min_sketch(s, 0.2d, 0.95d, -7)", "count_min_sketch(bin, 0.3d, 0.6d, 0)",
                         "count_min_sketch(k % 3, 0.5d, 0.75d, 2147483647)", "count_min_sketch(s2, 0.05d, 0.99d, 5)"),
    # literal k and maxItemsTracked; exact where no two items tie at a count that decides the answer
    "approx_top_k": ("approx_top_k(sign(k), 1)", "approx_top_k(k % 3, 2)", "approx_top_k(b, 2)",
                     "approx_top_k(s, 1)", "approx_top_k(sign(i), 2, 100)", "approx_top_k(i, 1, 4)"),
    "approx_top_k_accumulate": ("approx_top_k_estimate(approx_top_k_accumulate(sign(k)), 1)",
                                "approx_top_k_estimate(approx_top_k_accumulate(k % 3, 10), 2)",
                                "approx_top_k_accumulate(i)"),
    # VARIANT functions (their examples take literals only): over the table's values through
    # to_variant_object and parse_json of to_json (spark_compat/variant.py)
    "to_variant_object": ("to_variant_object(arr)", "to_variant_object(sarr)", "to_variant_object(m)",
                          "to_variant_object(named_struct('s', s, 'i', i, 'n', n, 'dec', dec, 'b', b, 'a', arr))"),
    "parse_json": ("parse_json(to_json(map('s', s, 't', s2)))", "parse_json(to_json(map('k', k, 'i', i)))"),
    "variant_get": ("variant_get(to_variant_object(named_struct('s', s, 'dec', dec)), '$.s', 'int')",
                    "variant_get(to_variant_object(named_struct('s', s, 'dec', dec)), '$.dec', 'decimal(4,1)')",
                    "variant_get(to_variant_object(named_struct('s', s2, 'a', arr)), '$.a[1]', 'tinyint')",
                    "variant_get(to_variant_object(named_struct('s', s, 'b', b)), '$.s', 'boolean')"),
    "try_variant_get": ("try_variant_get(to_variant_object(named_struct('s', s, 'dec', dec)), '$.s', 'bigint')",
                        "try_variant_get(to_variant_object(named_struct('n', n, 'dec', dec)), '$.n', 'int')",
                        "try_variant_get(to_variant_object(named_struct('s', s, 'dec', dec)), '$.dec', 'decimal(3,0)')"),
    "is_variant_null": ("is_variant_null(try_parse_json(s))", "is_variant_null(variant_get(to_variant_object(m), '$.k'))"),
    "is_valid_variant": ("is_valid_variant(try_parse_json(s))",),
    "variant_strip_nulls": ("variant_strip_nulls(to_variant_object(m))", "variant_strip_nulls(to_variant_object(arr), false)"),
    "schema_of_variant_agg": ("schema_of_variant_agg(parse_json(to_json(map('s', s, 't', s2))))",
                              "schema_of_variant_agg(try_parse_json(s))", "schema_of_variant_agg(try_parse_json(s2))"),
    "schema_of_variant": ("schema_of_variant(parse_json(to_json(map('s', s, 't', s2))))",
                          "schema_of_variant(try_parse_json(s))"),
    # one field (the harness names one column): JSON objects built from the columns, nested values and strings
    "json_tuple": ("json_tuple(s, 'a')", "json_tuple(s2, s)", "json_tuple(to_json(map('a', s, 'b', s2)), 'a')",
                   "json_tuple(to_json(map('a', k, 'b', i)), 'b')", "json_tuple(concat('{\"a\":', s, '}'), 'a')",
                   "json_tuple(concat('{\"a\": ', k, ', \"b\": {\"c\": [', i, ', \"', s2, '\", null, true]}, \"a\": null}'), 'b')",
                   "json_tuple(concat('{\"a\": ', k, ', \"b\": 1', ', \"a\": ', n, '}  ', s), 'a')",
                   "json_tuple(to_json(array(map('k', k))), 'k')"),
    "mode": ("mode(i, true)", "mode(k % 3, true)", "mode(s2, true)", "mode() WITHIN GROUP (ORDER BY k % 2)",
             "mode() WITHIN GROUP (ORDER BY k % 2 DESC)", "mode(b)"),
}  # fmt: skip
EXTRA_FORMS.update(SKETCH_FORMS)
EXTRA_FORMS.update(GEO_FORMS)
# Scalar functions of an aggregate's result (a sketch): forms run over GROUP BY g
GROUPED_FORMS = {
    "hll_sketch_estimate": ("hll_sketch_estimate(hll_sketch_agg(i))", "hll_sketch_estimate(hll_sketch_agg(s, 4))",
                            "hll_sketch_estimate(hll_sketch_agg(bin, 10))"),
    "hll_union": ("hll_sketch_estimate(hll_union(hll_sketch_agg(i), hll_sketch_agg(k)))",
                  "hll_sketch_estimate(hll_union(hll_sketch_agg(s, 10), hll_sketch_agg(s2, 12), true))",
                  "hll_sketch_estimate(hll_union(hll_sketch_agg(bin, 4), hll_sketch_agg(n, 4), false))"),
    "approx_top_k_estimate": ("approx_top_k_estimate(approx_top_k_accumulate(sign(k)), 1)",
                              "approx_top_k_estimate(approx_top_k_accumulate(b, 100))",
                              "approx_top_k_estimate(approx_top_k_accumulate(k % 3, 10), 2)"),
}  # fmt: skip
# aggregates Spark files under another group than agg_funcs
AGGREGATES_ELSEWHERE = frozenset({"schema_of_variant_agg"})
_LITERAL = re.compile(r"-?\d+(\.\d+)?|'[^']*'|true|false|null", re.IGNORECASE)


@dataclass(frozen=True, kw_only=True)
class Function:
    name: str
    group: str  # Spark's: string_funcs, agg_funcs, window_funcs, generator_funcs...
    examples: tuple[str, ...]  # the example statements, without the trailing ';'


@dataclass(frozen=True, kw_only=True)
class Call:
    function: str
    example: str  # the whole example statement
    start: int  # of the call's name in the example
    end: int  # one past its closing parenthesis
    args: tuple[str, ...]
    types: tuple[str | None, ...] = field(default=())  # Spark's typeof of each argument


@dataclass(frozen=True, kw_only=True)
class Form:
    function: str
    expression: str  # Spark SQL over the input table's columns
    kind: str  # "scalar", "agg" or "window"
    example: bool = False  # the example's own call, literals and all


def spark_functions(spark: Any) -> list[Function]:
    jvm = spark._jvm
    catalog = spark._jsparkSession.sessionState().catalog()
    functions = []
    for row in spark.sql("SHOW FUNCTIONS").collect():
        name = row[0]
        info = catalog.lookupFunctionInfo(jvm.org.apache.spark.sql.catalyst.FunctionIdentifier.apply(name))
        examples = re.findall(r"^\s*> (SELECT .*?);\s*$", info.getExamples() or "", re.MULTILINE)
        functions.append(Function(name=name, group=info.getGroup() or "", examples=tuple(examples)))
    return functions


def _closing(text: str, open_at: int) -> int:
    """The index of the parenthesis closing the one at ``open_at``; quotes respected."""
    depth, quote, i = 0, "", open_at
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"`":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def split_top(text: str, sep: str = ",") -> list[str]:
    parts, depth, quote, start, i = [], 0, "", 0, 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"`":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
        i += 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def calls_of(function: Function) -> list[Call]:
    """The calls of ``function`` in its examples, each with its argument texts."""
    pattern = re.compile(r"(?<![\w.`])" + re.escape(function.name) + r"\s*\(", re.IGNORECASE)
    calls, seen = [], set()
    for example in function.examples:
        match = pattern.search(example)
        if match is None:
            continue
        close = _closing(example, match.end() - 1)
        if close < 0:
            continue
        args = tuple(split_top(example[match.end() : close]))
        key = (len(args), example[match.end() : close] if " FROM " in example.upper() else "")
        if key in seen:
            continue
        seen.add(key)
        calls.append(
            Call(function=function.name, example=example, start=match.start(), end=close + 1, args=args)
        )
    return calls


def typed(spark_typeof: Callable[[Call], tuple[str | None, ...]], calls: Sequence[Call]) -> list[Call]:
    return [Call(**{**c.__dict__, "types": spark_typeof(c)}) for c in calls]


def _column(name: str, spark_type: str | None, index: int, used: dict[str, int]) -> str | None:
    if spark_type is None:
        return None
    column = "dec" if spark_type.startswith("decimal") else COLUMN_OF_TYPE.get(spark_type)
    if column is None:
        return None
    if column in ("i", "n") and name in _SIZES:
        return "k"
    if column == "s" and used.get("s", 0):
        return "s2"  # a second string argument
    return column


def forms_of(function: Function, calls: Sequence[Call]) -> list[Form]:
    """The forms ``function`` runs as: each argument in turn by its column, then all of them."""
    kind = {"agg_funcs": "agg", "window_funcs": "window"}.get(function.group, "scalar")
    kind = "agg" if function.name in AGGREGATES_ELSEWHERE else kind
    if function.name in OPERATOR_FORMS:
        return [Form(function=function.name, expression=e, kind=kind) for e in OPERATOR_FORMS[function.name]]
    if function.name in GROUPING_FORMS:
        return [
            Form(function=function.name, expression=e, kind="cube") for e in GROUPING_FORMS[function.name]
        ]
    forms: list[Form] = []
    seen: set[str] = set()

    def add(expression: str, example: bool = False) -> None:
        if expression not in seen:
            seen.add(expression)
            forms.append(Form(function=function.name, expression=expression, kind=kind, example=example))

    for call in calls:
        name = call.example[call.start : call.end].split("(", 1)[0].strip()
        has_from = " FROM " in call.example.upper()[call.end :]
        if not has_from:
            add(f"{name}({', '.join(call.args)})", example=True)
        columns: list[str | None] = []
        used: dict[str, int] = {}
        for i, t in enumerate(call.types):
            column = _column(function.name, t, i, used)
            columns.append(column)
            if column:
                used[column] = used.get(column, 0) + 1
        for i, column in enumerate(columns):
            if column is None:
                continue
            alternatives = (
                [column] + (["bin"] if column in ("s", "s2") else []) + (["n"] if column == "i" else [])
            )
            for alt in alternatives:
                args = [alt if j == i else (columns[j] if has_from and columns[j] else a)
                        for j, a in enumerate(call.args)]  # fmt: skip
                add(f"{name}({', '.join(args)})")
        if sum(c is not None for c in columns) > 1:
            add(f"{name}({', '.join(c or a for c, a in zip(columns, call.args, strict=True))})")
        if kind == "window" and has_from:  # the literal arguments (an offset, a bucket count) kept
            kept = [a if _LITERAL.fullmatch(a) else c for c, a in zip(columns, call.args, strict=True)]
            if all(kept):
                add(f"{name}({', '.join(a for a in kept if a)})")
    for expression in EXTRA_FORMS.get(function.name, ()):
        add(expression)
    forms += [
        Form(function=function.name, expression=e, kind="agg")
        for e in AGGREGATED_FORMS.get(function.name, ())
    ]
    for expression in GROUPED_FORMS.get(function.name, ()):
        forms.append(Form(function=function.name, expression=expression, kind="agg"))
    if kind == "window":  # each also over the whole table, without PARTITION BY
        forms += [Form(function=f.function, expression=f"{f.expression} OVER (ORDER BY id)", kind="scalar")
                  for f in list(forms)]  # fmt: skip
    return forms
