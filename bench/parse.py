"""DAG parse time: DagBag import of a factory DAG over synthetic SQL directories.

Each measurement is a fresh subprocess that imports ``DagBag`` first (framework cost,
not the DAG file's) and then times ``DagBag(<dag file>)``. The baseline is the same
measurement of a file that only builds an empty ``airflow.sdk.DAG`` (the bare
``import airflow.sdk`` + DagBag cost); the net time is factory - baseline.

Airflow's DAG processor calls ``gc.freeze()`` before it forks the processes that parse DAG
files (``airflow/dag_processing/manager.py``, ``before_run``), so a parse never scans the
framework's objects in a full garbage collection. The headline measurement does the same
after the imports; the one without the freeze is reported beside it, because a full collection
of the unfrozen heap (about 200,000 objects, about 120 ms here) lands inside the parse or not
depending on allocation counts, not on the DAG file's own work.

    .venv/bin/python -m bench.parse --sizes 20,200,2000 --repeat 5
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from bench.common import (
    PYTHON,
    REPO,
    base_parser,
    command_line,
    compile_package,
    median,
    parse_sizes,
    table,
    write_results,
)

EXAMPLE_SQL = REPO / "examples" / "customer_unification" / "sql"
TARGET_MS_AT_200 = 50.0
# Everything of the example before the parallel phases (setup, loop, canonicalize, stats).
FIXED = tuple(sorted(p.name for p in EXAMPLE_SQL.glob("0*.sql")))

_MEASURE = """
import gc, json, sys, time
t0 = time.perf_counter()
import airflow.sdk
t_sdk = time.perf_counter() - t0
from airflow.dag_processing.dagbag import DagBag
if sys.argv[2] == "freeze":
    gc.freeze()  # as the DAG processor does before forking a parser
t1 = time.perf_counter()
bag = DagBag(dag_folder=sys.argv[1])
t_bag = time.perf_counter() - t1
assert not bag.import_errors, bag.import_errors
tasks = sum(len(d.tasks) for d in bag.dags.values())
print("PARSE_RESULT " + json.dumps({"sdk_import": t_sdk, "dagbag": t_bag, "dags": len(bag.dags), "tasks": tasks}))
"""


def make_sql_dir(root: Path, n_files: int) -> Path:
    """A contract-conformant directory of ``n_files`` files: the fixed ones, then enrichment files."""
    root.mkdir(parents=True, exist_ok=True)
    for old in root.glob("*.sql"):
        old.unlink()
    for name in FIXED:
        (root / name).write_text((EXAMPLE_SQL / name).read_text())
    enrich = (EXAMPLE_SQL / "10_enrich_orders.sql").read_text()
    for i in range(max(0, n_files - len(FIXED))):
        (root / f"10_enrich_t{i:04d}.sql").write_text(enrich.replace("enriched_orders", f"enriched_t{i:04d}"))
    return root


def dag_file(folder: Path, name: str, source: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.py"
    path.write_text(source)
    return path


def measure_once(path: Path, home: Path, *, freeze: bool = True) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(AIRFLOW_HOME=str(home), AIRFLOW__CORE__LOAD_EXAMPLES="False", PYTHONPATH=str(REPO))
    out = subprocess.run(
        [str(PYTHON), "-c", _MEASURE, str(path), "freeze" if freeze else "no-freeze"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    lines = [x for x in out.stdout.splitlines() if x.startswith("PARSE_RESULT ")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"parse measurement of {path} failed:\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}")
    return dict(json.loads(lines[-1].removeprefix("PARSE_RESULT ")))


def run(work: Path, sizes: list[int], repeat: int) -> tuple[list[list[Any]], dict[str, Any]]:
    compile_package()
    base = work / "parse"
    home = base / "airflow_home"
    home.mkdir(parents=True, exist_ok=True)
    empty = dag_file(
        base / "dags_empty", "empty", 'from airflow.sdk import DAG\ndag = DAG("bench_empty", schedule=None)\n'
    )
    baseline = [measure_once(empty, home) for _ in range(repeat)]
    baseline_unfrozen = [measure_once(empty, home, freeze=False) for _ in range(repeat)]
    base_ms = median(b["dagbag"] for b in baseline) * 1000
    base_unfrozen_ms = median(b["dagbag"] for b in baseline_unfrozen) * 1000
    rows: list[list[Any]] = []
    data: dict[str, Any] = {"baseline": baseline, "baseline_unfrozen": baseline_unfrozen, "sizes": {}}
    data["sizes_unfrozen"] = {}
    for n in sizes:
        sql_dir = make_sql_dir(base / f"sql_{n}", n)
        source = (
            "from airflow_idu import create_unification_dag\n"
            f"dag = create_unification_dag('bench_parse_{n}', {str(sql_dir)!r})\n"
        )
        path = dag_file(base / f"dags_{n}", f"factory_{n}", source)
        samples, unfrozen = [], []
        for _ in range(repeat):  # interleaved, so load on the machine hits both alike
            samples.append(measure_once(path, home))
            unfrozen.append(measure_once(path, home, freeze=False))
        bag_ms = median(s["dagbag"] for s in samples) * 1000
        net = bag_ms - base_ms
        net_unfrozen = median(s["dagbag"] for s in unfrozen) * 1000 - base_unfrozen_ms
        verdict = (" ✅" if net < TARGET_MS_AT_200 else " ❌") if n == 200 else ""
        best = min(s["dagbag"] for s in samples) * 1000 - min(b["dagbag"] for b in baseline) * 1000
        rows.append(
            [
                n,
                samples[0]["tasks"],
                len(samples),
                bag_ms,
                base_ms,
                f"{net:.1f}{verdict}",
                best,
                net / n,
                net_unfrozen,
            ]
        )
        data["sizes"][n] = samples
        data["sizes_unfrozen"][n] = unfrozen
        print(f"{n} files: dagbag {bag_ms:.1f} ms, net {net:.1f} ms (no freeze: {net_unfrozen:.1f} ms)")
    data["sdk_import_cold_ms"] = median(b["sdk_import"] for b in baseline) * 1000
    return rows, data


def main(argv: list[str] | None = None) -> None:
    args = base_parser(__doc__ or "", sizes="20,200,2000", repeat=5).parse_args(argv)
    rows, data = run(args.work, parse_sizes(args.sizes), args.repeat)
    body = "\n\n".join(
        [
            f"Target: < {TARGET_MS_AT_200:.0f} ms net at 200 files. Milliseconds, median of fresh "
            f"subprocesses, with the framework's objects frozen (`gc.freeze()`) before the timer, as "
            f"Airflow's DAG processor does before it forks a parser; `net ms, no freeze` is the same "
            f"without it. Cold `import airflow.sdk` in a fresh process: "
            f"{data['sdk_import_cold_ms']:.0f} ms (excluded: paid before the timer, as by the DAG processor).",
            table(
                [
                    "files",
                    "tasks",
                    "runs",
                    "DagBag ms",
                    "baseline ms",
                    "net ms",
                    "net min ms",
                    "net ms/file",
                    "net ms, no freeze",
                ],
                rows,
            ),
        ]
    )
    print(
        write_results(
            args.out,
            "parse",
            "4. DAG parse time",
            body,
            {**data, "target_ms_at_200": 50},
            command=command_line("bench.parse", argv),
        )
    )


if __name__ == "__main__":
    main()
