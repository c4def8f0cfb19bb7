"""Growth of every array, map and lambda construct on the embedded engine, 10k to 1M elements.

Each construct is translated from Spark SQL exactly as a statement of a directory would be
(``translate_statement`` + the compatibility macros) and run over one array of n BIGINTs
(about n/2 distinct values, a few NULLs) in a DuckDB database. The growth exponent between
the two largest sizes is log(t2/t1) / log(n2/n1): about 1 for linear work, about 1.1 for
n log n, 2 for quadratic. Between 100k and 1M the arrays outgrow the CPU caches, which adds
to every exponent: DuckDB's own hash aggregation (``collect_set``, no macro of ours) measures
about 1.3 here. A construct above ``--limit`` (default 1.5, between that and quadratic) fails
the run: a translation asymptotically slower than the Spark function it replaces is a bug.

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

# (name, Spark SQL over table arr_in(a ARRAY<BIGINT>, b ARRAY<BIGINT>)); aggregates read elem_in(v)
CONSTRUCTS: tuple[tuple[str, str], ...] = (
    ("array_distinct", "SELECT size(array_distinct(a)) FROM arr_in"),
    ("array_sort", "SELECT size(array_sort(a)) FROM arr_in"),
    ("sort_array desc", "SELECT size(sort_array(a, false)) FROM arr_in"),
    ("array_contains", "SELECT array_contains(a, -1) FROM arr_in"),
    ("array_position", "SELECT array_position(a, -1) FROM arr_in"),
    ("array_remove", "SELECT size(array_remove(a, 3)) FROM arr_in"),
    ("array_intersect", "SELECT size(array_intersect(a, b)) FROM arr_in"),
    ("array_union", "SELECT size(array_union(a, b)) FROM arr_in"),
    ("array_except", "SELECT size(array_except(a, b)) FROM arr_in"),
    ("arrays_overlap", "SELECT arrays_overlap(a, b) FROM arr_in"),
    ("sequence", "SELECT size(sequence(1, size(a))) FROM arr_in"),
    ("array_max", "SELECT array_max(a) FROM arr_in"),
    ("slice", "SELECT size(slice(a, 2, 1000)) FROM arr_in"),
    ("element_at", "SELECT element_at(a, -1) FROM arr_in"),
    ("concat arrays", "SELECT size(concat(a, b)) FROM arr_in"),
    ("flatten", "SELECT size(flatten(array(a, b))) FROM arr_in"),
    ("transform", "SELECT size(transform(a, x -> x + 1)) FROM arr_in"),
    ("transform with index", "SELECT size(transform(a, (x, i) -> x + i)) FROM arr_in"),
    ("filter", "SELECT size(filter(a, x -> x > 10)) FROM arr_in"),
    ("exists", "SELECT exists(a, x -> x < 0) FROM arr_in"),
    ("forall", "SELECT forall(a, x -> x >= 0) FROM arr_in"),
    ("aggregate", "SELECT aggregate(a, 0L, (acc, x) -> acc + coalesce(x, 0)) FROM arr_in"),
    ("array_join", "SELECT length(array_join(transform(a, x -> cast(x as string)), ',')) FROM arr_in"),
    ("explode", "SELECT count(*) FROM (SELECT explode(a) AS v FROM arr_in)"),
    ("collect_list", "SELECT size(collect_list(v)) FROM elem_in"),
    ("collect_set", "SELECT size(collect_set(v)) FROM elem_in"),
    ("array_distinct(collect_list)", "SELECT size(array_distinct(collect_list(v))) FROM elem_in"),
    (
        "histogram (published style)",
        "SELECT size(transform(array_sort(array_distinct(collect_list(v % 8))), "
        "k -> size(filter(collect_list(v % 8), x -> x = k)))) FROM elem_in",
    ),
)

# DuckDB's own primitives on the same arrays, run as written (no translation, no macro of ours): what
# the hardware and DuckDB give at each size, against which a construct's exponent is read.
REFERENCES: tuple[tuple[str, str], ...] = (
    ("reference: DuckDB list_has_any", "SELECT list_has_any(a, b) FROM arr_in"),
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
    results: dict[str, dict[int, float]] = {name: {} for name, _ in CONSTRUCTS + REFERENCES}
    for n in sizes:
        _load(con, n)
        for name, sql in CONSTRUCTS + REFERENCES:
            raw = (name, sql) in REFERENCES
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


def main(argv: list[str] | None = None) -> None:
    parser = base_parser(__doc__ or "", sizes="10000,100000,1000000", repeat=3)
    parser.add_argument("--limit", type=float, default=1.5, help="largest growth exponent allowed")
    args = parser.parse_args(argv)
    sizes = parse_sizes(args.sizes)
    results = measure(sizes, args.repeat, args.work)
    rows = [[name, *(results[name][n] for n in sizes), exponent(results[name])] for name, _ in CONSTRUCTS]
    references = [
        [name, *(results[name][n] for n in sizes), exponent(results[name])] for name, _ in REFERENCES
    ]
    judged = [r for r in rows if r[-1] is not None]
    worst = max(judged, key=lambda r: r[-1], default=None)
    body = (
        "Seconds per construct (median of the runs) over one array of n elements, and the growth "
        f"exponent between the two largest sizes (1 linear, about 1.1 n log n, 2 quadratic; limit {args.limit}, "
        "as the arrays outgrowing the CPU caches adds to every exponent: `collect_set`, DuckDB's own hash "
        "aggregation with no macro of ours, is one reference, and the last rows run DuckDB's own list "
        "primitives as written, no translation; "
        f"'-' where the largest size takes under {RESOLUTION_S} s, too quick to tell).\n\n"
        + table(["construct", *(f"n={n:,}" for n in sizes), "exponent"], rows + references)
        + (
            f"\n\nLargest exponent: {worst[0]} ({worst[-1]:.2f})."
            if worst
            else "\n\nEvery construct too quick to tell."
        )
    )
    write_results(
        args.out, "complexity", "Complexity of array, map and lambda constructs (embedded engine)", body,
        {"sizes": sizes, "results": {k: {str(n): t for n, t in v.items()} for k, v in results.items()}},
        command=command_line("bench.complexity", argv),
    )  # fmt: skip
    too_slow = [r[0] for r in judged if r[-1] > args.limit]
    if too_slow:
        sys.exit(f"constructs growing faster than n log n: {', '.join(too_slow)}")


if __name__ == "__main__":
    main()
