"""Issue 24: the replaced script vs our DAG on the local SQL warehouse, through the real connector,
at a fixed latency per statement; where our DAG's time goes, per task and per statement kind.

Data and directories as in ``bench.published_style`` (same ``unify.yml``, ~4.4 source rows per
cluster): ``published`` is the published generator's style of directory, ``ours`` and
``ours-incremental`` come from ``airflow-idu generate --loop full|incremental``. Each run copies
the source database, starts the warehouse with ``--statement-latency-ms`` in a fresh process
(``bench.warehouse_run``) and runs one client:

``script/published``  the script's real sequence (``bench.script_warehouse``: USE before every file
                      and iteration, 6 statements per iteration, OPTIMIZE, the pause between
                      iterations, reported separately);
``dag/<directory>``   our DAG under ``dag.test()`` on a ``databricks`` connection;
``floor/published``   Airflow's floor: a DAG of as many no-op Python tasks under ``dag.test()``
                      (sends nothing; it runs beside the others so its figure has the same load).

Runs are interleaved (latency, repeat, variant) and every figure is a median of ``--repeat``.

    .venv/bin/python -m bench.warehouse_e2e --clusters 27000 --latencies 0,100,500 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.common import DEFAULT_OUT, DEFAULT_WORK, PYTHON, REPO, command_line, median, table, write_results
from bench.published_style import SCHEMA, create_data, directories, generate_ours
from bench.workspace import child_airflow_env
from tests.scheduler.stack import SCHEDULER_IDLE_SLEEP

VARIANTS = ("script/published", "dag/published", "dag/ours", "dag/ours-incremental", "floor/published")
# Under a real scheduler (LocalExecutor): our DAG and Airflow's floor there (bench.warehouse_scheduled)
SCHEDULED = ("sched/published", "sched/ours-incremental", "schedfloor/published", "schedprovider/published")
# whose tasks a run's tasks are compared with: no-op tasks (Airflow's floor), and under the scheduler also
# the Databricks provider's SELECT 1 tasks (the floor of any Databricks SQL task)
FLOORS = {"dag/": ("floor/",), "sched/": ("schedfloor/", "schedprovider/")}


def prepare(work: Path, clusters: int, seed: int) -> tuple[Path, dict[str, Path], int]:
    source = work / "source.duckdb"
    source.unlink(missing_ok=True)
    rows = sum(create_data(source, clusters, seed).values())
    dirs = directories(work, source, "full")
    incremental = generate_ours(work / "sql_ours_incremental", "incremental")
    return (
        source,
        {"published": dirs["published"], "ours": dirs["ours"], "ours-incremental": incremental},
        rows,
    )


def child_env(work: Path) -> dict[str, str]:
    dags = work / "dags"
    dags.mkdir(parents=True, exist_ok=True)
    return child_airflow_env(work, dags)


def canonical_ids(db: Path) -> int:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute(
            f"SELECT count(DISTINCT canonical_id) FROM {SCHEMA}.unified_customer_id_lookup"
        ).fetchone()
    return int(row[0]) if row else 0


def run_one(
    work: Path, source: Path, variant: str, sql_dir: Path, statement_ms: float, args: Any
) -> dict[str, Any]:
    client, directory = variant.split("/")
    tag = f"{client}_{directory}_{int(statement_ms)}".replace("-", "_")
    db = work / f"run_{tag}.duckdb"
    shutil.copyfile(source, db)
    spec = {
        "client": client, "sql_dir": str(sql_dir), "db": str(db), "statement_ms": statement_ms,
        "fetch_ms": args.fetch_ms, "sleep": args.sleep, "dag_id": f"idu_wh_{tag}", "result": str(work / f"{tag}.json"),
        "preload": args.preload == "on", "idle_sleep": args.scheduler_idle_sleep,
        "ca_directory": args.ca == "directory",
    }  # fmt: skip
    spec_file = work / f"{tag}.spec.json"
    spec_file.write_text(json.dumps(spec))
    log = work / f"{tag}.log"
    t0 = time.perf_counter()
    with log.open("w") as out:
        rc = subprocess.run(
            [str(PYTHON), "-m", "bench.warehouse_run", str(spec_file)],
            env=child_env(work), cwd=REPO, stdout=out, stderr=subprocess.STDOUT, check=False,
        ).returncode  # fmt: skip
    process = time.perf_counter() - t0
    if rc != 0:
        raise RuntimeError(f"{variant} at {statement_ms} ms failed (rc={rc}); see {log}")
    result: dict[str, Any] = json.loads(Path(spec["result"]).read_text())
    if result["state"] != "success":
        raise RuntimeError(f"{variant} at {statement_ms} ms ended {result['state']}; see {log}")
    result.update(
        variant=variant, statement_ms=statement_ms, process_seconds=process, load=os.getloadavg()[0],
        canonical_ids=canonical_ids(db) if client in ("script", "dag", "sched") else None,
    )  # fmt: skip
    db.unlink()
    print(json.dumps({k: v for k, v in result.items() if k not in ("tasks", "by_kind")}), flush=True)
    return result


def per_run_key(variant: str) -> str:
    """What one run costs: the whole process for the script and ``dag.test()`` (each run starts one);
    from queued to end under a scheduler, which is already running when a run is triggered."""
    return "wall_seconds" if variant.startswith("sched") else "process_seconds"


def summary(runs: list[dict[str, Any]], latencies: list[float], variants: list[str]) -> str:
    rows = []
    for ms in latencies:
        base = [r for r in runs if r["statement_ms"] == ms and r["variant"] == "script/published"]
        base_wall = median(r["process_seconds"] for r in base)
        for v in variants:
            these = [r for r in runs if r["statement_ms"] == ms and r["variant"] == v]
            wall = median(r["process_seconds"] for r in these)
            per_run = median(r[per_run_key(v)] for r in these)
            rows.append([
                f"{ms:g}", v, len(these), wall, median(r["wall_seconds"] for r in these),
                median(r["statement_seconds"] for r in these), median(r.get("sleep_seconds", 0.0) for r in these),
                int(median(r["statements"] for r in these)), int(median(r["sessions"] for r in these)),
                f"{base_wall / per_run:.2f}x" if base else "n/a", median(r["load"] for r in these),
                sorted({r["canonical_ids"] for r in these}),
            ])  # fmt: skip
    return table(
        ["ms/statement", "run", "runs", "process wall (s)", "client wall (s)", "in warehouse (s)", "sleeps (s)",
         "statements", "sessions", "script / this", "load (1 min)", "canonical ids"],
        rows,
    )  # fmt: skip


def breakdown(runs: list[dict[str, Any]], ms: float, variant: str) -> str:
    these = sorted(
        (r for r in runs if r["statement_ms"] == ms and r["variant"] == variant),
        key=lambda r: r["wall_seconds"],
    )
    if not these:
        return ""
    run = these[len(these) // 2]  # the median run
    rows = [
        [t["task"], t["seconds"], t["statements"], t["statement_seconds"], t["seconds"] - t["statement_seconds"],
         t["sessions"], ", ".join(f"{k} {v:.2f}" for k, v in sorted(t["kinds"].items()))]
        for t in sorted(run["tasks"], key=lambda t: t["start"])
    ]  # fmt: skip
    kinds = table(
        ["statement kind", "count", "seconds in warehouse"],
        [[k, int(c), s] for k, (c, s) in sorted(run["by_kind"].items(), key=lambda kv: -kv[1][1])],
    )
    tasks = table(
        [
            "task",
            "seconds",
            "statements",
            "in warehouse (s)",
            "outside (s)",
            "sessions",
            "warehouse s by kind",
        ],
        rows,
    )
    return f"`{variant}` at {ms:g} ms (the median of its runs, {run['wall_seconds']:.1f} s):\n\n{tasks}\n\n{kinds}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clusters", type=int, default=27_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--latencies", default="0,100,500", help="statement latencies in ms")
    parser.add_argument("--fetch-ms", type=float, default=0.0, help="latency per separately fetched page")
    parser.add_argument("--sleep", type=float, default=2.0, help="the script's pause between iterations")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--variants",
        default=",".join(VARIANTS),
        help=f"comma-separated runs; under a real scheduler also {','.join(SCHEDULED)}",
    )
    parser.add_argument(
        "--preload",
        choices=("on", "off"),
        default="on",
        help="sched runs: warm task processes (airflow_idu.preload, as docker-compose.yaml deploys) or cold",
    )
    parser.add_argument(
        "--ca",
        choices=("directory", "bundle"),
        default="directory",
        help="sched runs: TLS contexts find CAs in the hashed CA directory (no bundle file, as "
        "docker-compose.yaml deploys) or parse the system's CA bundle file on every connect",
    )
    parser.add_argument(
        "--scheduler-idle-sleep",
        default=SCHEDULER_IDLE_SLEEP,
        help="sched runs: [scheduler] scheduler_idle_sleep_time in seconds (docker-compose.yaml's by "
        "default; Airflow's own default is 1)",
    )
    parser.add_argument("--section", default="", help="suffix of the docs block (runs written separately)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK / "warehouse_e2e")
    parser.add_argument("--from-json", type=Path, help="re-render the docs block of an earlier run's JSON")
    args = parser.parse_args(argv)
    if args.from_json:
        data = json.loads(args.from_json.read_text())
        write(args, data["runs"], data["rows"], data["clusters"], data["command"])
        return
    args.work.mkdir(parents=True, exist_ok=True)
    source, dirs, rows = prepare(args.work, args.clusters, args.seed)
    latencies = [float(x) for x in args.latencies.split(",")]
    runs = [
        run_one(args.work, source, v, dirs[v.split("/")[1]], ms, args)
        for ms in latencies
        for _ in range(args.repeat)
        for v in args.variants.split(",")
    ]
    write(args, runs, rows, args.clusters, command_line("bench.warehouse_e2e", argv))


def own_share(runs: list[dict[str, Any]], latencies: list[float], variants: list[str]) -> str:
    """Per task, the time outside the warehouse above a no-op task's (the first task excluded: under
    ``dag.test()`` it carries the in-process execution API's start-up, ours and the floor's alike).
    The floors are chains; our DAG runs some phases' tasks side by side on the same cores, so the
    median over the tasks that overlapped no other task is given too."""

    def task_medians(ms: float, prefix: str, outside: bool, alone: bool = False) -> float | None:
        seconds = [t["seconds"] - (t["statement_seconds"] if outside else 0.0)
                   for r in runs if r["statement_ms"] == ms and r["variant"].startswith(prefix)
                   for t in sorted(r["tasks"], key=lambda t: t["start"])[1:]
                   if not alone or not _overlaps(t, r["tasks"])]  # fmt: skip
        return median(seconds) if seconds else None

    rows = []
    for ms, (ours, floors) in ((ms, pair) for ms in latencies for pair in FLOORS.items()):
        noop = task_medians(ms, floors[0], outside=False)
        provider = task_medians(ms, floors[1], outside=True) if len(floors) > 1 else None
        for v in (v for v in variants if v.startswith(ours)):
            outside = task_medians(ms, v, outside=True)
            alone = task_medians(ms, v, outside=True, alone=True)
            if noop is None or outside is None:
                continue
            above_provider = "n/a" if provider is None else outside - provider
            above_alone = "n/a" if alone is None else alone - noop
            rows.append(
                [f"{ms:g}", v, outside, noop, outside - noop, above_alone, provider or "n/a", above_provider]
            )
    return table(
        ["ms/statement", "run", "task outside the warehouse (s, median)", "no-op task (s)", "above no-op (s)",
         "above no-op, tasks that ran alone (s)", "provider's SELECT 1 task outside the warehouse (s)",
         "above the provider's (s)"],
        rows,
    )  # fmt: skip


def _overlaps(task: dict[str, Any], tasks: list[dict[str, Any]]) -> bool:
    """Whether another task of the run was running at some moment of ``task``'s."""
    return any(o is not task and o["start"] < task["end"] and o["end"] > task["start"] for o in tasks)


def write(args: Any, runs: list[dict[str, Any]], rows: int, clusters: int, command: str) -> None:
    latencies = list(dict.fromkeys(r["statement_ms"] for r in runs))
    variants = list(dict.fromkeys(r["variant"] for r in runs))
    parts = [
        f"Source rows: {rows:,} ({clusters:,} clusters). Fetch latency {args.fetch_ms:g} ms; the script pauses "
        f"{args.sleep:g} s between iterations (column `sleeps`). Medians of each row's interleaved runs (column `runs`) on a shared, "
        "loaded machine (load: 1-minute load average after each run). `process wall` includes the Python start-up "
        "and imports of the run's process (for `sched/` runs also the stack's start-up); `client wall` is the script's "
        "run, `dag.test()` alone, or for `sched/` runs (a real scheduler, LocalExecutor) the run from queued to end. "
        "`script / this` compares one run's cost: the script's process wall against the process wall of a "
        "`dag.test()` run, or against the client wall of a run under the already running scheduler.",
        summary(runs, latencies, variants),
    ]
    if any(v.startswith(tuple(f[0] for f in FLOORS.values())) for v in variants):
        parts += [
            "Our share of a task: time a task spends outside the warehouse, above a no-op task of the floor DAG "
            "run beside it, and (under the scheduler) above a task of the Databricks provider's own "
            "`DatabricksSqlOperator` sending `SELECT 1` (its hook, the connector and a session: what any "
            "Databricks SQL task costs); medians over tasks and repeats, each run's first task excluded:",
            own_share(runs, latencies, variants),
        ]
    picks = [(ms, v) for ms in latencies for v in ("dag/published", "sched/published")]
    picks += [(latencies[-1], v) for v in ("dag/ours-incremental", "sched/ours-incremental")]
    parts += [b for ms, v in picks if v in variants for b in [breakdown(runs, ms, v)] if b]
    body = "\n\n".join(parts)
    write_results(
        args.out, "warehouse_e2e" + args.section,
        f"13{args.section}. The script and our DAG on the local SQL warehouse (issue 24)", body,
        {"clusters": clusters, "rows": rows, "runs": runs}, command=command,
    )  # fmt: skip
    print(body)


if __name__ == "__main__":
    main()
