"""DuckDB macros that give Spark's results where a DuckDB built-in differs.

The rewrites (:mod:`.rewrites`) call these by name; the engine runs
:data:`.macro_catalog.COMPAT_MACROS` (these and every family's) once per connection. Each macro follows Spark with ANSI mode on
(Databricks SQL warehouses' default): where Spark raises, the macro raises with
Spark's error class in the message, so a run never carries on with a different value.
(``conv``: spark_compat/conv_macros.py.)
"""

from __future__ import annotations

from airflow_idu.engines.duckdb.spark_compat.conv_macros import CONV_MACROS
from airflow_idu.engines.duckdb.spark_compat.nodes import INTEGER_CASTS, typed_macro
from airflow_idu.engines.duckdb.spark_compat.nodes import let as _let
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro

__all__ = ["CORE_MACROS", "SPECIAL_UPPER"]


# Characters whose upper case is more than one character (Java and Spark use these full
# mappings, DuckDB the one-character ones). 'ß' -> 'SS' is rewritten; the others fail loudly.
SPECIAL_UPPER = (
    "ŉǰΐΰևẖẗẘẙẚὐὒὔὖᾀᾁᾂᾃᾄᾅᾆᾇᾈᾉᾊᾋᾌᾍᾎᾏᾐᾑᾒᾓᾔᾕᾖᾗᾘᾙᾚᾛᾜᾝᾞᾟᾠᾡᾢᾣᾤᾥᾦᾧᾨᾩᾪᾫᾬᾭᾮᾯᾲᾳᾴᾶᾷᾼῂῃῄῆῇῌῒΐῖῗῢΰῤῦῧῲῳῴῶῷῼﬀﬁﬂﬃﬄﬅﬆﬓﬔﬕﬖﬗ"
)
# 'İ' lowers to two characters in Java; 'Σ' lowers to 'ς' at the end of a word in Java.
_SPECIAL_LOWER = "İΣ"
# arrays whose elements print the same in Spark and DuckDB (Spark: "[1, null]", strings unquoted)
_PRINTABLE_LISTS = "('VARCHAR[]', 'BIGINT[]', 'INTEGER[]', 'SMALLINT[]', 'TINYINT[]', 'BOOLEAN[]', 'DATE[]')"
_TIMESTAMP_TYPES = (
    "('TIMESTAMP', 'DATE', 'TIMESTAMP WITH TIME ZONE', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS')"
)


# Spark 4's element_at/[] of a NULL index returns 0 or an element instead of NULL (seen on local Spark)
_NULL_INDEX = "error('[IDU_REFUSED] element_at/[] with a NULL index: Spark returns an unreliable value')"


_SPARK: tuple[str, ...] = (
    # unix_timestamp(x, fmt): a TIMESTAMP/DATE ignores fmt; a string is parsed (ANSI: a bad one fails)
    # strptime with Spark's field widths: MM, dd, HH, mm, ss need two digits (pattern from the rewrite)
    _macro(
        "idu_strptime(s, fmt, pattern)",
        "CASE WHEN s IS NULL THEN NULL WHEN NOT regexp_full_match(s, pattern) THEN "
        "error('[CANNOT_PARSE_TIMESTAMP] Text ' || s || ' could not be parsed') ELSE strptime(s, fmt) END",
    ),
    _macro(
        "idu_unix_timestamp(x, fmt, pattern)",
        f"CASE WHEN typeof(x) IN {_TIMESTAMP_TYPES} THEN CAST(floor(epoch(CAST(x AS TIMESTAMP))) AS BIGINT) "
        "ELSE CAST(floor(epoch(idu_strptime(CAST(x AS VARCHAR), fmt, pattern))) AS BIGINT) END",
    ),
    # base64: Spark's MIME encoder breaks lines after 76 characters with CRLF; up to 57 bytes (76
    # characters, every canonical id) there is no break, and the line splitting is skipped
    _macro(
        "idu_base64(b)",
        _let(
            "to_base64(b)",
            "e",
            "CASE WHEN length(e) <= 76 THEN e ELSE "
            "array_to_string(list_transform(range(0, CAST(ceil(length(e) / 76) AS BIGINT)), "
            "lambda i: substr(e, CAST(i * 76 + 1 AS BIGINT), 76)), chr(13) || chr(10)) END",
        ),
    ),
    # unbase64: Spark's MIME decoder skips line breaks
    # (and reads a last group without its '=' padding); other text is refused, not guessed
    _macro(
        "idu_unbase64(s)",
        _let(
            "replace(replace(s, chr(13), ''), chr(10), '')",
            "t",
            "CASE WHEN t IS NULL THEN NULL WHEN regexp_full_match(t, "
            "'([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}(==)?|[A-Za-z0-9+/]{3}=?)?') THEN "
            "from_base64(t || repeat('=', (4 - length(t) % 4) % 4)) ELSE "
            "error('[IDU_REFUSED] unbase64 of text that is not plain base64 (Spark skips what it cannot read)') END",
        ),
    ),
    # avg of DECIMAL is DECIMAL on Spark, DOUBLE on DuckDB
    _macro(
        "idu_avg(x)",
        "CASE WHEN typeof(any_value(x)) LIKE 'DECIMAL%' THEN "
        "error('[IDU_REFUSED] avg of DECIMAL: Spark keeps DECIMAL with its own scale, DuckDB gives DOUBLE; "
        "CAST the argument to DOUBLE') "
        "WHEN typeof(any_value(x)) IN ('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT') "
        "AND sum(abs(CAST(x AS HUGEINT))) >= CAST(9007199254740992 AS HUGEINT) THEN "
        "error('[IDU_REFUSED] avg of integers whose magnitudes sum to 2^53 or more (Spark sums them as DOUBLE "
        "in row order)') ELSE avg(x) END",
    ),
    # array_position: 0 when absent
    _macro(
        "idu_array_position(a, v)",
        "CASE WHEN a IS NULL OR v IS NULL THEN NULL ELSE CAST(coalesce(list_position(a, v), 0) AS BIGINT) END",
    ),
    # array_sort of structs or arrays: DuckDB orders a NULL field/element inside last, Spark first;
    # spark_compat/nested_order.py refuses such elements when run (array_sort orders its operand's elements)
    _macro("idu_array_sort(a, direction, nulls)", "list_sort(a, direction, nulls)"),
    # CAST(x AS BIGINT/INT): Spark truncates fractions and refuses fractional strings (ANSI)
    *(
        _macro(
            f"{macro}(arg)",
            _let(
                "arg",
                "x",
                "CASE WHEN typeof(x) IN ('DOUBLE', 'FLOAT') "
                f"THEN CAST(trunc(TRY_CAST(x AS DOUBLE)) AS {name}) "
                "WHEN typeof(x) = 'TIMESTAMP' THEN CAST(CASE WHEN epoch_us(TRY_CAST(x AS TIMESTAMP)) >= 0 "
                "THEN epoch_us(TRY_CAST(x AS TIMESTAMP)) // 1000000 "
                f"ELSE -((999999 - epoch_us(TRY_CAST(x AS TIMESTAMP))) // 1000000) END AS {name}) "
                f"WHEN typeof(x) LIKE 'DECIMAL%' THEN CAST(trunc(TRY_CAST(x AS DECIMAL(38, 10))) AS {name}) "
                "WHEN typeof(x) = 'VARCHAR' AND NOT regexp_full_match(trim(CAST(x AS VARCHAR)), '[+-]?[0-9]+') "
                "THEN error('[CAST_INVALID_INPUT] cannot cast the string ' || CAST(x AS VARCHAR) || ' to "
                f"{name}') ELSE CAST(x AS {name}) END",
            ),
        )
        for name, macro in INTEGER_CASTS.items()
    ),
    # The same cast of a plain argument (plain_args.py: a column, a literal): where idu_to_<t> would
    # take its plain CAST, a plain CAST, decided by the argument's type when bound. DuckDB folds the
    # CASE then, so a filter on CAST(time AS BIGINT) of a BIGINT column reaches the scan (zone maps)
    # and costs nothing per row, where idu_to_<t>'s bound argument stays in the plan.
    # An integer or a STRING picks its overload without binding the other branches (nodes.typed_macro).
    *(
        typed_macro(
            f"{macro}_plain",
            {**{t: f"CAST(arg AS {name})" for t in INTEGER_CASTS}, "VARCHAR": f"{macro}(arg)"},
            "CASE WHEN typeof(arg) NOT IN ('DOUBLE', 'FLOAT', 'TIMESTAMP', 'VARCHAR') "
            f"AND typeof(arg) NOT LIKE 'DECIMAL%' THEN CAST(arg AS {name}) ELSE {macro}(arg) END",
        )
        for name, macro in INTEGER_CASTS.items()
    ),
    # array_contains: NULL, not false, when the value is missing but the array holds a NULL
    # (_plain: both arguments plain, plain_args.py)
    *(
        _macro(
            f"idu_array_contains{plain}(a, v)",
            "CASE WHEN a IS NULL OR v IS NULL THEN NULL WHEN list_contains(a, v) THEN true "
            "WHEN list_count(a) < len(a) THEN NULL ELSE false END",
        )
        for plain in ("", "_plain")
    ),
    # array_distinct: first occurrences in order, NULL kept once. n log n like Spark's hash set:
    # sort (value, position) pairs, keep the first of each run of equal values, restore the order.
    # Short arrays (most in identity SQL: a follower's source tables) skip the sorts: up to 8
    # elements, an element is kept where its first position (NULL-safe) is its own; at most 64
    # comparisons, half the sorts' cost.
    _macro(
        "idu_array_distinct(a)",
        "CASE WHEN a IS NULL THEN NULL WHEN len(a) <= 1 THEN a "
        "WHEN len(a) = 2 THEN (CASE WHEN a[1] IS NOT DISTINCT FROM a[2] THEN [a[1]] ELSE a END) "
        "WHEN len(a) <= 8 THEN list_filter(a, lambda x, i: list_position(a, x) = i) ELSE "
        + _let(
            "list_sort(list_transform(a, lambda x, i: {'v': x, 'i': i}))",
            "s",
            "list_transform(list_sort(list_transform(list_filter(s, lambda e, j: j = 1 "
            "OR e.v IS DISTINCT FROM s[j - 1].v), lambda e: {'i': e.i, 'v': e.v})), lambda e: e.v)",
        )
        + " END",
    ),
    # array_intersect: a's distinct elements that b holds, in a's order (NULL if both hold one).
    # n log n: sort a's and b's distinct values together; a value of a followed by the same value
    # of b is kept; then a's order is restored.
    _macro(
        "idu_array_intersect(a, b)",
        "CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE "
        + _let(
            "list_sort(list_concat(list_transform(idu_array_distinct(a), lambda x, i: {'v': x, 's': 0, 'i': i}), "
            "list_transform(idu_array_distinct(b), lambda x: {'v': x, 's': 1, 'i': 0})))",
            "t",
            "list_transform(list_sort(list_transform(list_filter(t, lambda e, j: e.s = 0 AND j < len(t) "
            "AND t[j + 1].s = 1 AND t[j + 1].v IS NOT DISTINCT FROM e.v), lambda e: {'i': e.i, 'v': e.v})), "
            "lambda e: e.v)",
        )
        + " END",
    ),
    # flatten: NULL when the array or any inner array is NULL
    _macro("idu_flatten(a)", "CASE WHEN a IS NULL OR list_count(a) < len(a) THEN NULL ELSE flatten(a) END"),
    # array_remove: keeps NULL elements; removing NULL gives NULL
    _macro(
        "idu_array_remove(a, v)",
        "CASE WHEN v IS NULL THEN NULL ELSE list_filter(list_transform(a, lambda x: [x, v][1]), "
        "lambda x: x IS NULL OR x <> v) END",
    ),
    # element_at(array, i): 1-based, negative from the end; 0 and out of bounds fail (ANSI)
    _macro(
        "idu_element_at(a, i)",
        "CASE WHEN a IS NULL THEN NULL WHEN i IS NULL THEN " + _NULL_INDEX + " "
        "WHEN i = 0 THEN error('[INVALID_INDEX_OF_ZERO] element_at: SQL array indices start at 1') "
        "WHEN abs(i) > len(a) THEN error('[INVALID_ARRAY_INDEX_IN_ELEMENT_AT] element_at: index out of bounds') "
        "ELSE a[i] END",
    ),
    # array[i]: 0-based; negative and out of bounds fail (ANSI)
    _macro(
        "idu_subscript(a, i)",
        "CASE WHEN a IS NULL THEN NULL WHEN i IS NULL THEN " + _NULL_INDEX + " "
        "WHEN i < 0 OR i >= len(a) THEN error('[INVALID_ARRAY_INDEX] array index out of bounds') "
        "ELSE a[i + 1] END",
    ),
    # exists / forall over the lambda's results, with SQL's three-valued logic
    _macro(
        "idu_exists(r)",
        "CASE WHEN r IS NULL THEN NULL WHEN list_contains(r, true) THEN true "
        "WHEN list_count(r) < len(r) THEN NULL ELSE false END",
    ),
    _macro(
        "idu_forall(r)",
        "CASE WHEN r IS NULL THEN NULL WHEN list_contains(r, false) THEN false "
        "WHEN list_count(r) < len(r) THEN NULL ELSE true END",
    ),
    # pmod: Spark's r = a % n; r < 0 ? (r + n) % n : r; by zero fails (ANSI)
    _macro(
        "pmod(a, n)",
        "CASE WHEN n = 0 THEN error('[DIVIDE_BY_ZERO] pmod: division by zero') "
        "WHEN a % n < 0 THEN (a % n + n) % n ELSE a % n END",
    ),
    # '/': by zero fails (ANSI); DECIMAL operands give DECIMAL on Spark and DOUBLE on DuckDB
    _macro(
        "idu_divide(a, b)",
        "CASE WHEN (typeof(a) LIKE 'DECIMAL%' OR typeof(b) LIKE 'DECIMAL%') "
        "AND typeof(a) NOT IN ('DOUBLE', 'FLOAT') AND typeof(b) NOT IN ('DOUBLE', 'FLOAT') THEN "
        "error('[IDU_REFUSED] decimal division: Spark keeps DECIMAL with its own scale, DuckDB gives DOUBLE; "
        "CAST an operand to DOUBLE') "
        "WHEN b = 0 THEN error('[DIVIDE_BY_ZERO] Division by zero') ELSE a / b END",
    ),
    # DIV: integers only, truncating, BIGINT; by zero fails (ANSI)
    _macro(
        "idu_int_div(a, b)",
        "CASE WHEN typeof(a) NOT IN ('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT') "
        "OR typeof(b) NOT IN ('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT') "
        "THEN error('[IDU_REFUSED] DIV: only integer operands are supported on DuckDB') "
        "WHEN b = 0 THEN error('[DIVIDE_BY_ZERO] Division by zero') "
        "ELSE CAST(CAST(a AS HUGEINT) // CAST(b AS HUGEINT) AS BIGINT) END",
    ),
    # upper/lower: Java's full case mappings where they are more than one character
    _macro(
        "idu_upper(s)",
        f"CASE WHEN regexp_matches(s, '[{SPECIAL_UPPER}]') THEN "
        "error('[IDU_REFUSED] upper: a character whose upper case is several characters (Spark uses the full mapping)') "
        "ELSE upper(replace(s, 'ß', 'SS')) END",
    ),
    _macro(
        "idu_lower(s)",
        f"CASE WHEN regexp_matches(s, '[{_SPECIAL_LOWER}]') THEN "
        "error('[IDU_REFUSED] lower: İ or Σ (Spark uses context-dependent Java case mappings)') ELSE lower(s) END",
    ),
    # CAST(x AS STRING): a DOUBLE prints like Java only between 1e-3 and 1e7 (and 0, NaN, Infinity)
    _macro(
        "idu_cast_string(arg)",
        _let(
            "arg",
            "x",
            f"CASE WHEN typeof(x) IN {_PRINTABLE_LISTS} THEN '[' || array_to_string(list_transform("
            "TRY_CAST(x AS VARCHAR[]), lambda e: coalesce(e, 'null')), ', ') || ']' "
            "WHEN typeof(x) LIKE '%[]' OR typeof(x) LIKE 'STRUCT%' OR typeof(x) LIKE 'MAP%' THEN "
            "error('[IDU_REFUSED] CAST to STRING of an array of this type, a struct or a map "
            "(Spark prints them differently)') "
            "WHEN typeof(x) = 'BLOB' THEN idu_utf8(CAST(x AS BLOB)) "
            "WHEN typeof(x) = 'FLOAT' AND (TRY_CAST(x AS DOUBLE) = 0 "
            "OR abs(TRY_CAST(x AS DOUBLE)) BETWEEN 0.001 AND 9999999) THEN CAST(x AS VARCHAR) "
            "WHEN typeof(x) NOT IN ('DOUBLE', 'FLOAT') THEN CAST(x AS VARCHAR) "
            + _let(
                "TRY_CAST(x AS DOUBLE)",
                "d",
                "CASE WHEN d IS NULL THEN NULL WHEN isnan(d) THEN 'NaN' "
                "WHEN isinf(d) THEN CASE WHEN d > 0 THEN 'Infinity' ELSE '-Infinity' END "
                "WHEN d = 0 OR (abs(d) >= 0.001 AND abs(d) < 10000000) THEN CAST(d AS VARCHAR) "
                "ELSE error('[IDU_REFUSED] CAST(DOUBLE AS STRING): Spark prints this magnitude in scientific "
                "notation') END",
            ).join(("ELSE ", " END")),
        ),
    ),
    # The same cast of a plain argument (plain_args.py): text or an integer is DuckDB's own CAST, decided
    # by the argument's type when bound, so a string column costs nothing per row (idu_cast_string's
    # bound argument stays in the plan: about 0.1 s per million rows and use)
    # (an overload per type: nodes.typed_macro; the enrich statements bind it about 30 times each)
    typed_macro(
        "idu_cast_string_plain",
        {t: "CAST(arg AS VARCHAR)" for t in ("VARCHAR", *INTEGER_CASTS)},
        "CASE WHEN typeof(arg) IN ('VARCHAR', 'BIGINT', 'INTEGER', 'SMALLINT', 'TINYINT') "
        "THEN CAST(arg AS VARCHAR) ELSE idu_cast_string(arg) END",
    ),
    # what CAST(x AS DECIMAL) reads (core_rewrites._decimal_digits): a FLOAT as its DOUBLE, a DOUBLE as
    # its shortest text, Java's digits below 1e15 (NaN and infinity: NULL, as on Spark, ANSI or not);
    # from 1e15 Java prints 17 digits where the shortest has 16 (256 of 3,000 values from 1e15
    # to 1e37 differed), refused; any other type as it is (replace_type decides when bound)
    *(
        _macro(
            f"idu_decimal_source{plain}(x)",
            "CASE WHEN typeof(x) IN ('DOUBLE', 'FLOAT') AND NOT isfinite(TRY_CAST(x AS DOUBLE)) THEN NULL "
            "WHEN typeof(x) IN ('DOUBLE', 'FLOAT') AND abs(TRY_CAST(x AS DOUBLE)) >= 1e15 THEN error('[IDU_REFUSED] CAST of a DOUBLE of 1e15 or "
            "more to DECIMAL: Spark rounds the 17 digits Java prints for it, which the engine does not "
            "reproduce; CAST it to BIGINT or round it first') ELSE replace_type(replace_type(x, "
            "CAST(NULL AS FLOAT), CAST(NULL AS DOUBLE)), CAST(NULL AS DOUBLE), CAST(NULL AS VARCHAR)) END",
        )
        for plain in ("", "_plain")
    ),
)

# This module's own macros; macro_catalog.py gathers them with every family's.
CORE_MACROS: tuple[str, ...] = (*CONV_MACROS, *_SPARK)
