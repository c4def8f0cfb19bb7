"""The incremental loop against the full-rewrite loop, and our DAG against the replaced script.

Three measurements, each interleaved (ABAB: the variants alternate inside every repeat, the
order flipping between repeats) so that load from other work on the machine hits both alike:

``loop``  engine time of the unify loop (``bench.raw --loop-only``, loop seconds) for the
          incremental directory (the generator's default) vs the full-rewrite directory
          (``LoopAlgorithm.FULL``, ``--loop full``), on the demo data and on a long-chain data set.
``e2e``   wall time of the script baseline (``bench.script_baseline``) on the SQL users had
          (``bench/baseline_sql``, frozen) vs ``airflow dags test idu_example`` on the incremental
          directory, plus the same DAG on the full-rewrite directory, the raw engine,
          and Airflow's own floor (DAGs of no-op tasks, ``bench/floor_dags``).
``memory`` peak RSS of the whole DAG run, full-rewrite vs incremental directory.

    .venv/bin/python -m bench.speed loop --people 100000 --chains 300 --repeat 3
    .venv/bin/python -m bench.speed e2e --sizes 10000,100000 --repeat 3
    .venv/bin/python -m bench.speed memory --people 1000000 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from bench.common import DEFAULT_OUT, DEFAULT_WORK, PYTHON, REPO, command_line, median, table, write_results
from bench.script_baseline import BASELINE_SQL
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
        "8. Incremental loop vs the full-rewrite loop",
        body,
        {"runs": data},
        command=command_line("bench.speed", sys.argv[1:]),
    )


FLOOR_DAGS = REPO / "bench" / "floor_dags"
E2E_VARIANTS = ("script", "airflow", "raw", "airflow_full", "floor_1", "floor_16")


def _e2e_variant(name: str, db: Path, base: Path, dirs: dict[str, Path], work: Path) -> tuple[float, Any]:
    """One timed run: wall seconds and the variant's own result record (if it prints one)."""
    if name == "script":
        return baseline_run(db, BASELINE_SQL, base / "script.log")
    if name == "raw":
        return raw_run(db, dirs["incremental"], base / "raw.log", loop_only=False)
    if name.startswith("floor_"):
        return dags_test(
            f"idu_{name}", work=work, db=db, log=base / f"{name}.log", dags_folder=FLOOR_DAGS
        ).wall, None
    sql_dir = dirs["incremental"] if name == "airflow" else dirs["full"]
    env = {"IDU_EXAMPLE_SQL_DIR": str(sql_dir)}
    return dags_test("idu_example", work=work, db=db, log=base / f"{name}.log", env=env).wall, None


def bench_e2e(args: argparse.Namespace) -> None:
    dirs = sql_dirs(args.work)
    rows, data = [], {}
    for people in [int(s) for s in args.sizes.split(",")]:
        src = source_db(args.work, people)
        runs: dict[str, list[float]] = {name: [] for name in E2E_VARIANTS}
        extra: dict[str, list[Any]] = {"script": [], "raw": [], "load": []}
        for r in range(args.repeat):
            order = E2E_VARIANTS if r % 2 == 0 else tuple(reversed(E2E_VARIANTS))
            for name in order:
                base = args.work / "speed" / "e2e" / f"p{people}_r{r}"
                wall, result = _e2e_variant(
                    name, fresh_copy(src, base / f"{name}.duckdb"), base, dirs, args.work
                )
                if name in extra:
                    extra[name].append(result)
                runs[name].append(wall)
                print(f"people={people} r={r} {name}: {wall:.2f}s")
            extra["load"].append(loadavg())
        med = {k: median(v) for k, v in runs.items()}
        speedup = median(s / a for s, a in zip(runs["script"], runs["airflow"], strict=True))
        target = 1.5 if people >= 100_000 else 1.0
        rows.append(
            [
                f"{count_records(src):,}",
                people,
                med["script"],
                med["airflow"],
                f"{speedup:.2f} {'✅' if speedup >= target else '❌'} (≥ {target})",
                med["airflow_full"],
                med["raw"],
                f"{med['airflow'] - med['raw']:.2f} {'✅' if med['airflow'] - med['raw'] <= 4 else '❌'}",
                med["floor_1"],
                med["floor_16"],
                " / ".join(f"{x:.1f}" for x in extra["load"]),
            ]
        )
        data[str(people)] = {"walls": runs, **extra}
    body = (
        "Wall seconds, medians of interleaved runs (the variants alternate inside every repeat, the "
        "order reversing between repeats). `script` = bench.script_baseline on the SQL users had "
        "(`bench/baseline_sql`: the example directory before the incremental loop, frozen; full-rewrite loop, "
        "USE/OPTIMIZE per iteration, 2 s sleeps); "
        "`airflow` = `airflow dags test idu_example` on the directory `airflow-idu generate` (its "
        "default, incremental loop) writes for the example unify.yml; `airflow (full loop)` = the same "
        "DAG on the directory `--loop full` writes (full-rewrite loop); `raw` = bench.raw on the incremental "
        "directory (engine only, no Airflow); `floor 1` / `floor 16` = `airflow dags test` of a DAG of "
        "1 / 16 no-op Python tasks (bench/floor_dags): what Airflow costs by itself. Targets: "
        "script/airflow ≥ 1.5 at 1.2M records and ≥ 1 at 120k; airflow - raw ≤ 4 s at 1.2M.\n\n"
        + table(
            [
                "records",
                "people",
                "script s",
                "airflow s",
                "script/airflow",
                "airflow (full loop) s",
                "raw s",
                "airflow - raw s",
                "floor 1 s",
                "floor 16 s",
                "load",
            ],
            rows,
        )
    )
    write_results(
        args.out,
        "speed_e2e",
        "9. End to end: our DAG vs the replaced script",
        body,
        {"runs": data},
        command=command_line("bench.speed", sys.argv[1:]),
    )


GIB = 2**30


def bench_memory(args: argparse.Namespace) -> None:
    """Peak memory of the whole DAG run, full-rewrite loop against the incremental loop, with the
    DuckDB limits of section 2 (``memory_limit``, ``threads``, spill directory)."""
    dirs = sql_dirs(args.work)
    src = source_db(args.work, args.people)
    runs: dict[str, list[dict[str, float]]] = {"full": [], "incremental": []}
    for r in range(args.repeat):
        order = ["full", "incremental"] if r % 2 == 0 else ["incremental", "full"]
        for name in order:
            base = args.work / "speed" / "memory" / f"p{args.people}_{name}_r{r}"
            run = dags_test(
                "idu_example",
                work=args.work,
                db=fresh_copy(src, base / "db.duckdb"),
                log=base / "dags_test.log",
                env={"IDU_EXAMPLE_SQL_DIR": str(dirs[name])},
                memory_limit=args.memory_limit,
                threads=2,
                temp_directory=str(base / "spill"),
            )
            runs[name].append({"wall": run.wall, "peak_tree_rss": run.peak_tree_rss, "load": loadavg()})
            print(f"{name} r={r}: wall {run.wall:.1f}s peak tree RSS {run.peak_tree_rss / GIB:.2f} GiB")
    peak = {k: median(x["peak_tree_rss"] for x in v) / GIB for k, v in runs.items()}
    wall = {k: median(x["wall"] for x in v) for k, v in runs.items()}
    verdict = "✅" if peak["incremental"] <= peak["full"] else "❌"
    rows = [
        [
            f"{count_records(src):,}",
            args.people,
            wall["full"],
            wall["incremental"],
            f"{peak['full']:.2f}",
            f"{peak['incremental']:.2f} {verdict}",
            " / ".join(f"{x['load']:.1f}" for x in runs["incremental"]),
        ]
    ]
    body = (
        "Target: peak memory of the run with the incremental loop not above today's (full-rewrite "
        f"loop) at 12M records. `airflow dags test idu_example` with `memory_limit={args.memory_limit}`, "
        "2 threads and a spill directory in the connection extra; peak = the largest sum of RSS over "
        "the process tree, sampled every 0.1 s; medians of interleaved runs.\n\n"
        + table(
            [
                "records",
                "people",
                "full loop wall s",
                "incremental wall s",
                "full loop peak GiB",
                "incremental peak GiB",
                "load",
            ],
            rows,
        )
    )
    write_results(
        args.out,
        "speed_memory",
        "10. Peak memory: incremental loop vs the full-rewrite loop at 12M",
        body,
        {"runs": runs},
        command=command_line("bench.speed", sys.argv[1:]),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("what", choices=["loop", "e2e", "memory"])
    parser.add_argument("--people", type=int, default=100_000, help="loop, memory: demo size")
    parser.add_argument("--memory-limit", default="3GB", help="memory: DuckDB memory_limit")
    parser.add_argument("--chains", type=int, default=300, help="loop: long chains (0 = skip the case)")
    parser.add_argument("--sizes", default="10000,100000", help="e2e: demo sizes (people)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    args = parser.parse_args(argv)
    {"loop": bench_loop, "e2e": bench_e2e, "memory": bench_memory}[args.what](args)


if __name__ == "__main__":
    main()
