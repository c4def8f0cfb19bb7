"""The "Spark built-in functions" section of docs/compatibility.md (``make fidelity`` rewrites it)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from tests.fidelity.function_harness import Verdict
from tests.fidelity.function_inputs import COLUMNS, ROWS

__all__ = ["MARKER", "render_functions", "summary"]

MARKER = "\n## Spark built-in functions\n"

_COUNTED_OK = ("identical", "identical values, wider type")


def summary(verdicts: Sequence[Verdict]) -> dict[str, int]:
    counted = [v for v in verdicts if v.counted]
    counts = Counter(v.verdict for v in verdicts)
    return {
        "listed": len(verdicts),
        "counted": len(counted),
        "identical": sum(v.verdict in _COUNTED_OK for v in counted),
        "refused": counts["refused"],
        "mismatch": counts["MISMATCH"],
        **{k: n for k, n in counts.items() if k.startswith("not counted")},
    }


def _cell(text: str, width: int = 220) -> str:
    text = " ".join(text.replace("|", "\\|").split())
    return text if len(text) <= width else text[: width - 3] + "..."


# the exactness ranges of the approximate aggregates and typeof (spark_compat/approximate.py, type_names.py)
_APPROXIMATE = (
    "**Approximate aggregates and `typeof`** (tests/fidelity/test_approximate.py: local Spark with "
    "one and four partitions). `percentile_approx`/`approx_percentile` give Spark's value while a "
    "group has fewer than accuracy / 2 non-NULL values (default accuracy 10000: up to 4,999): every "
    "sample of Spark's Greenwald-Khanna summary then has rank uncertainty 0 on any partitioning, and "
    "its answer is the sorted values' element at rank ceil(p * n) (the minimum for p <= 1/accuracy, "
    "the maximum for p >= 1 - 1/accuracy). From accuracy / 2 values on, Spark's value depends on how "
    "its partitions' summaries merge (accuracy 100, one partition: it leaves the exact rank from 51 "
    "values), so the engine refuses when run (`[IDU_REFUSED] percentile_approx ... over N non-NULL "
    "values with accuracy A`: use `percentile` or a larger accuracy), as it does for BIGINTs and "
    "TIMESTAMPs beyond 2^53, DECIMALs of more than 15 digits (Spark goes through DOUBLE) and DOUBLEs "
    "with NaN or both 0.0 and -0.0. `approx_count_distinct` gives Spark's HyperLogLog++ "
    "linear-counting estimate, round(m * ln(m / V)) over m = 2^p registers picked by Spark's "
    "`xxhash64`, while it is at most Spark's threshold for p (default relativeSD 0.05: p = 9, "
    "estimates up to 400); beyond, Spark answers its bias-corrected estimate and the engine refuses "
    "when run (use `count(DISTINCT ...)`). `typeof` names the type the statement establishes "
    "(literals, CASTs, arrays, maps and structs of those), else DuckDB's type where it is one Spark "
    "type (string, binary, boolean, date, double, float, and arrays, maps and structs of those); an "
    "integer, DECIMAL or TIMESTAMP column is refused when run (DuckDB's type can be wider than "
    "Spark's, a TIMESTAMP may be Spark's TIMESTAMP_NTZ): CAST it."
)

# the exactness ranges of the sketch aggregates (spark_compat/bitmap_aggregates.py, histogram_numeric.py,
# hll_sketch.py, count_min_sketch.py, top_k.py)
_COUNTING_SKETCHES = (
    "**Sketches** (tests/fidelity/test_counting_sketches.py: local Spark with one and four partitions). "
    "`bitmap_construct_agg`/`bitmap_or_agg`/`bitmap_and_agg` and `count_min_sketch` give Spark's bytes "
    "(bits ORed/ANDed, counts added: whatever the partitions). `histogram_numeric` gives Spark's bins while a "
    "group's values are distinct and at most nb (a value seen in two partitions is two bins on Spark); "
    "`hll_sketch_estimate` of `hll_sketch_agg` (or of `hll_union` of two) while the DataSketches sketch stays "
    "in its coupon mode (lgConfigK 12: up to 384 distinct coupons); `approx_top_k` and "
    "`approx_top_k_estimate(approx_top_k_accumulate(...))` while the ItemsSketch counts exactly (default: "
    "up to 12,288 distinct items) and no two items tie at a count that decides the answer (Spark orders "
    "them by hash-map slot). `hll_sketch_estimate(hll_union_agg(...))` reads the sketches Spark stored "
    "(tests/fidelity/test_hll_stored.py) while every one and their union stay in coupon mode. Beyond, refused "
    "when run; the sketches' own bytes (`hll_sketch_agg`, `approx_top_k_accumulate`) and the other functions "
    "reading stored sketches are refused."
)

_TIME = (
    "**Spark's TIME type** (spark_compat/time_type.py, time_parsing.py; edges in tests/fidelity/test_"
    "time_functions.py). Spark 4.3 gates it behind `spark.sql.timeType.enabled`, off by default: Spar"
    "k then fails every TIME function at analysis (`UNSUPPORTED_TIME_TYPE`), and so does the embedded"
    " engine, refusing them by name, unless `IDU_SPARK_TIME_TYPE=true` says the Spark it stands in fo"
    "r has the type on (the rows below compare them with it on, on both sides). It runs as DuckDB's T"
    "IME: both hold the microseconds of the day and print alike (`12:34:56.0001`, trailing fractional"
    " zeros dropped). `make_time`, `time_from_seconds/millis/micros`, `time_to_seconds/millis/micros`"
    ", `to_time`/`try_to_time`, `time_trunc`, `time_diff` and `CAST`/`TRY_CAST`/`time()` to TIME give"
    " Spark's values and raise where Spark raises (an hour of 24, seconds that round to 60, a time ou"
    "tside the day, a text Spark does not read); refused: a unit or `to_time` format that is not a li"
    "teral, a format beyond the fields `HH H mm m ss s S..SSSSSSSSS` and the separators `: . -` and s"
    "pace, `TIME(p)` other than 6 and literals of more than six fractional digits (Spark's TIME(7..9)"
    "), and when run seconds of a DOUBLE/FLOAT/STRING and texts starting with `T`."
)


_FDLIBM = (
    "**Math functions that are fdlibm** (spark_compat/strict_math.py, fdlibm*.py; bit for bit in "
    "tests/fidelity/test_fdlibm.py, test_fdlibm_log.py and tests/engines/test_fdlibm.py, "
    "test_fdlibm_log.py). Spark's `asin`, `acos`, `atan`, `atan2`, `cbrt`, `sinh`, `cosh`, `tanh` and "
    "`hypot` call `java.lang.Math`, which delegates them to `StrictMath`; `expm1`, `log1p`, `exp`, "
    "`ln`/`log`, `log10` and `log2` call `StrictMath`, and `asinh`, `acosh`, `atanh` are Spark's "
    "formulas on `StrictMath.log`/`log1p` and the correctly rounded `Math.sqrt`: specified to be fdlibm "
    "5.3's algorithms bit for bit, and not replaced by HotSpot intrinsics on JDK 17 to 23 (JDK 24 adds "
    "one for `Math.tanh`, JDK 25 one for `Math.cbrt` on x86_64). The engine runs a line-by-line Python "
    "port of OpenJDK's `FdLibm` and Spark's formulas in the same operation order, so these give Spark's "
    "value to the last bit on a Spark running on JDK 17 to 23 (compared here on OpenJDK 17: thousands "
    "of random and edge doubles each, NaN, ±Infinity, -0.0 and subnormals included), with Spark's "
    "edges: `log1p` of -1 or less is NULL, so are `ln`, `log`, `log10`, `log2` of 0 or less and "
    "`log(base, x)` of a base of 0 or less; `log(1, x)` divides by 0.0 (Infinity or NaN); `atan2` reads "
    "-0.0 as 0.0; `asin(2)`, `acosh(0)` and `atanh(2)` are NaN. An argument of a type other than an "
    "integer, FLOAT, DOUBLE or a DECIMAL of up to 15 digits is refused when run (CAST it to DOUBLE). "
    "`sin`, `cos`, `tan`, `cot`, `sec` and `csc` (HotSpot intrinsics, not fdlibm) stay refused."
)

# the theta and tuple sketch functions (spark_compat/theta_*.py, tuple_*.py)
_SKETCHES = (
    "**Theta and tuple sketches** (spark_compat/theta_sketch.py, tuple_sketch.py; tests/fidelity/test_"
    "sketches.py: local Spark with one and four partitions). `theta_sketch_agg` hashes each value as "
    "Spark feeds it to DataSketches (MurmurHash3 x64, seed 9001: INT/BIGINT as a long, FLOAT/DOUBLE as "
    "the DOUBLE's bits with -0.0 as 0.0, STRING as UTF-8, BINARY, ARRAY<INT>/<BIGINT> with a NULL "
    "element as 0; NULL, '' and empty values skipped) and keeps the k = 2^lgNomEntries smallest hashes, "
    "the (k+1)-th as theta: Spark's result on any partitioning, in exact and estimation mode alike, "
    "written byte for byte in DataSketches' compressed compact form; `theta_union`/`_agg`, "
    "`theta_intersection`/`_agg`, `theta_difference` and `theta_sketch_estimate` read and write those "
    "bytes. Refused: lgNomEntries other than an integer literal from 4 to 26, window use, a buffer that "
    "is not a compact theta sketch (when run), and `theta_intersection_agg` where two exact sketches "
    "without a common hash meet a sketch in estimation mode (Spark's empty flag then follows the "
    "input order). Spark writes a tuple sketch's entries in hash-table order, which follows the rows' "
    "order: a tuple function returning a sketch is accepted only as the sketch argument of another "
    "tuple function (estimate, summary, theta, union, intersection, difference), never as a value. "
    "Summaries fold as DataSketches does (an INT sum wraps; min/max skip NaN); refused when run where "
    "Spark's order could show: a DOUBLE sum with a partial sum that is not exact, a min/max that is a "
    "zero of both signs, `tuple_sketch_agg` over more distinct keys than its nominal entries."
)

_VARIANT = (
    "**VARIANT** (spark_compat/variant*.py; edges in tests/fidelity/test_variant.py and "
    "tests/engines/test_variant.py). The engine holds a VARIANT as DuckDB `JSON` whose text is Spark's "
    "own text of the value (`to_json`: keys sorted in UTF-16 order, no whitespace, DECIMALs without "
    "trailing zeros, Jackson's escapes); a VARIANT column is compared here by that text. Spark's VARIANT "
    "is no string (its casts and its implicit cast to STRING read it otherwise), so a VARIANT value is "
    "accepted only as the VARIANT argument of the VARIANT functions or as a column of the statement's "
    "top-level SELECT, and refused elsewhere when translated (CAST it with `variant_get(v, path, type)`). "
    "`parse_json` reads JSON as Spark's Jackson does (a duplicate key raises; `try_parse_json` gives NULL) "
    "and refuses when run a number Spark keeps as a DOUBLE (an exponent, more than 38 digits: its text is "
    "Java's `Double.toString`) and text after the value. `variant_get`/`try_variant_get` take Spark's "
    "path syntax and cast to STRING, BOOLEAN, the integers, DOUBLE and DECIMAL(p,s) with Spark's rules (other "
    "types refused). `schema_of_variant(_agg)` take `parse_json(x)` itself (the held text no longer tells "
    "`1.0`, a DECIMAL, from `1`). `to_variant_object` and the values of `variant_set`/`insert`/"
    "`array_append` are integers, BOOLEAN, STRING, DECIMAL (and structs, arrays, maps of them) or "
    "VARIANTs; a DOUBLE, date, timestamp or binary inside is refused when run."
)


_GEOSPATIAL = (
    "**GEOMETRY/GEOGRAPHY** (spark_compat/geospatial.py, geo_wkb.py; edges in "
    "tests/fidelity/test_geospatial.py and tests/engines/test_geospatial.py). A GEOMETRY/GEOGRAPHY value is "
    "accepted only as the first argument of `st_asbinary`, `st_srid` or `st_setsrid` (anywhere else: refused "
    "when translated). The engine holds it as the WKB `st_asbinary` gives: Spark's reader (validation as "
    "Spark's: counts, one-point lines, open or short rings, part dimensions, infinities, a geography's "
    "bounds; `WKB_PARSE_ERROR` where Spark raises) and writer (every part little-endian, or big-endian "
    "for `'XDR'`; trailing bytes dropped). A NaN coordinate other than Java's canonical one is refused when run. SRIDs: 0 and 4326 by "
    "default; `st_setsrid`/`st_geomfromwkb`'s SRID an integer literal Spark accepts (a GEOMETRY: 0 and "
    "its SRS registry's; a GEOGRAPHY: the registry's geographic ones), others refused when translated."
)


_WINDOW_TIES = (
    "**Window functions over tied rows** (spark_compat/window_ties.py; tests/fidelity/test_window_ties.py "
    "and tests/engines/test_window_ties.py). Rows of a partition that tie on a window's ORDER BY (peers; "
    "without an ORDER BY the whole partition) reach Spark's window in the order its partitions deliver "
    "them, so `row_number`, `ntile`, `lag`, `lead`, `nth_value`, `first_value`/`last_value` "
    "(`first`/`last`/`any_value`), `collect_list`, `counter_diff` and any aggregate over a ROWS frame "
    "smaller than the partition can give peers either value (local Spark's answer changes with the input's "
    "order). Such a window runs as it is when nothing the SELECT exposes tells peers apart: its output "
    "expressions, QUALIFY, ORDER BY and every window's arguments are plain columns among the window's "
    "PARTITION BY / ORDER BY keys (`*` is every input column), or it groups by keys all among them. "
    "Otherwise it is refused when run where peers differ in those values (NULL against a value included): "
    "`[IDU_REFUSED] row_number over rows that tie on its window (...)`; add a unique tie-breaker to the "
    "ORDER BY. The check compares each row of those values with the previous row in the "
    "window's own sort (`LAG` over the same PARTITION BY and ORDER BY: peers are adjacent there, so one "
    "adjacent pair differs exactly when not all peers are equal), computed in the sort the window already "
    "does. Beside a generator (explode, inline, stack, json_tuple) such a window is "
    "refused when translated. Beside an order-sensitive window of another PARTITION BY / ORDER BY (Spark and "
    "DuckDB sort for each separately, so that window's values pair with peers either way), any two peers are "
    "refused when run. `rank`, `dense_rank`, `percent_rank`, `cume_dist` and aggregates over RANGE "
    "frames or the whole partition give peers one value: accepted as before. Not told apart: 0.0 and -0.0 (equal in both engines' comparisons)."
)

_PARTITION_AGGREGATES = (
    "**Whole-partition window aggregates** (spark_compat/partition_aggregates.py; "
    "tests/fidelity/test_partition_aggregates.py and tests/engines/test_partition_aggregates.py). "
    "`min`, `max`, `sum`, `count` and `avg` over a whole partition (PARTITION BY, no ORDER BY, no frame "
    "smaller than the partition), in a SELECT over one table or subquery with no GROUP BY, run as a GROUP BY "
    "of the partition keys joined back with `IS NOT DISTINCT FROM` (NULL keys are one partition, as in "
    "Spark), over the source and WHERE materialized once: the same values, linear like Spark's hash "
    "exchange, where DuckDB's window operator sorts every partition. Any other window (ORDER BY, a "
    "smaller frame, a positional function), a join, `*`, or a query inside an expression (it could be "
    "correlated) runs as DuckDB's window, as written."
)

_BY_TIES = (
    "**max_by / min_by over tied ordering values** (spark_compat/by_ties.py; tests/fidelity/test_by_ties.py "
    "and tests/engines/test_by_ties.py). As Spark: rows whose ordering value is NULL are skipped, a NULL "
    "value at the extreme is the answer, no ordering value gives NULL; a `struct(...)`/`named_struct(...)` "
    "ordering value is ordered field by field with NULL fields first; any other array, struct or map "
    "ordering value with a NULL inside is refused when run (Spark orders that NULL first, DuckDB last). "
    "Where rows tie on the extreme ordering "
    "value but differ in the value (NULL against a value included), Spark keeps the first its partitions "
    "deliver (local Spark's answer changes with the input's order): refused when run, "
    "`[IDU_REFUSED] max_by(v, k) over rows that tie on the ordering value ...`; add a unique tie-breaker, "
    "e.g. `max_by(v, struct(k, v))`. The check is two more aggregates in the same pass (the sort keys of "
    "the smallest and largest value among the tied rows; no sort), also as a window function. No check "
    "where tied rows cannot differ: the value is the ordering value or one of its struct fields, or a "
    "column the SELECT groups by (plain GROUP BY) or, over a window, one of its PARTITION BY columns. "
    "DISTINCT is dropped (the same values tie). `max_by(x, y, n)` is refused when translated. Not told "
    "apart: 0.0 and -0.0 (one sort key)."
)


def render_functions(verdicts: Sequence[Verdict]) -> str:
    s = summary(verdicts)
    share = 100 * s["identical"] / s["counted"] if s["counted"] else 0.0
    columns = ", ".join(f"`{n}` {t}" for n, t, _ in COLUMNS[2:])
    lines = [
        MARKER.strip("\n"),
        "",
        "Generated by `make fidelity` (tests/fidelity/test_functions.py). Every function of local Spark's "
        "`SHOW FUNCTIONS`, with Spark's group. Each deterministic one runs in the forms its own examples "
        "show (Spark's `ExpressionInfo`), each argument in turn replaced by the column of its type of a "
        f"{len(ROWS)}-row input table ({columns}; `tests/fidelity/function_inputs.py`: NULL, empty, "
        "Unicode, negative, INT/BIGINT limits, NaN and infinities, dates 1900-2100, non-UTF-8 binary), "
        "string arguments also as binary, on Spark (ANSI on, UTC) and on the embedded engine. "
        "**identical**: every form that is not refused gives Spark's value (or raises where Spark raises) "
        "on every row; **refused**: the translator refuses every form, with the reason shown; "
        "generators, table functions and non-deterministic functions are listed but not counted.",
        "",
        _TIME,
        "",
        _APPROXIMATE,
        "",
        _COUNTING_SKETCHES,
        "",
        _FDLIBM,
        "",
        _SKETCHES,
        "",
        _VARIANT,
        "",
        _GEOSPATIAL,
        "",
        _WINDOW_TIES,
        "",
        _PARTITION_AGGREGATES,
        "",
        _BY_TIES,
        "",
        f"{s['listed']} functions listed; {s['counted']} counted (deterministic scalar, aggregate and window "
        f"functions); **{s['identical']} identical ({share:.1f} %)**, {s['refused']} refused, "
        f"{s['mismatch']} MISMATCH.",
        "",
        "| function | group | verdict | notes |",
        "|---|---|---|---|",
    ]
    for v in sorted(verdicts, key=lambda v: v.function.name):
        name = v.function.name.replace("|", "\\|")
        lines.append(
            f"| `{name}` | {v.function.group.removesuffix('_funcs')} | {v.verdict} | {_cell(v.detail)} |"
        )
    return "\n".join(lines) + "\n"
