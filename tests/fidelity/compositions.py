"""Compositions: values carried through two or more functions and casts.

Each construct of the catalogue can be identical on its own while a composition
differs, because the type flowing between the functions decides the result
(``base64`` of a ``concat`` of binaries encodes bytes, not text). These cases run in
the same harness as the catalogue, over the same rows, including the BINARY column
``bin`` and the FLOAT column ``f``.
"""

from __future__ import annotations

from tests.fidelity.catalogue import Case, Kind

__all__ = ["COMPOSITIONS", "published_canonical_id"]

_GROUP = "compositions"


def published_canonical_id(leader: str, mask: str) -> str:
    """The canonical id as the published generator writes it: bytes built by concat of two unhex."""
    half = (
        "lpad(upper(conv(cast(conv(substr(sha2({leader}, 256), {a}, 8), 16, 10) as long) ^ "
        "cast(conv(substr({mask}, {a}, 8), 16, 10) as long), 10, 16)), 8, '0')"
    )
    first, second = (half.format(leader=leader, mask=mask, a=a) for a in (1, 9))
    return (
        f"replace(replace(replace(base64(concat(unhex(concat({first}, {second})), "
        f"unhex(substr({mask}, 17, 2)))), '+', '-'), '/', '_'), '=', '')"
    )


_BINARY = [
    ("published-canonical-id", published_canonical_id("s", "'0ffdbcf0c666ce190d'")),
    ("base64-concat-unhex", "base64(concat(unhex('8CEE'), unhex(hex(s))))"),
    ("base64-concat-unhex-3", "base64(concat(unhex('00'), unhex('FF'), unhex(hex(g))))"),
    ("base64-binary-column", "base64(bin)"),
    ("base64-concat-binary-columns", "base64(concat(bin, bin))"),
    ("base64-concat-column-unhex", "base64(concat(bin, unhex('0A')))"),
    ("base64-substr-binary", "base64(substr(unhex(hex(s)), 2, 3))"),
    ("base64-substr-binary-negative", "base64(substr(unhex('0102030405'), -2))"),
    ("base64-substr-binary-zero", "base64(substr(unhex('0102030405'), 0, 2))"),
    ("base64-substr-binary-past-end", "base64(substr(unhex('0102'), 5, 2))"),
    ("base64-substring-binary-k", "base64(substring(unhex('0102030405060708'), k % 9, 3))"),
    ("length-unhex", "length(unhex(hex(s)))"),
    ("length-binary-column", "length(bin)"),
    ("length-concat-binary", "length(concat(unhex('AABB'), unhex(hex(g))))"),
    ("octet-length-binary-column", "octet_length(bin)"),
    ("octet-length-string", "octet_length(s)"),
    ("hex-binary-column", "hex(bin)"),
    ("hex-concat-binary", "hex(concat(bin, unhex('FF')))"),
    ("base64-cast-binary", "base64(cast(s as binary))"),
    ("length-cast-binary", "length(cast(s as binary))"),
    ("base64-coalesce-binary", "base64(coalesce(bin, unhex('00')))"),
    ("base64-if-binary", "base64(if(b, unhex('AB'), unhex('CD')))"),
    ("base64-case-binary", "base64(CASE WHEN k > 0 THEN unhex('01') ELSE cast(g as binary) END)"),
    ("sha2-binary-column", "sha2(bin, 256)"),
    ("sha2-concat-binary", "sha2(concat(unhex('01'), unhex(hex(s))), 256)"),
    ("md5-binary-column", "md5(bin)"),
    ("sha1-unhex", "sha1(unhex(hex(s)))"),
    ("unbase64-base64-binary", "base64(unbase64(base64(bin)))"),
    ("cast-unhex-as-string", "cast(unhex(hex(s)) as string)"),
    ("concat-string-unhex", "concat(g, unhex('41'))"),
    ("upper-hex-sha2-bytes", "upper(hex(unhex(sha2(s, 256))))"),
    ("lpad-hex-conv", "lpad(hex(conv(substr(sha2(s, 256), 1, 8), 16, 10)), 16, '0')"),
    ("base64-lpad-binary", "base64(lpad(unhex('01'), 3, unhex('00')))"),
    # a BINARY value into a string function: Spark reads its bytes as UTF-8 text
    ("lower-binary-column", "lower(bin)"),
    ("trim-upper-unhex", "upper(trim(unhex('20616263 20')))"),
    ("instr-cast-binary", "instr(cast(s as binary), 'b')"),
    ("replace-unhex-hex", "replace(unhex(hex(s)), 'a', 'A')"),
    ("hex-left-unhex", "hex(left(unhex('0102030405'), 2))"),
    ("right-hex-binary", "right(hex(bin), 4)"),
    ("like-cast-binary", "cast(g as binary) like 'a%'"),
    ("regexp-replace-unhex", "regexp_replace(unhex(hex(g)), 'a', 'x')"),
    ("unhex-odd-or-invalid", "hex(unhex(concat('f', g)))"),
]

_NUMERIC = [
    ("cast-double-string-composed", "cast(d as string)"),
    ("cast-float-string", "cast(f as string)"),
    ("concat-string-double", "concat(g, d)"),
    ("concat-string-float", "concat(g, f)"),
    ("concat-string-bigint", "concat(g, k)"),
    ("concat-string-decimal", "concat(g, dec)"),
    ("concat-string-date-ts", "concat(g, dt, ts)"),
    ("concat-string-boolean", "concat(g, b)"),
    ("concat-ws-cast", "concat_ws('|', s, cast(k as string), cast(dec as string))"),
    ("cast-double-string-in-range", "cast(if(abs(d) < 1e7 AND abs(d) >= 0.001, d, 0.5D) as string)"),
    ("cast-fraction-to-int", "cast(if(id = 9, 2.7D, d) * 0 + 2.7D as int)"),
    ("cast-negative-fraction-to-bigint", "cast(-2.7D + k * 0 as bigint)"),
    ("cast-decimal-to-int", "cast(dec as int)"),
    ("cast-float-to-int", "cast(if(id = 9, -3.9D, f) as int)"),
    ("cast-float-to-bigint-negative", "cast(if(id = 9, 0.5D, -f) - 0.9D as bigint)"),
    ("round-half-of-product", "round(k * 0.5, 0)"),
    ("round-negative-half", "round(-2.5 + k * 0, 0)"),
    ("round-decimal", "round(dec, 1)"),
    ("round-double", "round(d, 1)"),
    ("length-cast-bigint", "length(cast(k as string))"),
    ("substr-bigint", "substr(k, 1, 2)"),
    ("length-bigint", "length(n)"),
    ("abs-cast-int", "abs(cast(i as bigint))"),
    ("dayofweek-date-add", "dayofweek(date_add(dt, 3))"),
    ("dayofweek-ts-cast", "dayofweek(cast(ts as date))"),
    ("year-add-months", "year(add_months(dt, 13))"),
    ("datediff-to-date", "datediff(to_date(ds), dt)"),
    ("unix-timestamp-cast-date", "unix_timestamp(cast(ts as date))"),
    ("from-unixtime-unix-timestamp", "from_unixtime(unix_timestamp(ts), 'yyyy-MM-dd')"),
    ("mod-double", "d % 2"),
    ("int-div-bigint", "n div 5"),
    ("substr-negative-start", "substr(s, -k, 2)"),
    ("right-by-bigint", "right(s, k)"),
    ("double-of-timestamp", "cast(ts as double)"),
    ("bigint-of-timestamp", "cast(ts as bigint)"),
    ("timestamp-of-seconds", "cast(k * 86400 as timestamp)"),
    ("hour-of-cast-string", "hour(cast(ts as string))"),
    ("last-day-of-string", "last_day(ds)"),
    ("conv-cast-bigint-xor", "conv(cast(conv(substr(sha2(s, 256), 1, 8), 16, 10) as bigint) ^ k, 10, 16)"),
]

_ARRAYS = [
    ("array-distinct-concat", "array_distinct(concat(arr, arr))"),
    ("array-sort-distinct", "array_sort(array_distinct(arr))"),
    ("size-array-distinct", "size(array_distinct(sarr))"),
    ("transform-distinct-upper", "transform(array_distinct(sarr), x -> upper(x))"),
    ("array-contains-distinct", "array_contains(array_distinct(arr), 5)"),
    ("cast-array-bigint-string", "cast(arr as string)"),
    ("cast-array-string-string", "cast(sarr as string)"),
    ("concat-ws-array-distinct", "concat_ws(',', array_distinct(sarr))"),
    ("filter-size-distinct", "size(filter(array_distinct(arr), x -> x > 1))"),
    ("transform-cast-string", "transform(arr, x -> cast(x as string))"),
    ("slice-by-column", "slice(arr, if(k = 0, 1, k), 2)"),
    ("array-join-nulls", "array_join(sarr, '-')"),
    ("reverse-sort-array", "reverse(sort_array(arr))"),
    ("reverse-array-intersect", "reverse(array_intersect(arr, array(1L, 2L, 3L)))"),
    ("element-at-reverse-split", "element_at(reverse(split(s, ',')), 1)"),
    ("reverse-collect-free-array", "reverse(array_compact(arr))"),
    ("array-join-null-replacement", "array_join(sarr, '-', '?')"),
    ("array-remove-widened", "array_remove(arr, cast(k as int))"),
    ("try-element-at-column", "try_element_at(arr, cast(if(k = 0, 1, k) as int))"),
]

# a rewritten call inside a call the same rewrite handles: each level must be rewritten (the outer
# builder copies its argument, so a pass that went outermost first left the inner call DuckDB's own)
_NESTED = [
    ("nested-array-distinct", "array_distinct(array_distinct(arr))"),
    ("nested-array-remove", "array_remove(array_remove(arr, 2), 1)"),
    ("nested-flatten", "flatten(flatten(array(array(arr), array(cast(NULL AS array<bigint>)))))"),
    ("nested-subscript", "array(array(1L, 2L), array(3L))[1][0]"),
    ("nested-subscript-inner-out-of-range", "array(array(1L, 2L))[1][0]"),
    ("nested-divide-by-zero", "k / (i - i) / 2"),
    ("nested-divide-decimal", "dec / 3 / 2"),
    ("nested-cast-rounding", "cast(cast(d AS bigint) + cast(1.5D AS bigint) AS string)"),
    ("nested-cast-string-to-int", "cast(cast(s2 AS int) AS string)"),
    ("nested-unbase64", "unbase64(base64(unbase64(base64(bin))))"),
    ("nested-substr", "substr(substr(s, -3), 0, 2)"),
    ("nested-substr-start-zero", "substring(substring(s, 0, 4), 0)"),
    ("nested-upper", "upper(upper(s))"),
    ("nested-array-position", "array_position(array(array_position(arr, 1), 0L), 0L)"),
    ("nested-array-sort", "array_sort(array_sort(sarr))"),
    ("nested-size", "size(sequence(1, size(arr) + 1))"),
    ("nested-dayofweek", "dayofweek(date_add(dt, dayofweek(dt)))"),
    ("nested-add-months", "add_months(add_months(dt, 1), 1)"),
    ("nested-int-div", "(k div 2) div 0"),
    ("nested-hash", "hash(hash(s), hash(k))"),
    ("nested-hash-xxhash64", "hash(xxhash64(s))"),
    ("nested-crc32", "crc32(cast(cast(crc32(cast(s AS binary)) AS string) AS binary))"),
    ("nested-sha2-512-384", "sha2(sha2(s, 512), 384)"),
]

# a FLOAT beside an integer or a DECIMAL: Spark (ANSI) computes in DOUBLE, DuckDB in FLOAT
# (spark_compat/float_widening.py); beside a FLOAT, a DOUBLE or a string, as written
_FLOATS = [
    ("float-plus-int", "f + 1"),
    ("float-times-int", "f * 2"),
    ("float-minus-decimal", "f - 0.1"),
    ("float-plus-bigint-literal", "f + 1L"),
    ("float-mod-int", "f % 2"),
    ("float-equals-decimal", "f = 0.1"),
    ("float-greater-decimal", "f > 0.001"),
    ("float-between-decimals", "f BETWEEN 0.001 AND 0.1"),
    ("int-between-float-bounds", "i BETWEEN f AND 10"),
    ("float-plus-float", "f + f"),
    ("float-sum-times-int", "(f + f) * 2"),
    ("float-plus-double", "f + d"),
    ("float-equals-string", "f = '0.1'"),
    ("float-plus-string", "f + '1'"),
    ("float-log10-plus-int", "log10(abs(f) + 1)"),
    ("cast-float-plus-int", "CAST(d AS FLOAT) + 1"),
    ("float-plus-bigint-column", "f + k"),
    ("float-equals-int-column", "f = i"),
    ("float-times-decimal-column", "f * dec"),
    ("float-sum-equals-decimal", "f + f = 0.2"),
    ("float-equals-double", "f = d"),
]
_FLOAT_QUERIES = [
    ("float-filter-decimal", "SELECT id FROM fid_in WHERE f > 0.001 ORDER BY id"),
    ("float-join-float", "SELECT count(*) AS c FROM fid_in a JOIN fid_in b ON a.f = b.f"),
    ("float-join-int", "SELECT count(*) AS c FROM fid_in a JOIN fid_in b ON a.f = b.i"),
    ("float-group-by-sum", "SELECT count(*) AS c FROM fid_in GROUP BY f + k ORDER BY c"),
    ("float-group-by-widened", "SELECT f * 2 AS x, count(*) AS c FROM fid_in GROUP BY f * 2 ORDER BY x"),
]

# text read as a DATE or TIMESTAMP by Spark's grammar (spark_compat/datetime_casts.py), not DuckDB's
_TEXT_DATETIMES = [
    ("cast-date-slashes", "CAST('2024/03/05' AS DATE)"),
    ("try-cast-date-slashes", "try_cast('2024/03/05' AS DATE)"),
    ("try-cast-date-year", "try_cast('2024' AS DATE)"),
    ("to-date-year-month", "to_date('2024-3')"),
    ("to-date-t-suffix", "to_date('2024-03-05T10')"),
    ("to-date-trailing-text", "to_date('2024-03-05 garbage')"),
    ("try-cast-date-spaces", "try_cast('2024 03 05' AS DATE)"),
    ("try-cast-date-three-digit-year", "try_cast('024-03-05' AS DATE)"),
    ("date-plus-sign", "date('+2024-03-05')"),
    ("cast-timestamp-offset", "CAST('2024-03-05T12:34:56+01:00' AS TIMESTAMP)"),
    ("to-timestamp-negative-offset", "to_timestamp('2024-03-05 12:34:56.123-08')"),
    ("try-cast-timestamp-hour-24", "try_cast('2024-03-05 24:00:00' AS TIMESTAMP)"),
    ("cast-timestamp-hour-24", "CAST('2024-03-05 24:00:00' AS TIMESTAMP)"),
    ("cast-timestamp-hour-only", "CAST('2024-03-05 12' AS TIMESTAMP)"),
    ("try-cast-timestamp-slashes", "try_cast('2024/03/05 12:34:56' AS TIMESTAMP)"),
    ("timestamp-year-only", "timestamp('2024')"),
    ("try-cast-timestamp-region", "try_cast('2024-03-05 12:34:56America/New_York' AS TIMESTAMP)"),
    ("hour-of-hour-24", "hour('2024-03-05 24:00:00')"),
    ("try-cast-ds-date", "try_cast(ds AS DATE)"),
    ("cast-ds-timestamp", "CAST(ds AS TIMESTAMP)"),
    ("try-cast-s-timestamp", "try_cast(s AS TIMESTAMP)"),
    ("try-cast-s2-date", "try_cast(s2 AS DATE)"),
    ("try-to-timestamp-offset", "try_to_timestamp('2024-03-05T12:34:56+01:00')"),
    ("date-add-text-slashes", "date_add('2024/03/05', 1)"),
    ("datediff-text-trailing", "datediff('2024-03-05 garbage', '2024-03-01')"),
    ("add-months-text-year-month", "add_months('2024-3', 1)"),
    ("next-day-text-t-suffix", "next_day('2024-03-05T10', 'MO')"),
    ("date-add-ds", "date_add(ds, 1)"),
    ("datediff-dt-ds", "datediff(dt, ds)"),
    ("year-text-slashes", "year('2024/03/05')"),
]
# a DOUBLE cast to DECIMAL: Spark rounds the digits Java prints, not the binary value
_DOUBLE_DECIMALS = [
    ("cast-double-decimal-scale-15", "CAST(CAST(70.46 AS DOUBLE) AS DECIMAL(38,15))"),
    ("cast-double-decimal-tie", "CAST(CAST(80.95485 AS DOUBLE) AS DECIMAL(10,4))"),
    ("cast-double-decimal-scale-12", "CAST(CAST(629.0937019490304 AS DOUBLE) AS DECIMAL(38,12))"),
    ("cast-double-column-decimal", "CAST(d / 7 AS DECIMAL(38,18))"),
    ("try-cast-double-column-decimal", "try_cast(d AS DECIMAL(38,15))"),
    ("cast-float-column-decimal", "CAST(f AS DECIMAL(20,15))"),
    ("cast-double-big-decimal", "CAST(CAST(1.116521461317394e18 AS DOUBLE) AS DECIMAL(38,0))"),
    ("cast-bigint-decimal", "CAST(k AS DECIMAL(20,2))"),
    ("cast-decimal-decimal", "CAST(dec AS DECIMAL(10,1))"),
    ("cast-nan-decimal", "CAST(CAST('NaN' AS DOUBLE) AS DECIMAL(10,2))"),
]

_AGGREGATES = [
    ("sort-distinct-collect", "array_sort(array_distinct(collect_list(k)))"),
    ("histogram-counts", "transform(array_sort(array_distinct(collect_list(i))), v -> "
                         "size(filter(collect_list(i), x -> x = v)))"),
    # aggregates of computed values inside lambdas: computed outside the lambda on DuckDB
    ("histogram-counts-computed", "transform(array_sort(array_distinct(collect_list(i % 3))), v -> "
                                  "size(filter(collect_list(i % 3), x -> x = v)))"),
    ("lambda-filter-collect-upper", "transform(array(1, 4), n -> size(filter(collect_list(upper(s)), "
                                    "x -> length(x) > n)))"),
    ("lambda-sum-product", "transform(array(1, 2), n -> n + sum(k * 3))"),
    ("size-distinct-collect-string", "size(array_distinct(collect_list(s)))"),
    ("sum-cast-int", "sum(cast(i as bigint))"),
    ("sum-length-binary", "sum(length(bin))"),
    ("max-base64-binary", "max(base64(bin))"),
    ("count-distinct-hex", "count(DISTINCT hex(bin))"),
    ("avg-bigint", "avg(k * 3)"),
    ("sum-bigint-product", "sum(k * 3)"),
    ("collect-list-lower-binary", "array_sort(collect_list(lower(cast(g as binary))))"),
    # a computed DECIMAL beside a finer one: sum(dec) is DECIMAL(20,2) on Spark, DECIMAL(38,2) on DuckDB
    ("sum-decimal-array-finer", "array(sum(dec), 0.005)"),
    ("sum-decimal-case-finer", "CASE WHEN count(*) > 0 THEN sum(dec) ELSE 0.001 END"),
    ("sum-decimal-greatest-finer", "greatest(sum(CAST(k AS DECIMAL(10,0))), 0.5)"),
    ("sum-decimal-coalesce-coarser", "coalesce(sum(dec), 0.5)"),
    ("sum-decimal-in-finer", "sum(dec) IN (10.01, 0.005)"),
    ("max-decimal-array-finer", "array(max(dec), 0.005)"),
]  # fmt: skip

# set operations: Spark casts each column of the branches to their wider common type
_SET_QUERIES = [
    ("union-bigint-string", "SELECT k AS c FROM fid_in UNION ALL SELECT '7'"),
    ("union-float-int", "SELECT f AS c FROM fid_in UNION ALL SELECT 1"),
    ("union-date-string", "SELECT dt AS c FROM fid_in UNION ALL SELECT '2024-01-01'"),
    ("union-boolean-int", "SELECT b AS c FROM fid_in UNION ALL SELECT 1"),
    ("union-string-int", "SELECT s AS c FROM fid_in UNION ALL SELECT 1"),
    ("union-sum-decimal-finer", "SELECT sum(dec) AS c FROM fid_in UNION ALL SELECT 0.005"),
    ("union-bigint-decimal", "SELECT k AS c FROM fid_in UNION ALL SELECT dec FROM fid_in"),
    ("union-date-timestamp", "SELECT dt AS c FROM fid_in UNION ALL SELECT ts FROM fid_in"),
    (
        "union-three-branches",
        "SELECT k, s FROM fid_in UNION ALL SELECT i, g FROM fid_in UNION ALL SELECT 1, 'y'",
    ),
    ("union-distinct-strings", "SELECT g AS c FROM fid_in UNION SELECT s FROM fid_in"),
    ("union-cte", "WITH a AS (SELECT k FROM fid_in) SELECT k FROM a UNION SELECT i FROM fid_in"),
    ("union-int-decimal-literal", "SELECT i AS c FROM fid_in UNION ALL SELECT 2.5"),
    ("intersect-int-decimal", "SELECT i AS c FROM fid_in INTERSECT SELECT 3.0"),
    ("except-int-double", "SELECT i AS c FROM fid_in EXCEPT SELECT 3.5D"),
    ("union-in-subquery", "SELECT id FROM fid_in WHERE k IN (SELECT i FROM fid_in UNION SELECT 7)"),
    # an inline table's columns: the rows' wider common type, a STRING not promoted
    ("values-int-decimal", "SELECT * FROM VALUES (1), (2.5) AS v(c)"),
    ("values-float-int", "SELECT * FROM VALUES (CAST(0.1 AS FLOAT)), (1) AS v(c)"),
    ("values-bigint-decimal", "SELECT * FROM VALUES (1L), (2.5) AS v(c)"),
    ("values-float-bigint", "SELECT * FROM VALUES (1L), (CAST(0.5 AS FLOAT)) AS v(c)"),
    ("values-float-decimal", "SELECT * FROM VALUES (CAST(0.1 AS FLOAT)), (2.5) AS v(c)"),
    ("values-arrays", "SELECT * FROM VALUES (array(1)), (array(2.5)) AS v(c)"),
    ("values-int-string", "SELECT * FROM VALUES (1), ('7') AS v(c)"),
    ("values-boolean-int", "SELECT * FROM VALUES (true), (1) AS v(c)"),
    ("values-date-string", "SELECT * FROM VALUES (DATE '2020-01-01'), ('2020-01-02') AS v(c)"),
    (
        "values-date-timestamp",
        "SELECT * FROM VALUES (DATE '2020-01-01'), (TIMESTAMP '2020-01-02 03:04:05') AS v(c)",
    ),
    ("values-two-columns", "SELECT * FROM VALUES (1, 'a'), (2.5, 'b') AS v(x, y)"),
    ("values-expression-string", "SELECT * FROM VALUES ('7'), (1 + 1) AS v(c)"),
    # comparisons of columns of two types
    ("cmp-boolean-int", "SELECT id FROM fid_in WHERE b = i"),
    ("cmp-binary-string", "SELECT id FROM fid_in WHERE bin = s"),
    ("cmp-bigint-string", "SELECT id FROM fid_in WHERE k = s"),
    ("cmp-date-string", "SELECT id FROM fid_in WHERE dt = ds"),
    ("cmp-decimal-double", "SELECT id FROM fid_in WHERE dec = d"),
    ("cmp-date-timestamp", "SELECT id FROM fid_in WHERE dt = ts"),
]

COMPOSITIONS: tuple[Case, ...] = tuple(
    [
        Case(id=i, group=_GROUP, sql=sql, kind=Kind.SCALAR)
        for i, sql in _BINARY + _NUMERIC + _ARRAYS + _NESTED + _TEXT_DATETIMES + _DOUBLE_DECIMALS
    ]
    + [Case(id=i, group=_GROUP, sql=sql, kind=Kind.SCALAR) for i, sql in _FLOATS]
    + [Case(id=i, group=_GROUP, sql=sql, kind=Kind.AGG) for i, sql in _AGGREGATES]
    + [Case(id=i, group=_GROUP, sql=sql, kind=Kind.QUERY) for i, sql in _FLOAT_QUERIES + _SET_QUERIES]
)
