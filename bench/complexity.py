"""Growth of every array, map and lambda construct on the embedded engine, 10k to 1M elements.

Each construct is translated from Spark SQL exactly as a statement of a directory would be
(``translate_statement`` + the compatibility macros) and run over one array of n BIGINTs
(about n/2 distinct values, a few NULLs) in a DuckDB database. The growth exponent between
the two largest sizes is log(t2/t1) / log(n2/n1): about 1 for linear work, about 1.08 for
n log n, 2 for quadratic.

Between 100k and 1M the arrays outgrow the CPU caches, which adds to every exponent without
changing any algorithm: DuckDB's own hash set (``list_has_any``) measures 1.4-1.7 there. So each
construct is judged against the DuckDB primitive its translation rests on, run as written on
the same arrays (its *reference*: a hash set, a hash aggregate, or a sort of (value, position)
pairs). Its *excess* is its exponent minus the reference's: what the translation adds to the
growth. A construct whose excess (or, with no reference, whose exponent minus 1) is above
``--limit`` (default 0.25: n log n over n adds 0.08 here, quadratic work adds about 1) fails the
run: a translation asymptotically slower than the Spark function it replaces is a bug.

    .venv/bin/python -m bench.complexity                  # 10k, 100k, 1M; writes docs/
    .venv/bin/python -m bench.complexity --sizes 1000,10000 --out /tmp/x   # a quick look
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import duckdb

from airflow_idu.engines.duckdb.translate import COMPAT_MACROS, translate_statement
from bench.common import base_parser, command_line, median, parse_sizes, table, write_results

HASH_SET = "reference: DuckDB list_has_any (hash set)"
HASH_AGG = "reference: DuckDB list(DISTINCT) (hash aggregate)"
SORT = "reference: DuckDB list_sort"
SORT_PAIRS = "reference: DuckDB list_sort of (value, position) pairs"

# (name, Spark SQL over table arr_in(a ARRAY<BIGINT>, b ARRAY<BIGINT>), the reference its translation
# rests on or None for a plain scan); aggregates read elem_in(v)
CONSTRUCTS: tuple[tuple[str, str, str | None], ...] = (
    ("array_distinct", "SELECT size(array_distinct(a)) FROM arr_in", SORT_PAIRS),
    ("array_sort", "SELECT size(array_sort(a)) FROM arr_in", SORT),
    ("sort_array desc", "SELECT size(sort_array(a, false)) FROM arr_in", SORT),
    ("array_contains", "SELECT array_contains(a, -1) FROM arr_in", None),
    ("array_position", "SELECT array_position(a, -1) FROM arr_in", None),
    ("array_remove", "SELECT size(array_remove(a, 3)) FROM arr_in", None),
    ("array_intersect", "SELECT size(array_intersect(a, b)) FROM arr_in", SORT_PAIRS),
    ("array_union", "SELECT size(array_union(a, b)) FROM arr_in", SORT_PAIRS),
    ("array_except", "SELECT size(array_except(a, b)) FROM arr_in", SORT_PAIRS),
    ("arrays_overlap", "SELECT arrays_overlap(a, b) FROM arr_in", HASH_SET),
    ("sequence", "SELECT size(sequence(1, size(a))) FROM arr_in", None),
    ("array_max", "SELECT array_max(a) FROM arr_in", None),
    ("slice", "SELECT size(slice(a, 2, 1000)) FROM arr_in", None),
    ("element_at", "SELECT element_at(a, -1) FROM arr_in", None),
    ("concat arrays", "SELECT size(concat(a, b)) FROM arr_in", None),
    ("flatten", "SELECT size(flatten(array(a, b))) FROM arr_in", None),
    ("transform", "SELECT size(transform(a, x -> x + 1)) FROM arr_in", None),
    ("transform with index", "SELECT size(transform(a, (x, i) -> x + i)) FROM arr_in", None),
    ("filter", "SELECT size(filter(a, x -> x > 10)) FROM arr_in", None),
    ("exists", "SELECT exists(a, x -> x < 0) FROM arr_in", None),
    ("forall", "SELECT forall(a, x -> x >= 0) FROM arr_in", None),
    ("aggregate", "SELECT aggregate(a, 0L, (acc, x) -> acc + coalesce(x, 0)) FROM arr_in", None),
    ("array_join", "SELECT length(array_join(transform(a, x -> cast(x as string)), ',')) FROM arr_in", None),
    ("explode", "SELECT count(*) FROM (SELECT explode(a) AS v FROM arr_in)", None),
    ("collect_list", "SELECT size(collect_list(v)) FROM elem_in", None),
    ("collect_set", "SELECT size(collect_set(v)) FROM elem_in", HASH_AGG),
    ("array_distinct(collect_list)", "SELECT size(array_distinct(collect_list(v))) FROM elem_in", SORT_PAIRS),
    (
        "histogram (published style)",
        "SELECT size(transform(array_sort(array_distinct(collect_list(v % 8))), "
        "k -> size(filter(collect_list(v % 8), x -> x = k)))) FROM elem_in",
        SORT_PAIRS,
    ),
    # rows, not elements: a whole-partition window aggregate runs as a GROUP BY joined back
    (
        "min over a whole partition",
        "SELECT count(m) FROM (SELECT MIN(v) OVER (PARTITION BY v % 1000) AS m FROM elem_in) w",
        None,
    ),
    (
        "min of a struct over a whole partition",
        "SELECT count(m) FROM (SELECT MIN(s) OVER (PARTITION BY g) AS m FROM (SELECT v % 1000 AS g, "
        "named_struct('a', coalesce(v, 0) % 7, 'b', i) AS s FROM elem_in) r) w",
        None,
    ),
)

# DuckDB's own primitives on the same arrays, run as written (no translation, no macro of ours): what
# the hardware and DuckDB give at each size, against which a construct's exponent is read.
REFERENCES: tuple[tuple[str, str], ...] = (
    (HASH_SET, "SELECT list_has_any(a, b) FROM arr_in"),
    (HASH_AGG, "SELECT len(list(DISTINCT v)) FROM elem_in"),
    (SORT, "SELECT len(list_sort(a)) FROM arr_in"),
    (SORT_PAIRS, "SELECT len(list_sort(list_transform(a, lambda x, i: {'v': x, 'i': i}))) FROM arr_in"),
    ("reference: DuckDB list_distinct", "SELECT len(list_distinct(a)) FROM arr_in"),
)


def _load(con: duckdb.DuckDBPyConnection, n: int) -> None:
    con.execute("DROP TABLE IF EXISTS elem_in")
    con.execute("DROP TABLE IF EXISTS arr_in")
    con.execute(
        f"CREATE TABLE elem_in AS SELECT CASE WHEN i % 997 = 0 THEN NULL ELSE hash(i) % {max(n // 2, 1)} END "
        f"AS v, i FROM range({n}) r(i)"
    )
    con.execute(
        "CREATE TABLE arr_in AS SELECT list(v ORDER BY i) AS a, list(v + 1 ORDER BY i) AS b FROM elem_in"
    )


def _run(con: duckdb.DuckDBPyConnection, sql: str, *, raw: bool = False) -> float:
    statements = [sql] if raw else translate_statement(sql).statements
    started = time.perf_counter()
    for statement in statements:
        con.execute(statement).fetchall()
    return time.perf_counter() - started


def measure(sizes: list[int], repeat: int, work: Path) -> dict[str, dict[int, float]]:
    work.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(work / "complexity.duckdb"))
    for macro in COMPAT_MACROS:
        con.execute(macro)
    runs = [(name, sql, False) for name, sql, _ in CONSTRUCTS] + [
        (name, sql, True) for name, sql in REFERENCES
    ]
    results: dict[str, dict[int, float]] = {name: {} for name, _, _ in runs}
    for n in sizes:
        _load(con, n)
        for name, sql, raw in runs:
            results[name][n] = median(_run(con, sql, raw=raw) for _ in range(repeat))
            print(f"{name:32s} n={n:>9,d} {results[name][n]:.4f} s", file=sys.stderr)
    con.close()
    return results


RESOLUTION_S = 0.05  # below this at the largest size, timer and cache noise decide the ratio


def exponent(times: dict[int, float]) -> float | None:
    """The growth exponent between the two largest sizes; None when both are too quick to tell."""
    (n1, t1), (n2, t2) = sorted(times.items())[-2:]
    if t2 < RESOLUTION_S:
        return None
    return math.log(t2 / max(t1, 1e-4)) / math.log(n2 / n1)


def excess(own: float | None, reference: float | None) -> float | None:
    """What a construct adds to the growth of the primitive it rests on (a plain scan grows 1)."""
    if own is None:
        return None
    return own - (1.0 if reference is None else reference)


Row = list[object]


def judge(results: dict[str, dict[int, float]], limit: float) -> tuple[list[Row], list[tuple[str, float]]]:
    """One row per construct (times, exponent, reference, excess, verdict), and each judged excess."""
    rows: list[Row] = []
    judged: list[tuple[str, float]] = []
    for name, _, reference in CONSTRUCTS:
        own = exponent(results[name])
        added = excess(own, exponent(results[reference]) if reference else None)
        verdict = "too quick to tell" if added is None else ("ok" if added <= limit else "TOO FAST GROWTH")
        label = (reference or "scan (1)").removeprefix("reference: ")
        rows.append([name, *results[name].values(), own, label, added, verdict])
        if added is not None:
            judged.append((name, added))
    return rows, judged


def main(argv: list[str] | None = None) -> None:
    parser = base_parser(__doc__ or "", sizes="10000,100000,1000000", repeat=3)
    parser.add_argument("--limit", type=float, default=0.25, help="largest excess growth exponent allowed")
    args = parser.parse_args(argv)
    sizes = parse_sizes(args.sizes)
    results = measure(sizes, args.repeat, args.work)
    rows, judged = judge(results, args.limit)
    rows += [[name, *results[name].values(), exponent(results[name]), "", None, ""] for name, _ in REFERENCES]
    worst = max(judged, key=lambda j: j[1], default=None)
    header = ["construct", *(f"n={n:,}" for n in sizes), "exponent", "reference", "excess", "verdict"]
    body = (
        "Seconds per construct (median of the runs) over one array of n elements; the growth exponent "
        "between the two largest sizes (1 linear, about 1.08 n log n, 2 quadratic); the DuckDB primitive "
        "the construct's translation rests on (the last rows: run as written on the same arrays, no "
        "translation, no macro of ours); and the *excess*: the construct's exponent minus its reference's "
        "(minus 1 for a plain scan), i.e. what the translation adds to the growth once the CPU caches' "
        f"share, which every hash set and sort pays between 100k and 1M, is taken out (limit {args.limit}: "
        "n log n over linear adds 0.08, quadratic work about 1). "
        f"'-' where the largest size takes under {RESOLUTION_S} s, too quick to tell.\n\n"
        + table(header, rows)
        + (
            f"\n\nLargest excess: {worst[0]} ({worst[1]:+.2f})."
            if worst
            else "\n\nEvery construct too quick to tell."
        )
    )
    write_results(
        args.out, "complexity", "Complexity of array, map and lambda constructs (embedded engine)", body,
        {"sizes": sizes, "limit": args.limit,
         "results": {k: {str(n): t for n, t in v.items()} for k, v in results.items()}},
        command=command_line("bench.complexity", argv),
    )  # fmt: skip
    too_slow = [name for name, added in judged if added > args.limit]
    if too_slow:
        sys.exit(f"constructs growing faster than n log n over their primitive: {', '.join(too_slow)}")


if __name__ == "__main__":
    main()
