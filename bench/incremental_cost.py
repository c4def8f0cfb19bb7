"""What an incremental run costs against a full refresh after a 1% delta, on the embedded engine
or on the local SQL warehouse.

The example ``unify.yml``'s demo data for ``--people`` people (about 12 source records each) is cut
into ``--days`` daily deliveries by time. The directory is generated with ``--incremental``. A full
refresh of the first ``days - 1`` days is the committed state; from a copy of it, the last day is
delivered (1 / days of the rows) and run once incrementally and once as a full refresh, interleaved,
``--repeat`` times. Each run goes through the product's steps (``prepare_incremental``, every file of
the plan, the loop to convergence, ``commit_incremental``) on ``DuckDBEngine``, or with ``--engine
warehouse`` on ``DatabricksEngine`` through the real connector to the local SQL warehouse serving the
same file (``--latency-ms`` per statement), without Airflow; the engine time is the sum of the
statements' seconds as the engine logs them (on the warehouse: the client's round trips). After each pair, every
output table of the incremental run is compared with the full refresh's (multiset, run-time
columns aside): a difference fails the benchmark.

Each timed run starts with this process's translations forgotten, as an Airflow task process starts:
the embedded engine reads them from the translation cache on disk (``<work>/translations``), which the
committed state's run wrote, as the previous day's run writes it for a scheduled one. One more
incremental run, outside the medians, starts from an empty cache: what the first run after an upgrade
or a changed directory pays to translate.

    .venv/bin/python -m bench.incremental_cost                        # 100k people (1.2M records)
    .venv/bin/python -m bench.incremental_cost --people 1000000 --repeat 1   # 12M records
    .venv/bin/python -m bench.incremental_cost --people 2000 --days 20 --out /tmp/x   # a quick look
    .venv/bin/python -m bench.incremental_cost --engine warehouse                     # the local warehouse
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from airflow_idu.demo.data import create_demo_data
from airflow_idu.engines.base import Engine
from airflow_idu.engines.duckdb import DuckDBEngine
from airflow_idu.engines.duckdb.translation_cache import CACHE_ENV, forget_process_memory
from airflow_idu.generate.config import load_unify_config
from airflow_idu.generate.sql import generate_sql_directory
from airflow_idu.loop.runner import LoopRunner
from airflow_idu.plan import Phase, read_plan
from airflow_idu.plan.contract import TableNames
from airflow_idu.runstate.incremental_steps import commit_incremental, prepare_incremental
from bench.common import REPO, base_parser, command_line, median, table, write_results

EXAMPLE_YML = REPO / "examples" / "customer_unification" / "unify.yml"
SOURCES = ("customer_profiles", "web_sessions", "orders", "support_tickets")
TABLES = TableNames(prefix="unified_customer_id", catalog="idu_demo", schema="unified")
CONN_ID = "idu_bench_incremental"
TOKEN = "dapi-bench-incremental"
# compared between the two runs; the run-state tables differ by design (run ids, times)
OUTPUTS = (
    "unified_customer_id_lookup",
    "unified_customer_id_graph",
    "unified_customer_id_source_key_stats",
    "unified_customer_id_result_key_stats",
    *(f"enriched_{t}" for t in SOURCES),
    "customer_master",
)


def stage(database: Path, *, people: int, days: int) -> None:
    """Demo data in ``src`` with the day each row arrives (its time order cut into ``days`` slices)."""
    create_demo_data(database, schema="customer_db", people=people, seed=7)
    with duckdb.connect(str(database)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS src")
        for t in SOURCES:
            con.execute(
                f"CREATE OR REPLACE TABLE src.{t} AS SELECT *, "
                f"CAST(ntile({days}) OVER (ORDER BY time, hash(s::VARCHAR)) AS INTEGER) AS day FROM customer_db.{t} s"
            )


def deliver(database: Path, day: int) -> int:
    """The source tables as of ``day``; returns their row count."""
    with duckdb.connect(str(database)) as con:
        for t in SOURCES:
            con.execute(
                f"CREATE OR REPLACE TABLE customer_db.{t} AS SELECT * EXCLUDE (day) FROM src.{t} WHERE day <= {day}"
            )
        return sum(int(con.execute(f"SELECT COUNT(*) FROM customer_db.{t}").fetchone()[0]) for t in SOURCES)  # type: ignore[index, misc]


@contextmanager
def open_engine(database: Path, engine_kind: str, latency_ms: int) -> Iterator[Engine]:
    """The engine a run uses: the embedded one on the file, or the connector to a warehouse serving it."""
    if engine_kind == "duckdb":
        os.environ[f"AIRFLOW_CONN_{CONN_ID.upper()}"] = json.dumps(
            {"conn_type": "duckdb", "host": str(database)}
        )
        engine: Engine = DuckDBEngine(CONN_ID, catalog="idu_demo", schema="unified")
        try:
            yield engine
        finally:
            engine.close()
        return
    from airflow_idu.engines.databricks import DatabricksEngine
    from airflow_idu.warehouse.core import Warehouse
    from airflow_idu.warehouse.faults import Auth
    from airflow_idu.warehouse.latency import Latency
    from airflow_idu.warehouse.server import WarehouseServer

    warehouse = Warehouse(database, latency=Latency(statement_ms=latency_ms, fetch_ms=0))
    server = WarehouseServer(warehouse, auth=Auth(token=TOKEN)).start()
    os.environ[f"AIRFLOW_CONN_{CONN_ID.upper()}"] = json.dumps(server.connection())
    engine = DatabricksEngine(CONN_ID, catalog="idu_demo", schema="unified")
    try:
        yield engine
    finally:
        engine.close()
        server.stop()
        warehouse.close()


def run(
    database: Path,
    sql_dir: Path,
    run_id: str,
    *,
    full_refresh: bool,
    engine_kind: str = "duckdb",
    latency_ms: int = 0,
) -> dict[str, list[float]]:
    """One run through the product's steps; per step, the seconds of each statement sent."""
    forget_process_memory()  # as a task process starts: translations come from the cache on disk
    plan = read_plan(sql_dir)
    seconds: dict[str, list[float]] = defaultdict(list)

    def note(step: str, stats: list) -> None:
        seconds[step].extend(s.seconds for s in stats if s.skipped is None)

    with open_engine(database, engine_kind, latency_ms) as engine:
        started = time.perf_counter()
        window = prepare_incremental(engine, TABLES, sql_dir, run_id=run_id, full_refresh=full_refresh)
        seconds["prepare (Python step)"].append(time.perf_counter() - started)
        assert window.full_refresh is full_refresh, window
        for phase in plan.phases:
            if phase.phase is Phase.LOOP:
                # the product's loop driver; the convergence count is timed with its iteration
                runner = LoopRunner(engine, plan.loop, run_id, resume=False)
                while not runner.converged:
                    runner.check_limit()
                    started = time.perf_counter()
                    runner.step()
                    note("loop", runner.last_stats)
                    seconds["loop"].append(
                        time.perf_counter() - started - sum(s.seconds for s in runner.last_stats)
                    )
                note("loop", runner.finish()[1])
                continue
            for f in phase.files:
                note(f.path.name, engine.run_script(f.path.read_text(encoding="utf-8"), label=f.path.name))
        started = time.perf_counter()
        commit_incremental(engine, TABLES, run_id=run_id)
        seconds["commit (Python step)"].append(time.perf_counter() - started)
        # DuckDB writes what the WAL holds into the file when the connection closes (a checkpoint; a
        # statement that fills the WAL pays one mid-run): part of a run's cost, so it is timed too
        started = time.perf_counter()
        engine.close()
        seconds["close (Python step)"].append(time.perf_counter() - started)
    return dict(seconds)


def differences(a: Path, b: Path, tables: tuple[str, ...] = OUTPUTS) -> dict[str, int]:
    """Per table of schema ``unified``, the rows in one file and not the other (multiset), where any."""
    found = {}
    with duckdb.connect(str(a), read_only=True) as con:
        con.execute(f"ATTACH '{b}' AS other (READ_ONLY)")
        for t in tables:
            x, y = f"unified.{t}", f"other.unified.{t}"
            (n,) = con.execute(
                f"SELECT (SELECT COUNT(*) FROM (SELECT * FROM {x} EXCEPT ALL SELECT * FROM {y})) + "
                f"(SELECT COUNT(*) FROM (SELECT * FROM {y} EXCEPT ALL SELECT * FROM {x}))"
            ).fetchone()  # type: ignore[misc]
            if n:
                found[t] = int(n)
    return found


def main(argv: list[str] | None = None) -> None:
    parser = base_parser(__doc__ or "", sizes="", repeat=3)
    parser.add_argument("--people", type=int, default=100_000, help="demo people (about 12 records each)")
    parser.add_argument("--days", type=int, default=100, help="daily deliveries; the last one is the delta")
    parser.add_argument(
        "--engine", choices=("duckdb", "warehouse"), default="duckdb", help="where the runs go"
    )
    parser.add_argument(
        "--latency-ms", type=int, default=0, help="the warehouse's added latency per statement"
    )
    args = parser.parse_args(argv)
    work = args.work / "incremental_cost"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    sql_dir = work / "sql"
    os.environ[CACHE_ENV] = str(work / "translations")
    generate_sql_directory(
        load_unify_config(EXAMPLE_YML),
        catalog="idu_demo",
        schema="unified",
        out_dir=sql_dir,
        incremental=True,
    )
    base, inc_db, full_db = work / "base.duckdb", work / "incremental.duckdb", work / "full.duckdb"
    stage(base, people=args.people, days=args.days)
    before = deliver(base, args.days - 1)
    run(base, sql_dir, "base", full_refresh=True)  # the committed state: on the embedded engine either way
    runs: dict[str, list[dict[str, list[float]]]] = {"incremental": [], "full refresh": []}
    for rep in range(args.repeat):
        for kind, target in (("incremental", inc_db), ("full refresh", full_db)):
            shutil.copyfile(base, target)
            after = deliver(target, args.days)
            runs[kind].append(
                run(
                    target,
                    sql_dir,
                    f"{kind}-{rep}",
                    full_refresh=kind == "full refresh",
                    engine_kind=args.engine,
                    latency_ms=args.latency_ms,
                )
            )
            total = sum(sum(v) for v in runs[kind][-1].values())
            print(f"{kind} run {rep + 1}: {total:.2f} s", file=sys.stderr)
        found = differences(inc_db, full_db)
        if found:
            sys.exit(f"the incremental run differs from the full refresh: {found}")
    cold = _cold_cache_run(base, inc_db, sql_dir, work, args)

    steps = list(runs["full refresh"][0])

    def med(kind: str, step: str) -> float:
        return median(sum(r.get(step, [])) for r in runs[kind])

    def count(kind: str, step: str) -> int:
        return len(runs[kind][0].get(step, []))

    rows = [
        [s, med("full refresh", s), med("incremental", s), count("full refresh", s), count("incremental", s)]
        for s in steps
    ]
    totals = {k: median(sum(sum(v) for v in r.values()) for r in runs[k]) for k in runs}
    statements = {k: sum(len(v) for s, v in runs[k][0].items() if "Python" not in s) for k in runs}
    ratio = totals["incremental"] / totals["full refresh"]
    rows.append(
        [
            "**total**",
            totals["full refresh"],
            totals["incremental"],
            statements["full refresh"],
            statements["incremental"],
        ]
    )
    body = (
        f"{args.people:,} demo people, {after:,} source records after the last delivery; the delta is the last "
        f"of {args.days} daily deliveries ({after - before:,} rows, {100 * (after - before) / after:.1f}%). Engine "
        f"seconds per step (the statements' seconds as the engine logs them; the Python steps by wall "
        f"clock), median of {args.repeat} interleaved runs each; statements sent in one run. Every output table "
        "of the incremental run equals the full refresh's.\n\n"
        + table(
            ["step", "full refresh s", "incremental s", "full statements", "incremental statements"], rows
        )
        + f"\n\nIncremental / full refresh: **{ratio:.3f}** (target 0.10).\n\n"
        + f"With an empty translation cache (the first run after an upgrade or a changed directory; one run, "
        f"outside the medians) the incremental run took {cold:.2f} s."
    )
    where = (
        "embedded engine"
        if args.engine == "duckdb"
        else f"local SQL warehouse, real connector, {args.latency_ms} ms per statement"
    )
    key = f"incremental_cost_{args.people}" + (
        "" if args.engine == "duckdb" else f"_warehouse_{args.latency_ms}"
    )
    write_results(
        args.out,
        key,
        f"Incremental runs: cost after a 1% delta ({after:,} records, {where})",
        body,
        {
            "people": args.people,
            "days": args.days,
            "records": after,
            "delta_rows": after - before,
            "runs": runs,
            "ratio": ratio,
            "incremental_cold_cache_seconds": cold,
            "engine": args.engine,
            "latency_ms": args.latency_ms,
        },
        command=command_line("bench.incremental_cost", argv),
    )


def _cold_cache_run(base: Path, target: Path, sql_dir: Path, work: Path, args: Any) -> float:
    """One incremental run with the translation cache emptied first; its engine seconds."""
    shutil.rmtree(work / "translations", ignore_errors=True)
    shutil.copyfile(base, target)
    deliver(target, args.days)
    seconds = run(
        target,
        sql_dir,
        "incremental-cold",
        full_refresh=False,
        engine_kind=args.engine,
        latency_ms=args.latency_ms,
    )
    total = sum(sum(v) for v in seconds.values())
    print(f"incremental run, empty translation cache: {total:.2f} s", file=sys.stderr)
    return total


if __name__ == "__main__":
    main()
