"""The catalogue: Spark SQL forms that identity-unification SQL plausibly uses, as data.

Each case is evaluated on local Spark (ANSI on, as Databricks SQL warehouses run, and
again with ANSI off, as clusters default) and on DuckDB through ``translate_statement``,
over the rows of :mod:`tests.fidelity.inputs`. The harness decides the outcome
(identical, within tolerance, refused, both fail); nothing here states an expected value.

Kinds:
  scalar  - an expression over ``fid_in``; all of them run as one wide SELECT per engine
  agg     - an aggregate over ``fid_in`` grouped by ``g``; one wide SELECT
  window  - a window expression over ``fid_in``; one wide SELECT
  query   - a whole query, run on its own (explode, grouping sets, joins, ...)
  error   - an expression Spark (ANSI) fails on; DuckDB must fail too (or refuse it)
  script  - statements then a final query, run in a fresh schema on each engine
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["CASES", "Case", "Kind"]


class Kind(StrEnum):
    SCALAR = "scalar"
    AGG = "agg"
    WINDOW = "window"
    QUERY = "query"
    ERROR = "error"
    SCRIPT = "script"


@dataclass(frozen=True, kw_only=True)
class Case:
    id: str
    group: str
    sql: str  # an expression (scalar/agg/window/error), a query, or ';'-separated statements (script)
    kind: Kind = Kind.SCALAR
    nondeterministic: bool = False  # compared by type and closeness (current_timestamp, now)

    def __post_init__(self) -> None:
        if not self.id.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"Case.id {self.id!r}: use letters, digits, '-' and '_' only")


def _cases(group: str, kind: Kind, rows: list[tuple[str, str]], **kw: bool) -> list[Case]:
    return [Case(id=i, group=group, sql=sql, kind=kind, **kw) for i, sql in rows]


S, A, W, Q, E, T = Kind.SCALAR, Kind.AGG, Kind.WINDOW, Kind.QUERY, Kind.ERROR, Kind.SCRIPT

_NOW = _cases(
    "date and time",
    S,
    [
        ("current_timestamp-call", "current_timestamp()"),
        ("current_timestamp-bare", "current_timestamp"),
        ("now", "now()"),
        ("current_date", "current_date()"),
        ("unix_timestamp-0", "unix_timestamp()"),
        ("unix_timestamp-now-fmt", "unix_timestamp(current_timestamp(), 'yyyy-MM-dd HH:mm:ss')"),
    ],
    nondeterministic=True,
)

_DATETIME = _cases(
    "date and time",
    S,
    [
        ("unix_timestamp-str", "unix_timestamp(ds)"),
        ("unix_timestamp-str-fmt", "unix_timestamp(ds, 'yyyy-MM-dd HH:mm:ss')"),
        ("unix_timestamp-date-fmt", "unix_timestamp(substr(ds, 1, 10), 'yyyy-MM-dd')"),
        ("unix_timestamp-ts", "unix_timestamp(ts)"),
        ("unix_timestamp-ts-fmt", "unix_timestamp(ts, 'yyyy-MM-dd')"),
        ("unix_timestamp-date", "unix_timestamp(dt)"),
        ("to_unix_timestamp", "to_unix_timestamp(ds)"),
        ("from_unixtime", "from_unixtime(k)"),
        ("from_unixtime-fmt", "from_unixtime(k, 'yyyy-MM-dd')"),
        ("from_unixtime-fmt-time", "from_unixtime(k * 86399, 'yyyy/MM/dd HH:mm')"),
        ("to_timestamp-str", "to_timestamp(ds)"),
        ("to_timestamp-fmt", "to_timestamp(ds, 'yyyy-MM-dd HH:mm:ss')"),
        ("to_date-str", "to_date(ds)"),
        ("to_date-fmt", "to_date(substr(ds, 1, 10), 'yyyy-MM-dd')"),
        ("to_date-ts", "to_date(ts)"),
        ("date_format-date", "date_format(ts, 'yyyy-MM-dd')"),
        ("date_format-datetime", "date_format(ts, 'yyyy-MM-dd HH:mm:ss')"),
        ("date_format-dmy", "date_format(ts, 'dd/MM/yyyy HH:mm')"),
        ("date_format-compact", "date_format(dt, 'yyyyMMdd')"),
        ("date_format-dayname", "date_format(ts, 'EEE')"),
        ("date_add", "date_add(dt, 3)"),
        ("date_add-neg", "date_add(dt, -1)"),
        ("date_sub", "date_sub(dt, 3)"),
        ("datediff", "datediff(dt, DATE '2024-01-01')"),
        ("datediff-ts", "datediff(ts, dt)"),
        ("months_between", "months_between(ts, TIMESTAMP '2024-01-15 00:00:00')"),
        ("months_between-dates", "months_between(dt, DATE '2024-01-31')"),
        ("date_trunc-month", "date_trunc('MONTH', ts)"),
        ("date_trunc-day", "date_trunc('DAY', ts)"),
        ("date_trunc-hour", "date_trunc('HOUR', ts)"),
        ("date_trunc-year", "date_trunc('YEAR', ts)"),
        ("date_trunc-week", "date_trunc('WEEK', ts)"),
        ("trunc-date", "trunc(dt, 'MM')"),
        ("timestamp-literal", "TIMESTAMP '2024-01-01 00:00:00'"),
        ("date-literal", "DATE '2024-01-01'"),
        ("cast-str-timestamp", "CAST(ds AS TIMESTAMP)"),
        ("cast-short-fields-timestamp", "CAST('2024-3-5 1:2:3' AS TIMESTAMP)"),
        ("cast-ts-date", "CAST(ts AS DATE)"),
        ("cast-date-ts", "CAST(dt AS TIMESTAMP)"),
        ("cast-ts-string", "CAST(ts AS STRING)"),
        ("cast-date-string", "CAST(dt AS STRING)"),
        ("year", "year(ts)"),
        ("month", "month(ts)"),
        ("dayofmonth", "dayofmonth(dt)"),
        ("hour", "hour(ts)"),
        ("minute", "minute(ts)"),
        ("second", "second(ts)"),
        ("dayofweek", "dayofweek(dt)"),
        ("weekofyear", "weekofyear(dt)"),
        ("last_day", "last_day(dt)"),
        ("add_months", "add_months(dt, 1)"),
        ("from_utc_timestamp", "from_utc_timestamp(ts, 'America/New_York')"),
        ("to_utc_timestamp", "to_utc_timestamp(ts, 'Asia/Kolkata')"),
        ("ts-compare", "ts > TIMESTAMP '2024-01-01 00:00:00'"),
    ],
)

_STRINGS = _cases(
    "strings",
    S,
    [
        ("concat", "concat(s, s2)"),
        ("concat-literal", "concat(s, '|')"),
        ("concat-pipe", "s || s2"),
        ("concat_ws", "concat_ws('-', s, s2)"),
        ("concat_ws-null", "concat_ws('-', s, NULL, 'z')"),
        ("concat_ws-array", "concat_ws(',', sarr)"),
        ("substr-pos", "substr(s, 2)"),
        ("substr-neg", "substr(s, -3)"),
        ("substr-neg-len", "substr(s, -3, 2)"),
        ("substr-zero", "substr(s, 0, 2)"),
        ("substring-len", "substring(s, 2, 3)"),
        ("left", "left(s, 2)"),
        ("right", "right(s, 2)"),
        ("lpad", "lpad(s, 5, 'x')"),
        ("lpad-short", "lpad(s, 2)"),
        ("lpad-default", "lpad(s2, 4)"),
        ("rpad", "rpad(s, 5, 'xy')"),
        ("rpad-default", "rpad(s2, 3)"),
        ("split", "split(s, ',')"),
        ("split-regex", "split(s, '[,;]')"),
        ("split-limit", "split(s, ',', 2)"),
        ("split-limit-neg", "split(s, ',', -1)"),
        ("split-dot", "split(s, '.')"),
        ("regexp_replace", "regexp_replace(s, '[0-9]+', 'N')"),
        ("regexp_replace-groups", "regexp_replace(s, '([a-z]+)-([a-z]+)', '$2+$1')"),
        ("regexp_replace-class", "regexp_replace(s, '\\\\s+', '_')"),
        ("regexp_extract", "regexp_extract(s, '([a-z]+)', 1)"),
        ("regexp_extract-group2", "regexp_extract(s, '([a-z]+)-([a-z]+)', 2)"),
        ("regexp_extract-group0", "regexp_extract(s, '[a-z]+', 0)"),
        ("regexp_extract-default", "regexp_extract(s, '([0-9]+)')"),
        ("rlike", "s RLIKE 'a.c'"),
        ("rlike-anchored", "s RLIKE '^[0-9]+$'"),
        ("rlike-escape", "s RLIKE '\\\\d{2}'"),
        ("rlike-flag", "s RLIKE '(?i)hello'"),
        ("rlike-posix", "s RLIKE '\\\\p{Alpha}+'"),
        ("regexp_like", "regexp_like(s, '\\\\s')"),
        ("regexp", "s REGEXP 'o+'"),
        ("like", "s LIKE 'a%'"),
        ("like-underscore", "s LIKE '_b%'"),
        ("ilike", "s ILIKE 'HELLO%'"),
        ("trim", "trim(s)"),
        ("ltrim", "ltrim(s)"),
        ("rtrim", "rtrim(s)"),
        ("trim-both-chars", "trim(BOTH 'a' FROM s)"),
        ("trim-leading-chars", "trim(LEADING 'a' FROM s)"),
        ("trim-trailing-chars", "trim(TRAILING 'c' FROM s)"),
        ("btrim", "btrim(s, 'ab')"),
        ("initcap", "initcap(s)"),
        ("translate", "translate(s, 'abc', 'xy')"),
        ("instr", "instr(s, 'b')"),
        ("locate", "locate('b', s)"),
        ("locate-pos", "locate('b', s, 3)"),
        ("position-in", "position('b' IN s)"),
        ("lower", "lower(s)"),
        ("upper", "upper(s)"),
        ("length", "length(s)"),
        ("char_length", "char_length(s)"),
        ("octet_length", "octet_length(s)"),
        ("reverse", "reverse(s)"),
        ("repeat", "repeat(s2, 3)"),
        ("replace", "replace(s, 'a', 'A')"),
        ("string-compare", "s < s2"),
        ("string-equal", "s = s2"),
        ("startswith", "startswith(s, 'a')"),
        ("contains", "contains(s, 'b')"),
        ("ascii", "ascii(s)"),
        ("format_string", "format_string('%s-%d', s, k)"),
        ("space", "concat('[', space(2), ']')"),
    ],
)

_HASHING = _cases(
    "hashing and encoding",
    S,
    [
        ("sha2-256", "sha2(s, 256)"),
        ("sha2-224", "sha2(s, 224)"),
        ("sha2-384", "sha2(s, 384)"),
        ("sha2-512", "sha2(s, 512)"),
        ("sha2-0", "sha2(s, 0)"),
        ("md5", "md5(s)"),
        ("sha1", "sha1(s)"),
        ("sha", "sha(s)"),
        ("crc32", "crc32(s)"),
        ("xxhash64", "xxhash64(s)"),
        ("hash", "hash(s)"),
        ("base64", "base64(s)"),
        ("unbase64", "unbase64(base64(s))"),
        ("hex-string", "hex(s)"),
        ("hex-bigint", "hex(n)"),
        ("hex-negative", "hex(k)"),
        ("unhex", "unhex(hex(s))"),
        ("base64-unhex", "base64(unhex('0ffdbcf0c666ce190d'))"),
        ("conv-16-10", "conv(hex(n), 16, 10)"),
        ("conv-16-neg10", "conv(hex(k), 16, -10)"),
        ("conv-10-16", "conv(CAST(k AS STRING), 10, 16)"),
        ("conv-2-10", "conv('101', 2, 10)"),
        ("conv-36", "conv(s2, 36, 10)"),
        # the macro's fast path (only digits, below 2^63) and its edges: 15 and 16 hex digits,
        # 18 and 19 decimal digits, leading zeros, a sign, spaces, a trailing invalid digit
        ("conv-16-10-15-digits", "conv(substr(sha2(s, 256), 1, 15), 16, 10)"),
        ("conv-16-10-16-digits", "conv(substr(sha2(s, 256), 1, 16), 16, 10)"),
        ("conv-10-16-18-digits", "conv(concat(CAST(abs(k) % 1000 AS STRING), '123456789012345'), 10, 16)"),
        (
            "conv-10-16-19-digits",
            "conv(concat(CAST(abs(k) % 1000 + 9000 AS STRING), '123456789012345'), 10, 16)",
        ),
        ("conv-leading-zeros", "conv(concat('0000', hex(k)), 16, 10)"),
        ("conv-signed-spaced", "conv(concat(' -', CAST(abs(k) AS STRING), 'z'), 10, 16)"),
    ],
)

_COLLECTIONS = _cases(
    "arrays, maps, structs",
    S,
    [
        ("array", "array(1, 2, 3)"),
        ("array-empty", "size(array())"),
        ("array-strings", "array(s, s2)"),
        ("array_contains", "array_contains(arr, 1)"),
        ("array_distinct", "array_distinct(arr)"),
        ("array_sort", "array_sort(arr)"),
        ("array_sort-strings", "array_sort(sarr)"),
        (
            "array_sort-structs",
            "array_sort(array(named_struct('a', k, 'b', s2), named_struct('a', 1L, 'b', 'x')))",
        ),
        (
            "array_sort-lambda",
            "array_sort(arr, (l, r) -> CASE WHEN l < r THEN 1 WHEN l > r THEN -1 ELSE 0 END)",
        ),
        ("sort_array", "sort_array(arr)"),
        ("sort_array-desc", "sort_array(arr, false)"),
        ("slice", "slice(arr, 1, 2)"),
        ("slice-neg", "slice(arr, -1, 1)"),
        ("flatten", "flatten(array(arr, arr))"),
        ("size-array", "size(arr)"),
        ("size-map", "size(m)"),
        ("cardinality", "cardinality(arr)"),
        ("element_at", "IF(size(arr) > 0, element_at(arr, 1), NULL)"),
        ("element_at-neg", "IF(size(arr) > 0, element_at(arr, -1), NULL)"),
        ("element_at-map", "element_at(m, 'a')"),
        ("subscript-array", "IF(size(arr) > 0, arr[0], NULL)"),
        ("subscript-map", "m['a']"),
        ("array_join", "array_join(sarr, ',')"),
        ("array_join-nullrep", "array_join(sarr, ',', '?')"),
        ("arrays_zip", "arrays_zip(arr, sarr)"),
        ("filter", "filter(arr, x -> x > 1)"),
        ("transform", "transform(arr, x -> x % 7)"),
        ("transform-strings", "transform(sarr, x -> concat(x, '!'))"),
        ("transform-index", "transform(arr, (x, i) -> x + i)"),
        ("exists", "exists(arr, x -> x = 5)"),
        ("forall", "forall(arr, x -> x > 0)"),
        ("aggregate", "aggregate(arr, 0L, (acc, x) -> acc + x)"),
        ("aggregate-finish", "aggregate(arr, 0L, (acc, x) -> acc + x, acc -> acc * 10)"),
        ("map_from_arrays", "map_from_arrays(array('a', 'b'), array(k, 2))"),
        ("map_entries", "map_entries(m)"),
        ("map_keys", "map_keys(m)"),
        ("map_values", "map_values(m)"),
        ("map-literal", "map('a', k)"),
        ("named_struct", "named_struct('a', k, 'b', s2)"),
        ("struct", "struct(k, s2)"),
        ("struct-field", "named_struct('a', k, 'b', s2).a"),
        ("struct-compare", "struct(k, s2) < struct(3L, 'b')"),
        ("array_max", "array_max(arr)"),
        ("array_min", "array_min(arr)"),
        ("array_position", "array_position(arr, 5)"),
        ("array_remove", "array_remove(arr, 5)"),
        ("array_union", "array_union(arr, array(1L))"),
        ("array_intersect", "array_intersect(arr, array(1L, 2L))"),
        ("array_except", "array_except(arr, array(1L))"),
        ("arrays_overlap", "arrays_overlap(arr, array(1L, 5L))"),
        ("sequence", "sequence(1, 3)"),
        # elements of the common type of the bounds (INT here): INT's overflow flows on
        ("sequence-element-overflow", "sequence(1, 3)[2] * 2000000000"),
        ("sequence-of-i", "sequence(i, i + 2)"),
        ("sequence-tinyint", "sequence(CAST(1 AS TINYINT), CAST(3 AS TINYINT))"),
        ("array_repeat", "array_repeat(s2, 2)"),
        ("array_append", "array_append(arr, 9L)"),
        ("array-equal", "arr = array(3L, 1L, 2L)"),
    ],
)

_SEMANTICS = _cases(
    "semantics",
    S,
    [
        ("cast-int-trim", "CAST(' 12 ' AS INT)"),
        ("try_cast", "try_cast(s2 AS INT)"),
        ("try_cast-date", "try_cast(s AS DATE)"),
        ("cast-bool-str", "CAST('true' AS BOOLEAN)"),
        ("cast-bigint-string", "CAST(k AS STRING)"),
        ("cast-double-string", "CAST(d AS STRING)"),
        ("cast-decimal-string", "CAST(dec AS STRING)"),
        ("cast-bool-string", "CAST(b AS STRING)"),
        ("cast-double-bigint", "CAST(CAST(2.7 AS DOUBLE) AS BIGINT)"),
        ("cast-negative-double-int", "CAST(CAST(-2.7 AS DOUBLE) AS INT)"),
        ("cast-decimal-bigint", "CAST(dec AS BIGINT)"),
        ("cast-string-bigint", "CAST(CAST(k AS STRING) AS BIGINT)"),
        ("cast-decimal", "CAST(k AS DECIMAL(12,3))"),
        ("div", "k DIV 2"),
        ("div-neg", "-7 DIV 2"),
        ("mod", "k % 3"),
        ("mod-neg", "-7 % 3"),
        ("pmod", "pmod(k, 3)"),
        ("pmod-neg", "pmod(-7, 3)"),
        ("slash-div", "k / 2"),
        ("decimal-mul", "dec * 2"),
        ("decimal-div", "dec / 3"),
        ("decimal-add", "dec + 1.5"),
        ("decimal-literal-add", "0.1 + 0.2"),
        ("double-add", "CAST(0.1 AS DOUBLE) + 0.2"),
        ("double-ops", "d * 2"),
        ("null-safe-eq", "k <=> NULL"),
        ("null-safe-eq-cols", "s <=> s2"),
        ("is-distinct", "s IS DISTINCT FROM s2"),
        ("is-not-distinct", "s IS NOT DISTINCT FROM NULL"),
        ("nvl", "nvl(s, 'z')"),
        ("nvl2", "nvl2(s, 'y', 'n')"),
        ("ifnull", "ifnull(s, 'z')"),
        ("coalesce", "coalesce(s, s2, 'z')"),
        ("if", "IF(k > 0, 'pos', 'neg')"),
        ("case-searched", "CASE WHEN k > 0 THEN 'p' WHEN k < 0 THEN 'n' END"),
        ("case-simple", "CASE k WHEN 1 THEN 'one' ELSE 'other' END"),
        ("nullif", "nullif(s, '')"),
        ("greatest", "greatest(k, 0, NULL)"),
        ("least", "least(k, 0)"),
        ("abs", "abs(k)"),
        ("round", "round(d, 1)"),
        ("round-half", "round(2.5)"),
        ("bround", "bround(2.5)"),
        ("floor", "floor(d)"),
        ("ceil", "ceil(dec)"),
        ("power", "power(2, 10)"),
        ("sqrt", "sqrt(abs(d))"),
        ("between", "k BETWEEN 0 AND 5"),
        ("in-null", "s IN ('abc', NULL)"),
        ("not-in", "s NOT IN ('abc', '')"),
        ("string-int-compare", "'1' = 1"),
        ("bitwise-xor", "k ^ 5"),
        ("bitwise-and", "k & 6"),
        ("shiftleft", "shiftleft(k, 2)"),
        ("nan-equal", "d = d"),
        ("double-divide-decimal", "d / 2.0"),
    ],
)

_ERRORS = _cases(
    "semantics",
    E,
    [
        ("cast-bad-int", "CAST('abc' AS INT)"),
        ("cast-empty-int", "CAST('' AS INT)"),
        ("cast-fraction-int", "CAST('1.5' AS INT)"),
        ("cast-bad-date", "CAST('2024-13-01' AS DATE)"),
        ("cast-bad-bool", "CAST('maybe' AS BOOLEAN)"),
        ("divide-by-zero", "7 / 0"),
        ("double-divide-by-zero", "CAST(1.5 AS DOUBLE) / 0.0"),
        ("div-by-zero", "7 DIV 0"),
        ("bigint-overflow", "CAST(9223372036854775807 AS BIGINT) + 1"),
        ("int-overflow", "CAST(2147483647 AS INT) + 1"),
        ("unix_timestamp-bad", "unix_timestamp('not a date')"),
        ("to_date-bad", "to_date('2024-02-30')"),
        ("conv-overflow", "conv('1ffffffffffffffff', 16, 10)"),
        ("unix_timestamp-short-fields", "unix_timestamp('2024-3-5 1:2:3')"),
        ("to_timestamp-bad", "to_timestamp('2024-01-01 25:00:00')"),
        ("to_timestamp-short-fields", "to_timestamp('2024-3-5 1:2:3', 'yyyy-MM-dd HH:mm:ss')"),
        ("to_date-fmt-bad", "to_date('2024/03/05', 'yyyy-MM-dd')"),
        ("element_at-zero", "element_at(array(1, 2), 0)"),
        ("element_at-out-of-bounds", "element_at(array(1, 2), 3)"),
        ("subscript-out-of-bounds", "array(1, 2)[2]"),
        ("upper-special", "upper('ﬁ')"),
        ("decimal-division", "CAST(1 AS DECIMAL(10,2)) / 3"),
    ],
)

_AGGREGATES = _cases(
    "aggregates and windows",
    A,
    [
        ("count-star", "count(*)"),
        ("count-col", "count(s)"),
        ("count-distinct", "count(DISTINCT s2)"),
        ("sum", "sum(k)"),
        ("avg", "avg(k)"),
        ("sum-decimal", "sum(dec)"),
        ("avg-decimal", "avg(dec)"),
        ("min-string", "min(s)"),
        ("max-string", "max(s)"),
        ("collect_list", "array_sort(collect_list(s2))"),
        ("collect_list-size", "size(collect_list(s))"),
        ("collect_set", "array_sort(collect_set(s2))"),
        ("count_if", "count_if(k > 0)"),
        ("bool_or", "bool_or(b)"),
        ("bool_and", "bool_and(b)"),
        ("every", "every(b)"),
        ("some", "some(b)"),
        ("max_by", "max_by(s2, k)"),
        ("min_by", "min_by(s2, k)"),
        ("min-struct", "min(struct(k, s2))"),
        ("max-named_struct", "max(named_struct('k', k, 's', s2))"),
        ("first-unordered", "first(s)"),
        ("last-ignore-nulls", "last(s, true)"),
        ("sum-empty-group", "sum(CASE WHEN k > 1000000 THEN k END)"),
        ("stddev", "stddev(d)"),
        ("approx_count_distinct", "approx_count_distinct(s)"),
    ],
)

_WINDOWS = _cases(
    "aggregates and windows",
    W,
    [
        ("row_number", "row_number() OVER (PARTITION BY g ORDER BY id)"),
        ("rank", "rank() OVER (ORDER BY k)"),
        ("dense_rank", "dense_rank() OVER (ORDER BY k DESC)"),
        ("rank-nulls", "rank() OVER (ORDER BY s2)"),
        ("lag", "lag(k) OVER (ORDER BY id)"),
        ("lag-default", "lag(k, 2, 0) OVER (ORDER BY id)"),
        ("lead", "lead(s2) OVER (PARTITION BY g ORDER BY id)"),
        ("first_value", "first_value(s) OVER (PARTITION BY g ORDER BY id)"),
        ("first_value-ignore-nulls", "first_value(s2, true) OVER (ORDER BY id DESC)"),
        ("first_value-ignore-nulls-clause", "first_value(s2) IGNORE NULLS OVER (ORDER BY id DESC)"),
        ("last_value-default-frame", "last_value(s2) OVER (ORDER BY id)"),
        (
            "last_value-full-frame",
            "last_value(s2) OVER (PARTITION BY g ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)",
        ),
        ("last_value-ignore-nulls", "last_value(s2, true) OVER (ORDER BY id)"),
        ("first-window", "first(s2) OVER (ORDER BY id)"),
        ("sum-running", "sum(k) OVER (PARTITION BY g ORDER BY id)"),
        ("sum-rows-frame", "sum(k) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING)"),
        ("count-partition", "count(*) OVER (PARTITION BY g)"),
        ("ntile", "ntile(3) OVER (ORDER BY id)"),
        ("percent_rank", "percent_rank() OVER (ORDER BY id)"),
        (
            "collect_list-window",
            "collect_list(k) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)",
        ),
    ],
)

_QUERIES = _cases(
    "semantics",
    Q,
    [
        ("grouping-sets", "SELECT g, b, count(*) AS c FROM fid_in GROUP BY GROUPING SETS ((g), (b), ())"),
        ("rollup", "SELECT g, b, sum(k) AS s FROM fid_in GROUP BY ROLLUP (g, b)"),
        ("cube", "SELECT g, b, count(*) AS c FROM fid_in GROUP BY CUBE (g, b)"),
        ("grouping-id", "SELECT g, grouping(g) AS gr, count(*) AS c FROM fid_in GROUP BY ROLLUP (g)"),
        (
            "qualify",
            "SELECT g, id FROM fid_in QUALIFY row_number() OVER (PARTITION BY g ORDER BY id DESC) = 1",
        ),
        # decimal arithmetic above precision 38: Spark rounds to a smaller scale (refused when run)
        # a BD literal or a text with an exponent: Java's BigDecimal reads it, DuckDB's cast did not
        ("decimal-literal-exponent", "SELECT 1E-7BD AS a, 1.5E2BD AS b, 1.5BD AS c"),
        (
            "decimal-cast-exponent-text",
            "SELECT CAST('2.5e1' AS DECIMAL(5,1)) AS a, CAST(' 1E-2' AS DECIMAL(4,3)) AS b",
        ),
        ("decimal-wide-plus-int", "SELECT CAST(1.0000000001 AS DECIMAL(38,10)) + 1 AS h"),
        (
            "decimal-wide-plus-wide",
            "SELECT CAST(1.0000000001 AS DECIMAL(38,10)) + CAST(1.5 AS DECIMAL(38,2)) AS h",
        ),
        ("decimal-wide-minus-bigint", "SELECT CAST(1.0000000001 AS DECIMAL(38,10)) - CAST(1 AS BIGINT) AS h"),
        (
            "decimal-times-loses-scale",
            "SELECT CAST(1.0000000001 AS DECIMAL(20,10)) * CAST(1.0000000001 AS DECIMAL(20,10)) AS h",
        ),
        (
            "decimal-sum-plus",
            "SELECT sum(CAST(dec AS DECIMAL(38,10))) + CAST(1.5 AS DECIMAL(38,2)) AS h FROM fid_in",
        ),
        (
            "decimal-in-where",
            "SELECT id FROM fid_in WHERE CAST(dec AS DECIMAL(38,18)) + 1 > 2",
        ),
        (
            "decimal-group-key",
            "SELECT count(*) AS c FROM fid_in GROUP BY CAST(dec AS DECIMAL(38,18)) + 1",
        ),
        # and where Spark keeps every decimal
        ("decimal-group-key-in-a-tree", "SELECT (k + 1) * 2 AS h, count(*) AS c FROM fid_in GROUP BY k + 1"),
        (
            "decimal-times-keeps-scale",
            "SELECT CAST(1.01 AS DECIMAL(36,2)) * CAST(1.001 AS DECIMAL(10,3)) AS h",
        ),
        ("decimal-wide-scale-2-plus", "SELECT CAST(dec AS DECIMAL(38,2)) + 1 AS h FROM fid_in"),
        ("decimal-narrow-chain", "SELECT id, (dec + 1) * 3 - 2 AS h FROM fid_in"),
        # Spark's sum of integers and count_if are BIGINT: their overflow and bits flow on as BIGINT's
        ("sum-times-overflow", "SELECT g, sum(k) * 100000000000000 AS h FROM fid_in GROUP BY g"),
        ("sum-plus", "SELECT g, sum(i) + 9223372036854775000 AS h FROM fid_in GROUP BY g"),
        ("sum-shiftleft", "SELECT g, shiftleft(sum(k), 40) AS h, ~sum(k) AS n FROM fid_in GROUP BY g"),
        ("sum-distinct-times", "SELECT g, sum(DISTINCT k) * 100000000000000 AS h FROM fid_in GROUP BY g"),
        ("count-if-times", "SELECT g, count_if(k > 0) * 4611686018427387904 AS h FROM fid_in GROUP BY g"),
        (
            "window-sum-times",
            "SELECT id, sum(k) OVER (PARTITION BY g) * 100000000000000 AS h FROM fid_in",
        ),
        ("sum-in-array", "SELECT g, array(sum(k), 1) AS h FROM fid_in GROUP BY g"),
        # a window's alias in QUALIFY: Spark reads it before a source column the select list does not read
        (
            "qualify-window-alias",
            "SELECT g, id, row_number() OVER (PARTITION BY g ORDER BY id DESC) AS rn FROM fid_in QUALIFY rn = 1",
        ),
        (
            "qualify-window-alias-shadowing",
            "SELECT g, id, row_number() OVER (PARTITION BY g ORDER BY id) AS k FROM fid_in QUALIFY k = 1",
        ),
        (
            "qualify-window-expression-alias",
            "SELECT g, id, rank() OVER (PARTITION BY g ORDER BY id) + 10 AS k FROM fid_in QUALIFY k + 0 = 11",
        ),
        (
            "qualify-window-alias-grouped",
            "SELECT g, rank() OVER (ORDER BY g) AS k FROM fid_in GROUP BY g QUALIFY k = 1",
        ),
        (
            "qualify-plain-alias-shadowing",
            "SELECT g, id, 100 AS k FROM fid_in QUALIFY k = 100 AND row_number() OVER (ORDER BY id) < 99",
        ),
        (
            "qualify-window-alias-ambiguous",
            "SELECT g, row_number() OVER (PARTITION BY g ORDER BY id DESC) AS id FROM fid_in QUALIFY id = 1",
        ),
        (
            "qualify-window-alias-star",
            "SELECT *, row_number() OVER (PARTITION BY g ORDER BY id) AS rn FROM fid_in QUALIFY rn = 1",
        ),
        ("group-by-ordinal", "SELECT g, count(*) AS c FROM fid_in GROUP BY 1"),
        ("having", "SELECT g, count(*) AS c FROM fid_in GROUP BY g HAVING count(*) > 3"),
        ("order-nulls", "SELECT s2 FROM fid_in ORDER BY s2 LIMIT 4"),
        ("order-desc-nulls", "SELECT s2 FROM fid_in ORDER BY s2 DESC LIMIT 4"),
        ("distinct", "SELECT DISTINCT g FROM fid_in"),
        ("union", "SELECT g FROM fid_in UNION SELECT s2 FROM fid_in"),
        ("union-all", "SELECT g FROM fid_in UNION ALL SELECT 'z'"),
        ("except", "SELECT g FROM fid_in EXCEPT SELECT 'a'"),
        ("intersect", "SELECT s2 FROM fid_in INTERSECT SELECT g FROM fid_in"),
        ("cte", "WITH x AS (SELECT g, k FROM fid_in WHERE k > 0) SELECT g, sum(k) AS s FROM x GROUP BY g"),
        (
            "cte-chain",
            "WITH a AS (SELECT k FROM fid_in), b AS (SELECT k * 2 AS k2 FROM a) SELECT max(k2) FROM b",
        ),
        ("explode", "SELECT id, explode(arr) AS v FROM fid_in"),
        ("explode_outer", "SELECT id, explode_outer(arr) AS v FROM fid_in"),
        ("explode-map", "SELECT id, explode(m) AS (mk, mv) FROM fid_in"),
        ("posexplode", "SELECT id, posexplode(sarr) AS (p, v) FROM fid_in"),
        ("inline", "SELECT inline(array(struct(1, 'a'), struct(2, 'b')))"),
        ("lateral-view", "SELECT id, v FROM fid_in LATERAL VIEW explode(arr) t AS v"),
        ("lateral-view-outer", "SELECT id, v FROM fid_in LATERAL VIEW OUTER explode(arr) t AS v"),
        # OUTER: a NULL or empty array keeps a row of NULLs
        (
            "lateral-view-outer-posexplode",
            "SELECT id, p, v FROM fid_in LATERAL VIEW OUTER posexplode(sarr) t AS p, v",
        ),
        (
            "lateral-view-outer-then-explode",
            "SELECT id, v, w FROM fid_in LATERAL VIEW OUTER explode(arr) t1 AS v LATERAL VIEW explode(sarr) t2 AS w",
        ),
        ("explode-outer-unaliased", "SELECT id, explode_outer(sarr) FROM fid_in"),
        ("lateral-view-explode-outer", "SELECT id, v FROM fid_in LATERAL VIEW explode_outer(arr) t AS v"),
        ("explode-outer-empty-literal", "SELECT explode_outer(array()) AS v"),
        # posexplode's position is an INT: its overflow flows on as Spark's
        ("lateral-view-posexplode", "SELECT id, p, v FROM fid_in LATERAL VIEW posexplode(sarr) t AS p, v"),
        (
            "lateral-view-posexplode-overflow",
            "SELECT id, p * 2000000000 AS h FROM fid_in LATERAL VIEW posexplode(sarr) t AS p, v",
        ),
        (
            "lateral-view-explode-then-posexplode",
            "SELECT id, a, p, v FROM fid_in LATERAL VIEW explode(arr) t1 AS a "
            "LATERAL VIEW posexplode(sarr) t2 AS p, v",
        ),
        ("posexplode-overflow", "SELECT id, posexplode(sarr) AS (p, v), 1 AS one FROM fid_in"),
        (
            "posexplode-position-times",
            "SELECT p * 2000000000 AS h FROM (SELECT posexplode(sarr) AS (p, v) FROM fid_in)",
        ),
        ("posexplode-table", "SELECT x.a, x.b FROM posexplode(array(10, 20)) AS x(a, b)"),
        ("posexplode-table-default-names", "SELECT pos, col FROM posexplode(array('u', 'v'))"),
        ("values", "SELECT * FROM VALUES (1, 'a'), (2, NULL) AS v(x, y)"),
        ("range-table", "SELECT * FROM range(3)"),
        ("range-table-step", "SELECT id * 2 AS x FROM range(1, 10, 4) AS r"),
        ("left-join", "SELECT a.id, b.id FROM fid_in a LEFT JOIN fid_in b ON a.k = b.k + 6"),
        ("full-join", "SELECT a.id, b.id FROM fid_in a FULL OUTER JOIN fid_in b ON a.k = b.k + 6"),
        (
            "join-using",
            "SELECT g, count(*) FROM fid_in JOIN (SELECT DISTINCT g FROM fid_in) USING (g) GROUP BY g",
        ),
        ("left-semi", "SELECT id FROM fid_in a LEFT SEMI JOIN fid_in b ON a.k = b.k + 6"),
        ("left-anti", "SELECT id FROM fid_in a LEFT ANTI JOIN fid_in b ON a.k = b.k + 6"),
        ("in-subquery", "SELECT id FROM fid_in WHERE k IN (SELECT k + 6 FROM fid_in)"),
        (
            "exists-subquery",
            "SELECT id FROM fid_in a WHERE EXISTS (SELECT 1 FROM fid_in b WHERE b.k = a.k + 6)",
        ),
        ("backticks", "SELECT `g` AS `weird name`, `k` AS `select` FROM fid_in"),
        (
            "comments-odd",
            "SELECT /* inline */ g -- trailing\n , count(*) /* a;b */ AS c FROM fid_in -- x\n GROUP BY g",
        ),
        ("string-escapes", "SELECT 'it\\'s', 'a\\\\b', 'tab\\there', \"double\""),
        ("star-except", "SELECT * EXCEPT (s, s2, sarr, m, arr, d, dec, ts, dt, ds, n, i, b) FROM fid_in"),
        # ORDER BY a position or ALL: the keys they name, guarded as keys written out (order_positions.py)
        ("order-by-all", "SELECT g, k FROM fid_in ORDER BY ALL DESC"),
        ("order-by-position", "SELECT g, count(*) AS c FROM fid_in GROUP BY g ORDER BY 2 DESC, 1"),
        ("order-by-position-star", "SELECT * EXCEPT (m) FROM fid_in ORDER BY 1 DESC"),
        (
            "order-by-position-union",
            "SELECT g AS x, k FROM fid_in UNION ALL SELECT s2, i FROM fid_in ORDER BY 1, 2",
        ),
        # a name inside an ORDER BY expression is the select list's alias in Spark (DuckDB: the column)
        ("order-by-alias-in-expression", "SELECT -k AS k, id FROM fid_in ORDER BY k + 0, id"),
        ("order-by-alias-of-aggregate", "SELECT g, sum(k) AS k FROM fid_in GROUP BY g ORDER BY -k, g"),
        # HAVING reads the select list's aliases first too; DuckDB's HAVING refused an alias of a macro
        ("having-alias", "SELECT g, sum(k) AS s FROM fid_in GROUP BY g HAVING s > 0"),
        ("having-alias-shadowing", "SELECT g, sum(k) AS k FROM fid_in GROUP BY g HAVING k > 0"),
        ("having-boolean-alias", "SELECT g, count(*) > 1 AS many FROM fid_in GROUP BY g HAVING many"),
        (
            "having-grouped-column-before-alias",
            "SELECT g, -id AS id FROM fid_in GROUP BY g, id HAVING id < -3",
        ),
        (
            "order-by-position-array-null-inside",  # DuckDB orders the NULL element last: refused when run
            "SELECT i, a FROM VALUES (1, array(1, NULL)), (2, array(1, 2)), (3, array()) AS v(i, a) ORDER BY 2",
        ),
        (
            "order-by-position-struct",
            "SELECT i, s FROM VALUES (1, named_struct('x', 2)), (2, named_struct('x', 1)), (3, NULL) AS v(i, s) "
            "ORDER BY 2 DESC",
        ),
        ("limit", "SELECT count(*) FROM (SELECT id FROM fid_in ORDER BY id LIMIT 3)"),
        ("pivot", "SELECT * FROM (SELECT g, b FROM fid_in) PIVOT (count(*) FOR b IN (true, false))"),
        ("tablesample", "SELECT count(*) FROM fid_in TABLESAMPLE (50 PERCENT)"),
    ],
)

_SCRIPTS = _cases(
    "statements",
    T,
    [
        (
            "create-or-replace-ctas",
            "CREATE OR REPLACE TABLE t1 AS SELECT g, k FROM fid_in; "
            "CREATE OR REPLACE TABLE t1 AS SELECT g, sum(k) AS k FROM fid_in GROUP BY g; SELECT * FROM t1",
        ),
        # a sum stored is BIGINT, as Spark's: a HUGEINT would not overflow where Spark's BIGINT does
        (
            "ctas-sum-then-overflow",
            "CREATE OR REPLACE TABLE t1 AS SELECT g, sum(k) AS s FROM fid_in GROUP BY g; "
            "SELECT g, s * 100000000000000 AS h FROM t1 ORDER BY g",
        ),
        (
            "create-if-not-exists",
            "CREATE TABLE IF NOT EXISTS t1 (a STRING, b BIGINT); INSERT INTO t1 VALUES ('x', 1); "
            "CREATE TABLE IF NOT EXISTS t1 (a STRING, b BIGINT); SELECT * FROM t1",
        ),
        (
            "create-delta-cluster",
            "CREATE OR REPLACE TABLE t1 (a STRING, b ARRAY<BIGINT>) USING DELTA CLUSTER BY (a); "
            "INSERT INTO t1 SELECT s2, arr FROM fid_in; SELECT * FROM t1",
        ),
        (
            "insert-select",
            "CREATE TABLE t1 (a STRING, b BIGINT); INSERT INTO t1 SELECT s2, k FROM fid_in WHERE k > 0; "
            "INSERT INTO t1 (b, a) VALUES (5, 'five'); SELECT * FROM t1",
        ),
        (
            "insert-overwrite",
            "CREATE TABLE t1 (a STRING); INSERT INTO t1 VALUES ('old'); "
            "INSERT OVERWRITE t1 SELECT g FROM fid_in; SELECT * FROM t1",
        ),
        (
            "insert-overwrite-table",
            "CREATE TABLE t1 (a STRING); INSERT INTO t1 VALUES ('old'); "
            "INSERT OVERWRITE TABLE t1 SELECT 'new'; SELECT * FROM t1",
        ),
        (
            "insert-cte",
            "CREATE TABLE t1 (a STRING, c BIGINT); "
            "INSERT INTO t1 WITH x AS (SELECT g, count(*) AS c FROM fid_in GROUP BY g) SELECT g, c FROM x; "
            "SELECT * FROM t1",
        ),
        (
            "insert-epoch-now",
            "CREATE TABLE t1 (a STRING, processed_at BIGINT); "
            "INSERT INTO t1 SELECT g, unix_timestamp(current_timestamp(), 'yyyy-MM-dd HH:mm:ss') FROM fid_in; "
            "SELECT a, processed_at > 1700000000 FROM t1",
        ),
        (
            "insert-cte-first",
            "CREATE TABLE t1 (a STRING, c BIGINT); "
            "WITH x AS (SELECT g, count(*) AS c FROM fid_in GROUP BY g) INSERT INTO t1 SELECT g, c FROM x; "
            "SELECT * FROM t1",
        ),
        (
            "insert-by-name",
            "CREATE TABLE t1 (a STRING, c BIGINT, d DECIMAL(10,2)); "
            "INSERT INTO t1 BY NAME SELECT dec AS d, k AS c, g AS a FROM fid_in; SELECT * FROM t1",
        ),
        (
            "insert-default",
            "CREATE TABLE t1 (a STRING, b BIGINT); INSERT INTO t1 VALUES ('x', DEFAULT), (DEFAULT, 2); SELECT * FROM t1",
        ),
        (
            "create-like",
            "CREATE TABLE t0 AS SELECT g, k, dec, arr, m FROM fid_in; CREATE TABLE t1 LIKE t0; "
            "INSERT INTO t1 SELECT * FROM t0 WHERE k > 0; SELECT * FROM t1",
        ),
        (
            "create-typed-columns-as-query",
            "CREATE TABLE t1 (a BIGINT) AS SELECT k AS a FROM fid_in; SELECT * FROM t1",
        ),
        (
            "merge-into",
            "CREATE TABLE t1 (g STRING, c BIGINT); INSERT INTO t1 VALUES ('a', 100), ('z', 1); "
            "MERGE INTO t1 USING (SELECT g, count(*) AS c FROM fid_in GROUP BY g) AS src ON t1.g = src.g "
            "WHEN MATCHED THEN UPDATE SET c = t1.c + src.c WHEN NOT MATCHED THEN INSERT (g, c) VALUES (src.g, src.c); "
            "SELECT * FROM t1",
        ),
        (
            # engines/duckdb/merge.py: the contract's form runs as a delete and insert; every kind of column
            "merge-update-typed-columns",
            "CREATE TABLE t1 AS SELECT id, g, k, dec, arr, bin, m FROM fid_in; "
            "MERGE INTO t1 AS x USING (SELECT g, count(*) AS c, sum(dec) AS sd FROM fid_in GROUP BY g) AS s "
            "ON x.g = s.g AND x.id % 2 = 1 WHEN MATCHED THEN UPDATE SET x.k = x.k + s.c, x.dec = s.sd, "
            "x.arr = array_union(x.arr, array(s.c)), x.bin = concat(x.bin, X'FF'), x.m = map_concat(x.m, map('n', s.c)); "
            "SELECT * FROM t1",
        ),
        (
            "merge-source-reads-the-target",
            "CREATE TABLE t1 AS SELECT id, g, k FROM fid_in; "
            "MERGE INTO t1 USING (SELECT id, g, k * 2 AS k FROM t1 WHERE k > 0 UNION ALL SELECT 100, 'new', NULL) s "
            "ON t1.id = s.id WHEN MATCHED THEN UPDATE SET k = s.k, g = concat(t1.g, s.g) "
            "WHEN NOT MATCHED THEN INSERT (id, g, k) VALUES (s.id, s.g, s.k); SELECT * FROM t1",
        ),
        (
            "merge-stored-source-null-keys",
            "CREATE TABLE t1 AS SELECT s2, k FROM fid_in; CREATE TABLE t2 AS SELECT s2, max(i) AS i FROM fid_in GROUP BY s2; "
            "MERGE INTO t1 USING t2 ON t1.s2 = t2.s2 WHEN MATCHED THEN UPDATE SET k = t2.i "
            "WHEN NOT MATCHED THEN INSERT (s2, k) VALUES (t2.s2, -1); SELECT * FROM t1",
        ),
        (
            # clauses in order, the first whose condition holds taking the row (DuckDB's own MERGE)
            "merge-conditional-clauses",
            "CREATE TABLE t1 AS SELECT id, g, k FROM fid_in; "
            "MERGE INTO t1 USING (SELECT id, k FROM fid_in WHERE id % 2 = 0 UNION ALL "
            "SELECT 100 + id, k FROM fid_in WHERE id < 5) s ON t1.id = s.id "
            "WHEN MATCHED AND s.k > 0 THEN UPDATE SET k = s.k * 10 WHEN MATCHED AND s.k IS NULL THEN DELETE "
            "WHEN MATCHED THEN UPDATE SET g = concat(t1.g, '!') "
            "WHEN NOT MATCHED AND s.k IS NOT NULL THEN INSERT (id, g, k) VALUES (s.id, 'ins', s.k); "
            "SELECT * FROM t1",
        ),
        (
            "merge-not-matched-by-source",
            "CREATE TABLE t1 AS SELECT id, g, k FROM fid_in; "
            "MERGE INTO t1 USING (SELECT id FROM fid_in WHERE id < 3) s ON t1.id = s.id "
            "WHEN MATCHED THEN UPDATE SET g = 'hit' WHEN NOT MATCHED BY SOURCE AND t1.k > 0 THEN DELETE "
            "WHEN NOT MATCHED BY SOURCE THEN UPDATE SET k = -1; SELECT * FROM t1",
        ),
        (
            "merge-set-star-insert-star",
            "CREATE TABLE t1 AS SELECT id, g, k FROM fid_in; "
            "MERGE INTO t1 USING (SELECT id + 3 AS id, 'z' AS g, CAST(0 AS BIGINT) AS k FROM fid_in WHERE id < 6) s "
            "ON t1.id = s.id WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *; SELECT * FROM t1",
        ),
        (
            # a CTE before MERGE; SET names the target's column qualified (DuckDB's parser takes it bare)
            "merge-after-cte",
            "CREATE TABLE t1 AS SELECT id, g, k FROM fid_in; "
            "WITH c AS (SELECT id, k * 3 AS k FROM fid_in WHERE id % 2 = 0) MERGE INTO t1 AS x USING c "
            "ON x.id = c.id WHEN MATCHED AND c.k > 0 THEN UPDATE SET x.k = c.k WHEN MATCHED THEN DELETE; "
            "SELECT * FROM t1",
        ),
        (
            "alter-add-columns",
            "CREATE TABLE t1 AS SELECT id, g FROM fid_in; ALTER TABLE t1 ADD COLUMNS (z STRING, w ARRAY<BIGINT>); "
            "INSERT INTO t1 SELECT 99, 'n', 'z', array(5); SELECT * FROM t1",
        ),
        (
            # Delta needs column mapping, a table property the engine drops: refused, not run
            "alter-rename-column",
            "CREATE TABLE t1 AS SELECT id, g FROM fid_in; ALTER TABLE t1 RENAME COLUMN g TO h; SELECT h FROM t1",
        ),
        (
            "alter-drop-column",
            "CREATE TABLE t1 AS SELECT id, g FROM fid_in; ALTER TABLE t1 DROP COLUMN g; SELECT * FROM t1",
        ),
        (
            "alter-rename",
            "CREATE TABLE t1_tmp AS SELECT g FROM fid_in; DROP TABLE IF EXISTS t1; "
            "ALTER TABLE t1_tmp RENAME TO t1; SELECT * FROM t1",
        ),
        (
            "drop-if-exists",
            "DROP TABLE IF EXISTS never_there; CREATE TABLE t1 AS SELECT 1 AS x; SELECT * FROM t1",
        ),
        (
            "backticked-table",
            "CREATE TABLE `select` AS SELECT g AS `a b` FROM fid_in; SELECT `a b` FROM `select`",
        ),
        (
            "comment-statement",
            "-- leading comment; with a semicolon\nCREATE TABLE t1 /* c */ AS SELECT /* x; */ g FROM fid_in; "
            "SELECT * FROM t1",
        ),
        (
            "create-view",
            "CREATE OR REPLACE TEMPORARY VIEW v1 AS SELECT g FROM fid_in; SELECT count(*) FROM v1",
        ),
        (
            "delete-from",
            "CREATE TABLE t1 AS SELECT g FROM fid_in; DELETE FROM t1 WHERE g = 'a'; SELECT * FROM t1",
        ),
        (
            "update",
            "CREATE TABLE t1 AS SELECT g FROM fid_in; UPDATE t1 SET g = 'q' WHERE g = 'a'; SELECT * FROM t1",
        ),
        ("truncate", "CREATE TABLE t1 AS SELECT g FROM fid_in; TRUNCATE TABLE t1; SELECT count(*) FROM t1"),
        (
            "set-timezone",
            "SET TIME ZONE 'America/New_York'; SELECT CAST(TIMESTAMP '2024-01-01 00:00:00' AS STRING)",
        ),
    ],
)

CASES: tuple[Case, ...] = tuple(
    _NOW
    + _DATETIME
    + _STRINGS
    + _HASHING
    + _COLLECTIONS
    + _SEMANTICS
    + _ERRORS
    + _AGGREGATES
    + _WINDOWS
    + _QUERIES
    + _SCRIPTS
)
