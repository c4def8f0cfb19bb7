"""Random compositions of Spark functions over the catalogue's rows (tests/fidelity/inputs.py).

The catalogue proves each construct and the compositions someone thought of; this grammar writes the
ones nobody did: typed expressions of up to four levels (strings, integers, DOUBLE, FLOAT, DECIMAL,
dates, timestamps, arrays, binaries), aggregates over them and window functions. Seeded, so a seed
always writes the same cases. It found, at stop 47, nested rewrites that left the inner call
DuckDB's own, FLOAT arithmetic, text read as dates and timestamps and DOUBLE-to-DECIMAL casts
(docs/compatibility.md); ``test_random_probe.py`` runs it against Spark (``make fidelity-probe``).
"""

from __future__ import annotations

import random

__all__ = ["agg_cases", "scalar_cases", "window_cases"]

COLS: dict[str, list[str]] = {
    "STR": ["s", "s2", "g", "ds"],
    "INT": ["k", "i", "id"],
    "DBL": ["d", "f"],
    "DEC": ["dec"],
    "BOOL": ["b"],
    "DATE": ["dt"],
    "TS": ["ts"],
    "ARRI": ["arr"],
    "ARRS": ["sarr"],
    "BIN": ["bin"],
}
LIT: dict[str, list[str]] = {
    "STR": ["'a'", "''", "'x,y'", "' b '", "'Ab1'", "'2024-01-02'", "'12'"],
    "INT": ["1", "2", "3", "0", "-1", "7"],
    "DBL": ["1.5D", "0.25D", "-2.0D"],
    "DEC": ["1.25", "0.5", "CAST(3 AS DECIMAL(5,1))"],
    "BOOL": ["true", "false"],
    "DATE": ["DATE'2024-02-29'"],
    "TS": ["TIMESTAMP'2024-03-10 02:30:00'"],
    "ARRI": ["array(1, 2, 2)"],
    "ARRS": ["array('b', 'a')"],
    "BIN": ["unhex('00FF')"],
}
SMALL = ["1", "2", "3", "0", "-1", "5"]

F: dict[str, list[tuple[str, str]]] = {  # result type -> (template, argument types)
    "STR": [
        ("lower({})", "STR"),
        ("upper({})", "STR"),
        ("trim({})", "STR"),
        ("ltrim({})", "STR"),
        ("reverse({})", "STR"),
        ("initcap({})", "STR"),
        ("substr({}, {s}, {s})", "STR"),
        ("substring({}, {s})", "STR"),
        ("lpad({}, 6, '*')", "STR"),
        ("rpad({}, 4, 'xy')", "STR"),
        ("concat({}, {})", "STR STR"),
        ("concat_ws('-', {}, {})", "STR STR"),
        ("replace({}, 'a', 'Z')", "STR"),
        ("regexp_replace({}, '[a-c]+', '#')", "STR"),
        ("regexp_extract({}, '([a-z]+)', 1)", "STR"),
        ("translate({}, 'abc', 'xy')", "STR"),
        ("md5({})", "STR"),
        ("sha2({}, 256)", "STR"),
        ("base64(cast({} as binary))", "STR"),
        ("hex({})", "STR"),
        ("coalesce({}, {})", "STR STR"),
        ("nullif({}, '')", "STR"),
        ("if({}, {}, {})", "BOOL STR STR"),
        ("cast({} as string)", "INT"),
        ("cast({} as string)", "DBL"),
        ("cast({} as string)", "DEC"),
        ("cast({} as string)", "DATE"),
        ("cast({} as string)", "TS"),
        ("date_format({}, 'yyyy-MM-dd HH:mm')", "TS"),
        ("format_number({}, 2)", "DBL"),
        ("array_join({}, '|')", "ARRS"),
        ("element_at({}, 1)", "ARRS"),
        ("left({}, 3)", "STR"),
        ("right({}, 2)", "STR"),
        ("repeat({}, 2)", "STR"),
        ("split_part({}, ',', 1)", "STR"),
        ("CASE WHEN {} THEN {} ELSE {} END", "BOOL STR STR"),
        ("{} || {}", "STR STR"),
        ("hex({})", "INT"),
        ("cast({} as string)", "BOOL"),
        ("upper(hex({}))", "BIN"),
        ("base64({})", "BIN"),
        ("sha1({})", "STR"),
        ("lower(hex({}))", "STR"),
        ("cast({} as string)", "ARRI"),
        ("to_json({})", "ARRS"),
        ("concat({}, {})", "STR INT"),
        ("string({})", "DBL"),
        ("date_format({}, 'EEE')", "DATE"),
        ("format_string('%s|%d', {}, {})", "STR INT"),
        ("ifnull({}, 'n')", "STR"),
        ("btrim({}, ' a')", "STR"),
        ("overlay({} placing 'QQ' from 2)", "STR"),
        ("quote({})", "STR"),
        ("elt(2, {}, {})", "STR STR"),
        ("from_unixtime({})", "INT"),
    ],
    "INT": [
        ("length({})", "STR"),
        ("instr({}, 'a')", "STR"),
        ("locate('b', {})", "STR"),
        ("ascii({})", "STR"),
        ("size(split({}, ','))", "STR"),
        ("abs({})", "INT"),
        ("{} + {}", "INT INT"),
        ("{} * {}", "INT INT"),
        ("{} % {}", "INT INT"),
        ("pmod({}, 5)", "INT"),
        ("{} div 2", "INT"),
        ("greatest({}, {})", "INT INT"),
        ("least({}, {})", "INT INT"),
        ("{} & {}", "INT INT"),
        ("shiftleft({}, 2)", "INT"),
        ("cast({} as bigint)", "DBL"),
        ("try_cast({} as int)", "STR"),
        ("coalesce({}, {})", "INT INT"),
        ("round({}, -1)", "INT"),
        ("year({})", "DATE"),
        ("month({})", "DATE"),
        ("dayofweek({})", "DATE"),
        ("datediff({}, {})", "DATE DATE"),
        ("size({})", "ARRI"),
        ("array_max({})", "ARRI"),
        ("element_at({}, 1)", "ARRI"),
        ("hour({})", "TS"),
        ("floor({})", "DBL"),
        ("ceil({})", "DEC"),
        ("crc32(cast({} as binary))", "STR"),
        ("xxhash64({})", "STR"),
        ("hash({})", "STR"),
        ("hash({}, {})", "STR INT"),
        ("cast({} as int)", "DEC"),
        ("sign({})", "INT"),
        ("unix_timestamp({})", "TS"),
        ("length({})", "BIN"),
        ("array_position({}, 2)", "ARRI"),
        ("bit_count({})", "INT"),
        ("{} - {}", "INT INT"),
        ("cardinality({})", "ARRS"),
        ("dayofyear({})", "DATE"),
        ("weekofyear({})", "DATE"),
        ("quarter({})", "DATE"),
        ("char_length({})", "STR"),
        ("find_in_set({}, 'a,b,c')", "STR"),
        ("levenshtein({}, {})", "STR STR"),
        ("int({})", "BOOL"),
        ("bigint({})", "DEC"),
    ],
    "DBL": [
        ("{} / 2", "INT"),
        ("sqrt(abs({}))", "DBL"),
        ("round({}, 2)", "DBL"),
        ("bround({}, 1)", "DBL"),
        ("{} * 1.5D", "DBL"),
        ("cast({} as double)", "INT"),
        ("cast({} as double)", "DEC"),
        ("exp({})", "DBL"),
        ("ln(abs({}) + 1)", "DBL"),
        ("log10(abs({}) + 1)", "DBL"),
        ("pow({}, 2)", "DBL"),
        ("{} + {}", "DBL DBL"),
        ("{} / {}", "DBL DBL"),
        ("cast({} as double)", "STR"),
        ("{} / {}", "INT INT"),
        ("radians({})", "DBL"),
        ("atan2({}, 1.0D)", "DBL"),
        ("cbrt({})", "DBL"),
        ("nanvl({}, 0.0D)", "DBL"),
        ("double({})", "STR"),
        ("float({})", "DBL"),
        ("{} * {}", "DBL INT"),
    ],
    "DEC": [
        ("{} + 1", "DEC"),
        ("{} * 2", "DEC"),
        ("round({}, 1)", "DEC"),
        ("cast({} as decimal(12,2))", "INT"),
        ("abs({})", "DEC"),
        ("-{}", "DEC"),
        ("coalesce({}, 0)", "DEC"),
        ("{} + {}", "DEC DEC"),
        ("{} - {}", "DEC INT"),
        ("cast({} as decimal(10,3))", "DBL"),
        ("cast({} as decimal(8,2))", "STR"),
        ("greatest({}, {})", "DEC DEC"),
        ("bround({}, 0)", "DEC"),
        ("{} * {}", "DEC DEC"),
        ("floor({}, 1)", "DEC"),
        ("if({}, {}, {})", "BOOL DEC DEC"),
        ("{} % 3", "DEC"),
    ],
    "BOOL": [
        ("{} = {}", "STR STR"),
        ("{} < {}", "INT INT"),
        ("{} like 'a%'", "STR"),
        ("{} rlike '^[a-z]'", "STR"),
        ("isnull({})", "STR"),
        ("array_contains({}, {})", "ARRI INT"),
        ("{} and {}", "BOOL BOOL"),
        ("not {}", "BOOL"),
        ("{} in (1, 2, 3)", "INT"),
        ("{} between 0 and 10", "INT"),
        ("{} <=> {}", "STR STR"),
        ("{} > {}", "DBL DBL"),
        ("{} = {}", "DEC INT"),
        ("startswith({}, 'a')", "STR"),
        ("{} ilike '%B%'", "STR"),
        ("exists({}, x -> x > 2)", "ARRI"),
        ("{} < {}", "DATE DATE"),
        ("{} = {}", "STR INT"),
        ("{} or {}", "BOOL BOOL"),
        ("isnan({})", "DBL"),
        ("{} > {}", "TS TS"),
        ("arrays_overlap({}, {})", "ARRI ARRI"),
        ("contains({}, 'b')", "STR"),
        ("{} = {}", "BIN BIN"),
    ],
    "DATE": [
        ("to_date({})", "STR"),
        ("date_add({}, {s})", "DATE"),
        ("date_sub({}, {s})", "DATE"),
        ("add_months({}, {s})", "DATE"),
        ("last_day({})", "DATE"),
        ("trunc({}, 'MM')", "DATE"),
        ("cast({} as date)", "TS"),
        ("next_day({}, 'MO')", "DATE"),
        ("make_date(2024, {s} + 2, 1)", ""),
        ("coalesce({}, {})", "DATE DATE"),
        ("date_from_unix_date({})", "INT"),
    ],
    "TS": [
        ("to_timestamp({})", "STR"),
        ("date_trunc('hour', {})", "TS"),
        ("timestamp_seconds({})", "INT"),
        ("cast({} as timestamp)", "DATE"),
        ("{} + interval 1 day", "TS"),
        ("from_utc_timestamp({}, 'UTC')", "TS"),
        ("date_trunc('week', {})", "TS"),
        ("to_timestamp({}, 'yyyy-MM-dd HH:mm:ss')", "STR"),
    ],
    "ARRI": [
        ("array({}, {})", "INT INT"),
        ("array_distinct({})", "ARRI"),
        ("sort_array({})", "ARRI"),
        ("array_sort({})", "ARRI"),
        ("slice({}, 1, 2)", "ARRI"),
        ("transform({}, x -> x + 1)", "ARRI"),
        ("filter({}, x -> x > 1)", "ARRI"),
        ("array_union({}, {})", "ARRI ARRI"),
        ("array_except({}, {})", "ARRI ARRI"),
        ("concat({}, {})", "ARRI ARRI"),
        ("reverse({})", "ARRI"),
        ("sequence(1, {s} + 2)", ""),
        ("array_intersect({}, {})", "ARRI ARRI"),
        ("array_compact({})", "ARRI"),
        ("transform({}, x -> length(x))", "ARRS"),
        ("array_remove({}, 2)", "ARRI"),
        ("sort_array({}, false)", "ARRI"),
        ("array_append({}, {})", "ARRI INT"),
        ("flatten(array({}, {}))", "ARRI ARRI"),
    ],
    "ARRS": [
        ("split({}, ',')", "STR"),
        ("array({}, {})", "STR STR"),
        ("array_distinct({})", "ARRS"),
        ("sort_array({})", "ARRS"),
        ("transform({}, x -> upper(x))", "ARRS"),
        ("filter({}, x -> x != '')", "ARRS"),
        ("map_keys({})", "MAP"),
        ("array_sort({})", "ARRS"),
        ("transform({}, x -> cast(x as string))", "ARRI"),
        ("split({}, '[,;]')", "STR"),
        ("array_union({}, {})", "ARRS ARRS"),
    ],
    "BIN": [
        ("unhex(hex({}))", "STR"),
        ("cast({} as binary)", "STR"),
        ("concat({}, {})", "BIN BIN"),
        ("unbase64(base64({}))", "BIN"),
        ("substr({}, 2, 2)", "BIN"),
        ("coalesce({}, {})", "BIN BIN"),
    ],
    "MAP": [],
}
COLS["MAP"] = ["m"]
LIT["MAP"] = ["map('a', 1)"]


def _expr(rng: random.Random, t: str, depth: int) -> str:
    if depth <= 0 or rng.random() < 0.25 or not F[t]:
        pool = COLS[t] + LIT[t]
        return rng.choice(pool) if rng.random() < 0.8 else rng.choice(LIT[t])
    tpl, args = rng.choice(F[t])
    parts = [_expr(rng, a, depth - 1) for a in args.split()]
    return tpl.replace("{s}", "§").format(*parts).replace("§", rng.choice(SMALL))


def scalar_cases(seed: int, n: int, depth: int) -> list[str]:
    rng = random.Random(seed)
    types = [t for t in F if F[t]]
    return [_expr(rng, rng.choice(types), depth) for _ in range(n)]


AGG_F = [
    ("sum({})", "INT"),
    ("sum({})", "DBL"),
    ("sum({})", "DEC"),
    ("avg({})", "INT"),
    ("avg({})", "DBL"),
    ("max({})", "STR"),
    ("min({})", "DATE"),
    ("count({})", "STR"),
    ("count(DISTINCT {})", "STR"),
    ("array_sort(collect_set({}))", "INT"),  # Spark's set order is its hash table's
    ("sort_array(collect_list({}))", "STR"),
    ("array_sort(collect_set({}))", "STR"),
    ("first({})", "INT"),
    ("max_by({}, id)", "STR"),
    ("min_by({}, id)", "INT"),
    ("count_if({})", "BOOL"),
    ("bool_and({})", "BOOL"),
    ("stddev({})", "DBL"),
    ("variance({})", "INT"),
    ("sum(DISTINCT {})", "INT"),
    ("approx_count_distinct({})", "STR"),
    ("concat_ws(',', sort_array(collect_list({})))", "STR"),
    ("percentile({}, 0.5)", "INT"),
    ("median({})", "DBL"),
    ("any_value({})", "BOOL"),
    ("size(collect_list({}))", "ARRI"),
    ("max({})", "DEC"),
    ("sum({}) / count(*)", "INT"),
]
WIN_F = [
    ("row_number() OVER (PARTITION BY g ORDER BY id)", ""),
    ("lag({}) OVER (PARTITION BY g ORDER BY id)", "INT"),
    ("lead({}, 1, 'z') OVER (PARTITION BY g ORDER BY id)", "STR"),
    ("sum({}) OVER (PARTITION BY g ORDER BY id)", "INT"),
    ("sum({}) OVER (PARTITION BY g)", "DBL"),
    ("max({}) OVER (PARTITION BY g ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)", "STR"),
    ("count({}) OVER (PARTITION BY g)", "STR"),
    ("first_value({}) OVER (PARTITION BY g ORDER BY id)", "INT"),
    ("last_value({}) OVER (PARTITION BY g ORDER BY id)", "STR"),
    ("avg({}) OVER (PARTITION BY g)", "DEC"),
    ("rank() OVER (PARTITION BY g ORDER BY id)", ""),
    ("dense_rank() OVER (ORDER BY id)", ""),
    ("ntile(2) OVER (PARTITION BY g ORDER BY id)", ""),
    ("collect_list({}) OVER (PARTITION BY g ORDER BY id)", "STR"),
    ("percent_rank() OVER (PARTITION BY g ORDER BY id)", ""),
    ("cume_dist() OVER (ORDER BY id)", ""),
    (
        "min({}) OVER (PARTITION BY g ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)",
        "DATE",
    ),
]


def _fill(rng: random.Random, tpl: str, args: str, depth: int) -> str:
    parts = [_expr(rng, a, depth) for a in args.split()]
    return tpl.format(*parts)


def agg_cases(seed: int, n: int, depth: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        tpl, args = rng.choice(AGG_F)
        e = _fill(rng, tpl, args, depth)
        if rng.random() < 0.3:  # a scalar around the aggregate
            outer = rng.choice(["coalesce(cast({} as string), 'n')", "cast({} as string)", "concat('x', {})"])
            e = outer.format(e)
        out.append(e)
    return out


def window_cases(seed: int, n: int, depth: int) -> list[str]:
    rng = random.Random(seed)
    return [_fill(rng, *rng.choice(WIN_F), depth) for _ in range(n)]


SET_OPS = ["UNION ALL", "UNION", "INTERSECT", "EXCEPT", "UNION ALL"]


def set_cases(seed: int, n: int, depth: int) -> list[str]:
    """Two branches of a set operation, of one type or of two (Spark casts both to their wider type);
    a branch is sometimes an aggregate (a computed DECIMAL's precision differs on DuckDB)."""
    rng = random.Random(seed)
    types = [t for t in F if F[t]]
    out = []
    for _ in range(n):
        a = rng.choice(types)
        b = rng.choice(types) if rng.random() < 0.6 else a
        branches = []
        for t in (a, b):
            if rng.random() < 0.25:
                tpl, args = rng.choice(AGG_F)
                branches.append(f"{_fill(rng, tpl, args, depth - 1)} AS c FROM fid_in")
            else:
                branches.append(f"{_expr(rng, t, depth)} AS c FROM fid_in")
        out.append(f"SELECT {branches[0]} {rng.choice(SET_OPS)} SELECT {branches[1]}")
    return out
