"""Issue 15: the incremental loop against today's, and our DAG against the replaced script.

Two measurements, each interleaved (ABAB: the variants alternate inside every repeat, the
order flipping between repeats) so that load from other work on the machine hits both alike:

``loop``  engine time of the unify loop (``bench.raw --loop-only``, loop seconds) for the
          incremental directory vs the full-rewrite directory (``LoopAlgorithm.FULL``, the
          generator before issue 15), on the demo data and on a long-chain data set.
``e2e``   wall time of the script baseline (``bench.script_baseline``) on the full-rewrite
          directory (what users had) vs ``airflow dags test idu_example`` on the example
          directory (incremental loop), plus the raw engine on the example directory.

    .venv/bin/python -m bench.speed loop --people 100000 --chains 300 --repeat 3
    .venv/bin/python -m bench.speed e2e --sizes 10000,100000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from bench.common import DEFAULT_OUT, DEFAULT_WORK, PYTHON, REPO, command_line, median, table, write_results
from bench.workspace import count_records, dags_test, fresh_copy, run_measured, source_db

EXAMPLE = REPO / "examples" / "customer_unification"
TARGET = {
    "catalog": "idu_demo",
    "schema": "unified",
    "source_catalog": "idu_demo",
    "source_schema": "customer_db",
}


def sql_dirs(work: Path) -> dict[str, Path]:
    """The example unify.yml generated with each loop (``incremental`` is the committed example)."""
    import yaml

    from airflow_idu.generate.config import parse_unify_config
    from airflow_idu.generate.sql import LoopAlgorithm, generate_sql_directory

    config = parse_unify_config(yaml.safe_load((EXAMPLE / "unify.yml").read_text()))
    out = {}
    for loop in LoopAlgorithm:
        path = work / "speed" / f"sql_{loop.value}"
        generate_sql_directory(config, **TARGET, out_dir=path, loop=loop)
        out[loop.value] = path
    return out


def long_chain_db(work: Path, chains: int, people: int = 60_000) -> Path:
    """Demo people plus ``chains`` chains of 1,000-3,000 identifiers each (made once, reused)."""
    path = work / "data" / f"longchain_c{chains}_p{people}.duckdb"
    if path.exists():
        return path
    from airflow_idu.demo.data import _generate

    step = max(1, people // chains)
    people_sql = f"""
    CREATE OR REPLACE TEMP TABLE demo_people AS
    SELECT p,
        CASE WHEN p % {step} = 0 THEN 'chain' WHEN h(p, 0, 'kind') % 100 < 5 THEN 'singleton'
             ELSE 'normal' END AS kind,
        pick(p, 0, 'ne', 3) AS n_email, pick(p, 0, 'nc', 2) AS n_cid, pick(p, 0, 'np', 2) AS n_phone,
        999 + pick(p, 0, 'len', 2001) AS chain_len
    FROM range({people}) t(p)
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    _generate(tmp, "customer_db", 42, people_sql)
    tmp.rename(path)
    return path


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env["PYTHONPATH"] = str(REPO)
    return env


def _json_line(log: Path, prefix: str) -> dict[str, Any]:
    lines = [x for x in log.read_text().splitlines() if x.startswith(prefix)]
    if not lines:
        raise RuntimeError(f"no {prefix} in {log}")
    return dict(json.loads(lines[-1].removeprefix(prefix)))


def raw_run(db: Path, sql_dir: Path, log: Path, *, loop_only: bool) -> tuple[float, dict[str, Any]]:
    cmd = [str(PYTHON), "-m", "bench.raw", "--db", str(db), "--sql-dir", str(sql_dir)]
    run = run_measured([*cmd, "--loop-only"] if loop_only else cmd, _env(), log)
    if run.returncode:
        raise RuntimeError(f"raw run failed; see {log}")
    return run.wall, _json_line(log, "RAW_RESULT ")


def baseline_run(db: Path, sql_dir: Path, log: Path) -> tuple[float, dict[str, Any]]:
    cmd = [str(PYTHON), "-m", "bench.script_baseline", "--db", str(db), "--sql-dir", str(sql_dir)]
    run = run_measured(cmd, _env(), log)
    if run.returncode:
        raise RuntimeError(f"baseline run failed; see {log}")
    return run.wall, _json_line(log, "BASELINE_RESULT ")


def loadavg() -> float:
    return os.getloadavg()[0]


def bench_loop(args: argparse.Namespace) -> None:
    dirs = sql_dirs(args.work)
    cases = {f"demo {args.people:,} people": source_db(args.work, args.people)}
    if args.chains:
        cases[f"long chains ({args.chains} of 1,000-3,000)"] = long_chain_db(args.work, args.chains)
    rows, data = [], {}
    for case, src in cases.items():
        runs: dict[str, list[dict[str, Any]]] = {"incremental": [], "full": []}
        for r in range(args.repeat):
            order = ["incremental", "full"] if r % 2 == 0 else ["full", "incremental"]
            for name in order:
                base = args.work / "speed" / "loop" / f"{case.split()[0]}_{name}_r{r}"
                _, result = raw_run(
                    fresh_copy(src, base / "db.duckdb"), dirs[name], base / "raw.log", loop_only=True
                )
                result["load"] = loadavg()
                runs[name].append(result)
                print(
                    f"{case} r={r} {name}: loop {result['loop_seconds']:.2f}s, {len(result['iterations'])} it"
                )
        inc = median(x["loop_seconds"] for x in runs["incremental"])
        full = median(x["loop_seconds"] for x in runs["full"])
        inc_cpu = median(x["loop_cpu_seconds"] for x in runs["incremental"])
        full_cpu = median(x["loop_cpu_seconds"] for x in runs["full"])
        cpu_ratio = median(
            a["loop_cpu_seconds"] / b["loop_cpu_seconds"]
            for a, b in zip(runs["incremental"], runs["full"], strict=True)
        )
        ratio = median(
            a["loop_seconds"] / b["loop_seconds"]
            for a, b in zip(runs["incremental"], runs["full"], strict=True)
        )
        verdict = "✅" if ratio <= 0.5 else "❌"
        rows.append(
            [
                case,
                f"{count_records(src):,}",
                len(runs["full"][0]["iterations"]),
                len(runs["incremental"][0]["iterations"]),
                full,
                inc,
                f"{ratio:.2f} {verdict}",
                full_cpu,
                inc_cpu,
                f"{cpu_ratio:.2f} {'✅' if cpu_ratio <= 0.5 else '❌'}",
                " / ".join(f"{x['load']:.1f}" for x in runs["incremental"]),
            ]
        )
        data[case] = runs
    body = (
        "Target: incremental loop ≤ 0.5x the full-rewrite loop (engine seconds of the loop: iteration "
        "statements + convergence counts), identical output (tests/generate/test_incremental.py). "
        "Runs interleaved ABAB; `ratio` = median of the per-repeat ratios of wall seconds, `CPU ratio` the "
        "same for the process CPU seconds of the loop (all DuckDB threads; far less sensitive to other "
        "load on the machine than wall time).\n\n"
        + table(
            [
                "case",
                "records",
                "full iterations",
                "incremental iterations",
                "full loop s",
                "incremental loop s",
                "ratio",
                "full loop CPU s",
                "incremental loop CPU s",
                "CPU ratio",
                "load (1 min) per repeat",
            ],
            rows,
        )
    )
    write_results(
        args.out,
        "speed_loop",
        "6. Incremental loop vs today's loop (issue 15)",
        body,
        {"runs": data},
        command=command_line("bench.speed", sys.argv[1:]),
    )


def bench_e2e(args: argparse.Namespace) -> None:
    dirs = sql_dirs(args.work)
    rows, data = [], {}
    for people in [int(s) for s in args.sizes.split(",")]:
        src = source_db(args.work, people)
        runs: dict[str, list[float]] = {"script": [], "airflow": [], "raw": []}
        extra: dict[str, list[Any]] = {"script": [], "raw": [], "load": []}
        for r in range(args.repeat):
            order = ["script", "airflow", "raw"] if r % 2 == 0 else ["raw", "airflow", "script"]
            for name in order:
                base = args.work / "speed" / "e2e" / f"p{people}_r{r}"
                db = fresh_copy(src, base / f"{name}.duckdb")
                if name == "script":
                    wall, result = baseline_run(db, dirs["full"], base / "script.log")
                    extra["script"].append(result)
                elif name == "raw":
                    wall, result = raw_run(db, EXAMPLE / "sql", base / "raw.log", loop_only=False)
                    extra["raw"].append(result)
                else:
                    wall = dags_test("idu_example", work=args.work, db=db, log=base / "dags_test.log").wall
                runs[name].append(wall)
                print(f"people={people} r={r} {name}: {wall:.2f}s")
            extra["load"].append(loadavg())
        script, airflow, raw = (median(runs[k]) for k in ("script", "airflow", "raw"))
        speedup = median(s / a for s, a in zip(runs["script"], runs["airflow"], strict=True))
        target = 1.5 if people >= 100_000 else 1.0
        rows.append(
            [
                f"{count_records(src):,}",
                people,
                script,
                airflow,
                f"{speedup:.2f} {'✅' if speedup >= target else '❌'} (≥ {target})",
                raw,
                f"{airflow - raw:.2f} {'✅' if airflow - raw <= 4 else '❌'}",
                " / ".join(f"{x:.1f}" for x in extra["load"]),
            ]
        )
        data[str(people)] = {"walls": runs, **extra}
    body = (
        "Wall seconds, medians of interleaved runs. `script` = bench.script_baseline on the full-rewrite "
        "directory (what users had: the old generator's SQL, USE/OPTIMIZE per iteration, 2 s sleeps); "
        "`airflow` = `airflow dags test idu_example` on the example directory (incremental loop); "
        "`raw` = bench.raw on the example directory (engine only). Targets: script/airflow ≥ 1.5 at 1.2M "
        "records and ≥ 1 at 120k; airflow - raw ≤ 4 s at 1.2M.\n\n"
        + table(
            [
                "records",
                "people",
                "script s",
                "airflow s",
                "script/airflow",
                "raw s",
                "airflow - raw s",
                "load",
            ],
            rows,
        )
    )
    write_results(
        args.out,
        "speed_e2e",
        "7. End to end: our DAG vs the replaced script (issue 15)",
        body,
        {"runs": data},
        command=command_line("bench.speed", sys.argv[1:]),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("what", choices=["loop", "e2e"])
    parser.add_argument("--people", type=int, default=100_000, help="loop: demo size")
    parser.add_argument("--chains", type=int, default=300, help="loop: long chains (0 = skip the case)")
    parser.add_argument("--sizes", default="10000,100000", help="e2e: demo sizes (people)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    args = parser.parse_args(argv)
    bench_loop(args) if args.what == "loop" else bench_e2e(args)


if __name__ == "__main__":
    main()
