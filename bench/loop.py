"""Loop efficiency: iterations, seconds per iteration, convergence share, idle time between pokes.

Per case (a chain of L identifiers, or the demo data):
(a) the raw engine (``bench.raw``, setup + loop only) times each iteration and its
    convergence count exactly;
(b) ``airflow dags test`` of a setup+loop-only DAG runs the real ``UnifyLoopSensor`` (poke mode);
    its log gives the sensor's iterations, the convergence share it pays and the idle gap
    between one iteration's last statement and the next one's first.

    .venv/bin/python -m bench.loop --sizes 10,100,1000,10000 --demo-people 100000 --repeat 3
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from bench import logparse
from bench.common import REPO, base_parser, command_line, median, parse_sizes, table, write_results
from bench.raw import RawRunner
from bench.workspace import chain_db, count_records, dags_test, fresh_copy, source_db

EXAMPLE_SQL = REPO / "examples" / "customer_unification" / "sql"
TARGET_CONVERGENCE_SHARE = 0.10
DAG_SOURCE = (
    "from airflow_idu import create_unification_dag\ndag = create_unification_dag('bench_loop', {sql!r})\n"
)


def loop_only_dir(work: Path) -> Path:
    """The example directory's setup and loop files only (no canonicalize, so no report task)."""
    sql = work / "loop" / "sql"
    sql.mkdir(parents=True, exist_ok=True)
    for f in EXAMPLE_SQL.glob("0[1-4]_*.sql"):
        shutil.copyfile(f, sql / f.name)
    return sql


def loop_dags(work: Path, sql: Path) -> Path:
    dags = work / "loop" / "dags"
    dags.mkdir(parents=True, exist_ok=True)
    (dags / "bench_loop.py").write_text(DAG_SOURCE.format(sql=str(sql)))
    return dags


def raw_case(src: Path, work: Path, name: str, sql: Path) -> dict[str, Any]:
    result = RawRunner(fresh_copy(src, work / "loop" / f"{name}_raw.duckdb")).run(sql, loop_only=True)
    its = result.iterations
    loop = result.loop_seconds
    conv = sum(i.convergence_seconds for i in its)
    return {
        "iterations": len(its),
        "loop_seconds": loop,
        "per_iteration": loop / len(its),
        "convergence_share": conv / loop if loop else 0.0,
    }


def airflow_case(src: Path, work: Path, name: str, sql: Path, r: int) -> dict[str, Any]:
    db = fresh_copy(src, work / "loop" / f"{name}_airflow.duckdb")
    run = dags_test(
        "bench_loop",
        work=work,
        db=db,
        log=work / "loop" / f"{name}_r{r}.log",
        dags_folder=loop_dags(work, sql),
    )
    task = logparse.parse(run.log).task("unify_loop")
    assert task is not None, f"no unify_loop task in {run.log}"
    its = sum(i.seconds for i in task.iterations)
    loop_log = task.loop_log_insert_seconds
    gaps = logparse.iteration_gaps(task)
    return {
        "iterations": len(task.iterations),
        "task_span": task.span,
        "iterations_seconds": its,
        "convergence_share": task.convergence_seconds / its if its else 0.0,
        "loop_log_seconds": loop_log,
        "gap_max": max(gaps, default=0.0),
        "gap_sum": sum(gaps),
        "gaps": gaps,
    }


def run_case(name: str, src: Path, work: Path, sql: Path, repeat: int) -> dict[str, Any]:
    raws = [raw_case(src, work, name, sql) for _ in range(repeat)]
    afs = [airflow_case(src, work, name, sql, r) for r in range(repeat)]
    summary = {
        "case": name,
        "records": count_records(src),
        "iterations": raws[0]["iterations"],
        "raw_per_iteration": median(r["per_iteration"] for r in raws),
        "raw_convergence_share": median(r["convergence_share"] for r in raws),
        "sensor_iterations": afs[0]["iterations"],
        "sensor_per_iteration": median(
            (a["iterations_seconds"] + a["loop_log_seconds"]) / a["iterations"] for a in afs
        ),
        "sensor_convergence_share": median(a["convergence_share"] for a in afs),
        "loop_log_share": median(a["loop_log_seconds"] / a["task_span"] for a in afs),
        "gap_max_ms": median(a["gap_max"] for a in afs) * 1000,
        "poke_overhead_ms": median(
            (a["task_span"] - a["iterations_seconds"] - a["loop_log_seconds"]) / a["iterations"] for a in afs
        )
        * 1000,
        "loop_log_per_iteration_ms": median(a["loop_log_seconds"] / a["iterations"] for a in afs) * 1000,
        "raw_runs": raws,
        "airflow_runs": afs,
    }
    print({k: v for k, v in summary.items() if not k.endswith("_runs")})
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = base_parser(__doc__ or "", sizes="10,100,1000,10000")
    parser.add_argument("--demo-people", type=int, default=100_000, help="demo data case (0 to skip)")
    args = parser.parse_args(argv)
    sql = loop_only_dir(args.work)
    cases = [(f"chain {n:,}", chain_db(args.work, n)) for n in parse_sizes(args.sizes)]
    if args.demo_people:
        cases.append((f"demo {args.demo_people:,} people", source_db(args.work, args.demo_people)))
    results = [
        run_case(name.replace(" ", "_").replace(",", ""), src, args.work, sql, args.repeat)
        for name, src in cases
    ]
    for (name, _), res in zip(cases, results, strict=True):
        res["case"] = name
    ok = "✅" if all(r["raw_convergence_share"] <= TARGET_CONVERGENCE_SHARE for r in results) else "❌"
    rows = [
        [
            r["case"],
            f"{r['records']:,}",
            r["iterations"],
            r["raw_per_iteration"],
            f"{100 * r['raw_convergence_share']:.1f}%",
            r["sensor_iterations"],
            r["sensor_per_iteration"],
            f"{100 * r['sensor_convergence_share']:.1f}%",
            f"{100 * r['loop_log_share']:.1f}%",
            r["loop_log_per_iteration_ms"],
            r["poke_overhead_ms"],
            r["gap_max_ms"],
        ]
        for r in results
    ]
    body = "\n\n".join(
        [
            f"Targets: convergence query ≤ {TARGET_CONVERGENCE_SHARE:.0%} of loop time ({ok} raw engine); "
            "zero idle time between iterations in poke mode. Medians of the runs. `raw` = bench.raw (exact "
            "timers); `sensor` = UnifyLoopSensor under `airflow dags test` (from its log: iteration seconds - "
            "statements = convergence). `poke ovh` = loop task time not spent in iteration/log statements, "
            "per iteration (task start-up spread over the iterations); `max gap` = largest idle time between "
            "the end of iteration K (incl. its loop-log INSERT) and the start of K+1's first statement.",
            table(
                [
                    "case",
                    "records",
                    "iterations",
                    "raw s/iter",
                    "raw conv share",
                    "sensor iters",
                    "sensor s/iter",
                    "sensor conv share",
                    "loop-log share",
                    "loop-log ms/iter",
                    "poke ovh ms/iter",
                    "max gap ms",
                ],
                rows,
            ),
        ]
    )
    print(
        write_results(
            args.out,
            "loop",
            "3. Loop efficiency",
            body,
            {"results": results, "target_convergence_share": TARGET_CONVERGENCE_SHARE},
            command=command_line("bench.loop", argv),
        )
    )


if __name__ == "__main__":
    main()
