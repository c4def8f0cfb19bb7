"""Nested Spark functions on the embedded engine: each level must add a constant cost, as in Spark.

A DuckDB macro that names its argument k times copies it k times, and nested macros multiply the
copies (``airflow_idu/engines/duckdb/spark_compat/binding.py``). This measures expressions nested
1 to ``--depth`` levels deep over ``--rows`` rows, with the macros as shipped (each argument bound
once) and, for comparison, as written (``UNBOUND_MACROS``, arguments copied). A query still
running after ``--budget`` seconds is interrupted and shown as ``>budget``.

The growth per level is the last level's time over the first level's, divided by the number of
levels after the first (about 1 when each level adds the same work). A bound template above
``--limit`` fails the run.

    .venv/bin/python -m bench.nesting                       # 200k rows, depth 1..4; writes docs/
    .venv/bin/python -m bench.nesting --rows 10000 --out /tmp/x   # a quick look
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import duckdb

from airflow_idu.engines.duckdb.spark_compat.library import register_functions
from airflow_idu.engines.duckdb.spark_compat.macro_catalog import COMPAT_MACROS, UNBOUND_MACROS
from airflow_idu.engines.duckdb.translate import translate_statement
from bench.common import base_parser, command_line, median, table, write_results

# (name, template with one {} for the level below, innermost expression) over t(s STRING, a, b BIGINT)
TEMPLATES: tuple[tuple[str, str, str], ...] = (
    ("canonical-id chain", "unhex(lpad(conv({}, 16, 10), 16, '0'))", "substr(sha2(s, 256), 1, 15)"),
    ("substr", "substr({}, 2, 40)", "s"),
    ("binary chain", "base64(unhex(hex({})))", "s"),
    ("multiply", "({} * b)", "a"),
    ("upper(lower)", "upper(lower({}))", "s"),
)


def _connect(work: Path, macros: tuple[str, ...], rows: int) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(work / "nesting.duckdb"))
    for macro in macros:
        con.execute(macro)
    register_functions(con)
    con.execute(
        "CREATE OR REPLACE TABLE t AS SELECT 'key-' || i AS s, i::BIGINT % 1000 AS a, "
        f"(i % 7 + 1)::BIGINT AS b FROM range({rows}) r(i)"
    )
    return con


def _timed(con: duckdb.DuckDBPyConnection, sql: str, budget: float) -> float | str:
    """Seconds to plan and run ``sql``; why not, when it was interrupted after ``budget`` seconds or failed."""
    timer = threading.Timer(budget, con.interrupt)
    started = time.perf_counter()
    timer.start()
    try:
        con.execute(f"SELECT count(*) FROM (SELECT {sql} AS v FROM t) WHERE v IS NOT NULL").fetchall()
    except duckdb.InterruptException:
        return f">{budget:g} s"
    except duckdb.Error as err:
        return "fails: " + str(err).splitlines()[0][:70]
    finally:
        timer.cancel()
    return time.perf_counter() - started


def measure(
    macros: tuple[str, ...], work: Path, *, rows: int, depth: int, repeat: int, budget: float
) -> dict[str, list[float | str]]:
    work.mkdir(parents=True, exist_ok=True)
    (work / "nesting.duckdb").unlink(missing_ok=True)
    con = _connect(work, macros, rows)
    results: dict[str, list[float | str]] = {}
    for name, template, innermost in TEMPLATES:
        expression, times = innermost, []
        for level in range(1, depth + 1):
            expression = template.format(expression)
            (duck,) = translate_statement(f"SELECT {expression} FROM t").statements
            select = duck.removeprefix("SELECT ").rsplit(" FROM t", 1)[0]
            runs = [_timed(con, select, budget) for _ in range(repeat)]
            failed = [r for r in runs if isinstance(r, str)]
            value: float | str = failed[0] if failed else median(r for r in runs if isinstance(r, float))
            times.append(value)
            print(f"{name:20s} depth {level} {value}", file=sys.stderr)
            if failed:
                times += ["-"] * (depth - level)
                break
        results[name] = times
    con.close()
    return results


def growth(times: list[float | str]) -> float | None:
    first, last = times[0], times[-1]
    if len(times) < 2 or not isinstance(first, float) or not isinstance(last, float):
        return None
    return (last / first) / (len(times) - 1)


def main(argv: list[str] | None = None) -> None:
    parser = base_parser(__doc__ or "", sizes="", repeat=3)
    parser.add_argument("--rows", type=int, default=200_000, help="rows of the input table")
    parser.add_argument("--depth", type=int, default=4, help="deepest nesting measured")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds before a query is interrupted")
    parser.add_argument("--limit", type=float, default=1.5, help="largest growth per level allowed (bound)")
    args = parser.parse_args(argv)
    kwargs = {"rows": args.rows, "depth": args.depth, "repeat": args.repeat, "budget": args.budget}
    bound = measure(COMPAT_MACROS, args.work, **kwargs)
    copied = measure(("SET TimeZone = 'UTC'", *UNBOUND_MACROS), args.work, **kwargs)
    levels = range(1, args.depth + 1)

    rows = []
    for name, _, _ in TEMPLATES:
        rows.append([name, "bound (shipped)", *bound[name], growth(bound[name])])
        rows.append([name, "copied (as written)", *copied[name], growth(copied[name])])
    body = (
        f"Seconds (median of {args.repeat}) to plan and run one expression nested 1 to {args.depth} levels "
        f"deep over {args.rows:,} rows, with each macro argument bound once (as shipped) and copied "
        "into the macro body as written; growth per level = (last / first) / (levels - 1), about 1 when "
        f"each level adds the same work (limit {args.limit} for the shipped macros); a level that did not "
        f"finish within {args.budget:g} s or failed says so, and deeper levels are not tried ('-').\n\n"
        + table(["expression", "macros", *(f"depth {d}" for d in levels), "growth per level"], rows)
    )
    write_results(
        args.out,
        "nesting",
        "Nested functions on the embedded engine",
        body,
        {"rows": args.rows, "bound": bound, "copied": copied},
        command=command_line("bench.nesting", argv),
    )
    too_slow = [name for name, times in bound.items() if (g := growth(times)) is None or g > args.limit]
    if too_slow:
        sys.exit(f"nested expressions growing faster than linearly: {', '.join(too_slow)}")


if __name__ == "__main__":
    main()
