"""The DuckDB macros behind :mod:`.scalars`: each gives one Spark built-in's value, ANSI errors and all.

Integer shifts keep their argument's own type (``INT`` or ``BIGINT``, as in Spark) by computing
only with values of that type: ``x - x + 1`` is a one of ``x``'s type, and a left shift first
clears the bits that would be shifted out (DuckDB raises where Java drops them), then adds the
sign bit back.
"""

from __future__ import annotations

from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro

__all__ = ["DAYS", "SCALAR_MACROS"]

# Spark's day-of-week names (upper case) -> ISO day of the week (Monday 1)
DAYS: dict[str, int] = {
    name: n
    for n, names in enumerate(
        (("MO", "MON", "MONDAY"), ("TU", "TUE", "TUESDAY"), ("WE", "WED", "WEDNESDAY"),
         ("TH", "THU", "THURSDAY"), ("FR", "FRI", "FRIDAY"), ("SA", "SAT", "SATURDAY"),
         ("SU", "SUN", "SUNDAY")),
        start=1,
    )
    for name in names
}  # fmt: skip

_INTS = "('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT')"
_DECIMAL_REFUSED = (
    "error('[IDU_REFUSED] {fn} of a DECIMAL (Spark widens the DECIMAL result type unlike DuckDB); "
    "CAST the operands')"
)


def _try_arith(name: str, op: str) -> str:
    return _macro(
        f"idu_try_{name}(a, b)",
        "CASE WHEN typeof(a) LIKE 'DECIMAL%' OR typeof(b) LIKE 'DECIMAL%' THEN "
        + _DECIMAL_REFUSED.format(fn=f"try_{name}")
        + f" ELSE try(a {op} b) END",
    )


_SHIFTS: tuple[str, ...] = (
    _macro(
        "idu_width(x)",
        "CASE typeof(x) WHEN 'TINYINT' THEN 8 WHEN 'SMALLINT' THEN 16 WHEN 'INTEGER' THEN 32 ELSE 64 END",
    ),
    # Java's x << s for 0 <= s < w: the bits below w - 1 - s shifted, bit w - 1 - s as the sign
    _macro(
        "idu_shl(x, s, w)",
        "CASE WHEN s = 0 THEN x ELSE ((x & (((x - x + 1) << (w - 1 - s)) - 1)) << s) + "
        "CASE WHEN ((x >> (w - 1 - s)) & 1) = 1 THEN (-((x - x + 1) << (w - 2)) - ((x - x + 1) << (w - 2))) "
        "ELSE x - x END END",
    ),
    # Java's x >>> s for 0 <= s < w
    _macro(
        "idu_ushr(x, s, w)",
        "CASE WHEN s = 0 THEN x ELSE (x >> s) & (((((x - x + 1) << (w - 1 - s)) - 1) * 2) + 1) END",
    ),
    # Spark widens TINYINT/SMALLINT to INT; the shift count is masked to the width, as in Java
    _macro(
        "idu_shift_left(x, s)",
        f"CASE WHEN typeof(x) NOT IN {_INTS} THEN error('[IDU_REFUSED] shiftleft of a value that is not an "
        "integer') ELSE idu_shl(x + CAST(0 AS INTEGER), s & (idu_width(x + CAST(0 AS INTEGER)) - 1), "
        "idu_width(x + CAST(0 AS INTEGER))) END",
    ),
    _macro(
        "idu_shift_right(x, s)",
        f"CASE WHEN typeof(x) NOT IN {_INTS} THEN error('[IDU_REFUSED] shiftright of a value that is not an "
        "integer') ELSE (x + CAST(0 AS INTEGER)) >> (s & (idu_width(x + CAST(0 AS INTEGER)) - 1)) END",
    ),
    _macro(
        "idu_shift_right_unsigned(x, s)",
        f"CASE WHEN typeof(x) NOT IN {_INTS} THEN error('[IDU_REFUSED] shiftrightunsigned of a value that is "
        "not an integer') ELSE idu_ushr(x + CAST(0 AS INTEGER), s & (idu_width(x + CAST(0 AS INTEGER)) - 1), "
        "idu_width(x + CAST(0 AS INTEGER))) END",
    ),
    # bit_count counts the 64-bit two's complement (Spark sign-extends to long)
    _macro("idu_bit_count(x)", "CAST(bit_count(CAST(x AS BIGINT)) AS INTEGER)"),
    _macro(
        "idu_bit_get(x, p)",
        "CASE WHEN x IS NULL OR p IS NULL THEN NULL WHEN p < 0 OR p >= idu_width(x) THEN "
        "error('[INVALID_PARAMETER_VALUE.BIT_POSITION_RANGE] bit_get: position ' || CAST(p AS VARCHAR) || "
        "' out of range') ELSE CAST((CAST(x AS BIGINT) >> p) & 1 AS TINYINT) END",
    ),
)

_DATES: tuple[str, ...] = (
    _macro("idu_day_of_year(d)", "CAST(dayofyear(d) AS INTEGER)"),
    _macro("idu_quarter(d)", "CAST(quarter(d) AS INTEGER)"),
    _macro("idu_weekday(d)", "CAST(isodow(d) - 1 AS INTEGER)"),
    _macro("idu_unix_date(d)", "CAST(d - DATE '1970-01-01' AS INTEGER)"),
    _macro(
        "idu_floor_div(e, n)",
        "CAST(CASE WHEN e >= 0 THEN e // n ELSE -((CAST(n AS HUGEINT) - 1 - e) // n) END AS BIGINT)",
    ),
    _macro(
        "idu_date_from_unix_date(n)",
        "CASE WHEN n IS NULL THEN NULL WHEN n NOT BETWEEN -719162 AND 2932896 THEN "
        "error('[IDU_REFUSED] date_from_unix_date outside the years 1-9999') "
        "ELSE CAST(DATE '1970-01-01' + n AS DATE) END",
    ),
    _macro("idu_next_day(d, t)", "CAST(d + CAST((t - isodow(d) + 6) % 7 + 1 AS INTEGER) AS DATE)"),
)

SCALAR_MACROS: tuple[str, ...] = (
    *_SHIFTS,
    *_DATES,
    # Java's Math.signum: a DOUBLE, NaN and -0.0 kept
    _macro(
        "idu_signum(x)",
        "list_transform([CAST(x AS DOUBLE)], lambda idu_v: CASE WHEN isnan(idu_v) OR idu_v = 0 THEN idu_v "
        "ELSE CAST(sign(idu_v) AS DOUBLE) END)[1]",
    ),
    _macro("idu_bits(n)", "CAST(n AS INTEGER) * 8"),
    # unary plus of a number; of text Spark would cast to a number first
    _macro(
        "idu_positive(x)",
        "CASE WHEN typeof(x) IN ('VARCHAR', 'BLOB') THEN error('[IDU_REFUSED] positive of a STRING or BINARY "
        "(Spark casts it to a number)') ELSE x END",
    ),
    _macro(
        "idu_not_temporal(x)",
        "CASE WHEN typeof(x) IN ('DATE', 'TIMESTAMP') THEN error('[IDU_REFUSED] decimal() of a date or "
        "timestamp') ELSE x END",
    ),
    _macro("idu_times_double(x, c)", "CAST(x AS DOUBLE) * CAST(c AS DOUBLE)"),
    _macro("idu_chr(n)", "CASE WHEN n < 0 THEN '' ELSE chr(CAST(n & 255 AS INTEGER)) END"),
    _macro("idu_isnan(x)", "coalesce(isnan(CAST(x AS DOUBLE)), false)"),
    _macro("idu_nanvl(a, b)", "CAST(CASE WHEN isnan(CAST(a AS DOUBLE)) THEN b ELSE a END AS DOUBLE)"),
    _macro(
        "idu_map_contains_key(m, k)",
        "CASE WHEN m IS NULL OR k IS NULL THEN NULL ELSE list_contains(map_keys(m), k) END",
    ),
    _macro(
        "idu_array_repeat(x, n)",
        "CASE WHEN n IS NULL THEN NULL ELSE list_transform(range(greatest(CAST(n AS BIGINT), 0)), lambda idu_i: x) END",
    ),
    # substring_index with a non-empty delimiter that cannot overlap itself (checked by the translation)
    _macro(
        "idu_substring_index(s, d, n)",
        "CASE WHEN s IS NULL OR d IS NULL OR n IS NULL THEN NULL WHEN n = 0 THEN '' ELSE "
        "list_transform([string_split(s, d)], lambda idu_p: CASE WHEN n > 0 THEN array_to_string(list_slice(idu_p, 1, n), d) "
        "ELSE array_to_string(list_slice(idu_p, greatest(len(idu_p) + n + 1, 1), len(idu_p)), d) END)[1] END",
    ),
    # Spark's Overlay: substring(s, 1, pos - 1) || r || substring(s, pos + len) in INT (refused where Java's
    # INT arithmetic would wrap)
    _macro(
        "idu_overlay(s, r, pos, len)",
        "CASE WHEN s IS NULL OR r IS NULL OR pos IS NULL OR len IS NULL THEN NULL ELSE list_transform("
        "[CASE WHEN len >= 0 THEN CAST(len AS BIGINT) ELSE length(r) END], lambda idu_l: CASE WHEN "
        "CAST(pos AS BIGINT) + idu_l > 2147483647 OR CAST(pos AS BIGINT) - 1 < -2147483648 THEN "
        "error('[IDU_REFUSED] overlay with a position and length beyond INT (Java wraps them)') ELSE "
        "idu_substr(s, 1, CAST(pos AS BIGINT) - 1) || r || idu_substr(s, CAST(pos AS BIGINT) + idu_l, 2147483647) END)[1] END",
    ),
    # Spark's array_insert: 1-based, -1 after the last element, NULLs padding a position beyond the array
    _macro(
        "idu_array_insert(a, p, v)",
        "CASE WHEN a IS NULL OR p IS NULL THEN NULL WHEN p = 0 THEN error('[INVALID_INDEX_OF_ZERO] array_insert: "
        "the index 0 is invalid (' || CAST(p AS VARCHAR) || ')') ELSE list_transform([CASE WHEN p > 0 THEN "
        "CAST(p AS BIGINT) - 1 ELSE len(a) + CAST(p AS BIGINT) + 1 END], lambda idu_k: CASE WHEN idu_k > len(a) + 100000 "
        "OR idu_k < -100000 THEN error('[IDU_REFUSED] array_insert padding more than 100000 NULLs') "
        "WHEN idu_k < 0 THEN list_concat(list_resize([v], 1 - idu_k), a) "
        "WHEN idu_k <= len(a) THEN list_concat(a[1:idu_k], [v], a[idu_k + 1:]) "
        "ELSE list_append(list_resize(a, idu_k), v) END)[1] END",
    ),
    _try_arith("add", "+"),
    _try_arith("subtract", "-"),
    _try_arith("multiply", "*"),
    _macro(
        "idu_try_divide(a, b)",
        "CASE WHEN typeof(a) LIKE 'DECIMAL%' OR typeof(b) LIKE 'DECIMAL%' THEN "
        + _DECIMAL_REFUSED.format(fn="try_divide")
        + " WHEN b = 0 THEN NULL ELSE CAST(a AS DOUBLE) / b END",
    ),
)
