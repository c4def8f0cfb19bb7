"""Round trips to Databricks per unify-loop iteration, through the real connector.

The example DAG runs with ``dag.test()`` on a ``databricks`` connection pointed at the local
SQL warehouse (``airflow_idu.warehouse``, Thrift over loopback HTTP): real ``DatabricksSqlHook``,
real ``databricks-sql-connector``. The warehouse records every statement it receives; they are
classified here.

    .venv/bin/python -m bench.roundtrips --sizes 300 --repeat 1
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from bench.common import PYTHON, REPO, base_parser, command_line, parse_sizes, table, write_results
from bench.workspace import child_airflow_env

EXAMPLE_SQL = REPO / "examples" / "customer_unification" / "sql"
SEED_PER_ITERATION = {True: 6, False: 5}  # USE x2, CREATE, INSERT, check (+ OPTIMIZE)
TARGET_OPTIMIZE_OFF = 3
DAG_SOURCE = (
    "from airflow_idu import create_unification_dag\n"
    "dag = create_unification_dag('bench_roundtrips', {sql!r}, conn_id='idu_databricks', resume_loop={resume})\n"
)


def classify(statement: str) -> str:
    code = "\n".join(x for x in statement.splitlines() if not x.strip().startswith("--"))
    head = " ".join(code.split()).upper()
    if head.startswith("USE "):
        return "USE"
    if head.startswith("OPTIMIZE"):
        return "OPTIMIZE"
    if "_UNIFY_LOOP_LOG" in head.split(" SELECT ")[0] and head.startswith("INSERT"):
        return "loop-log INSERT"
    if head.startswith("SELECT COUNT(*) AS UPDATED_COUNT"):
        return "convergence check"
    if head.startswith("CREATE OR REPLACE TABLE") and "_GRAPH_UNIFY_LOOP_" in head[:200]:
        return "CREATE loop table"
    if head.startswith("INSERT INTO") and "_GRAPH_UNIFY_LOOP_" in head[:200]:
        return "INSERT loop table"
    return head.split(" ")[0] + " (other)"


def child(people: int, optimize: bool, resume: bool, work: Path, result_file: Path) -> None:
    """Runs in a fresh process whose AIRFLOW_* environment the parent set."""
    from airflow_idu.demo.data import create_demo_data
    from airflow_idu.plan import read_plan
    from airflow_idu.warehouse.core import Warehouse
    from airflow_idu.warehouse.faults import Auth
    from airflow_idu.warehouse.server import WarehouseServer

    database = work / f"warehouse_{people}_{int(optimize)}{int(resume)}.duckdb"
    database.unlink(missing_ok=True)
    create_demo_data(database, schema="customer_db", people=people, seed=5)
    warehouse = Warehouse(database)
    server = WarehouseServer(warehouse, auth=Auth(token="dapi-bench-local")).start()
    os.environ["AIRFLOW_CONN_IDU_DATABRICKS"] = json.dumps(server.connection())
    path = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"]) / "bench_roundtrips.py"
    spec = importlib.util.spec_from_file_location("bench_roundtrips_dag", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    import pendulum

    day = 1 + int(optimize) + 2 * int(resume)
    dr = module.dag.test(
        logical_date=pendulum.datetime(2026, 4, day, tz="UTC"), run_conf={"optimize": optimize}
    )
    plan = read_plan(EXAMPLE_SQL)
    statements = [h.sql for h in warehouse.history]
    positions = []
    k = 1
    while plan.loop.convergence_sql(k) in statements:
        positions.append(statements.index(plan.loop.convergence_sql(k)))
        k += 1
    iterations = len(positions)
    # Iterations 2..K: everything from after check K-1 up to and including check K (a steady state).
    window = statements[positions[0] + 1 : positions[-1] + 1] if iterations > 1 else []
    kinds = Counter(classify(s) for s in window)
    after_last = statements[positions[-1] + 1 :]
    tail: list[str] = []
    for s in after_last:  # the last iteration's own statements after its check (loop-log INSERT)
        if classify(s) != "loop-log INSERT":
            break
        tail.append(s)
    result = {
        "state": str(getattr(dr.state, "value", dr.state)),
        "people": people,
        "optimize": optimize,
        "resume_loop": resume,
        "iterations": iterations,
        "per_iteration": (len(window) / (iterations - 1)) if iterations > 1 else None,
        "per_iteration_kinds": {k: v / max(1, iterations - 1) for k, v in kinds.items()},
        "total_statements": len(statements),
        "connects": len(warehouse.sessions_opened),
        "loop_log_after_last_check": len(tail),
    }
    result_file.write_text(json.dumps(result))
    server.stop()
    warehouse.close()


def run_one(work: Path, people: int, optimize: bool, resume: bool) -> dict[str, Any]:
    base = work / "roundtrips"
    dags = base / "dags"
    dags.mkdir(parents=True, exist_ok=True)
    (dags / "bench_roundtrips.py").write_text(DAG_SOURCE.format(sql=str(EXAMPLE_SQL), resume=resume))
    env = child_airflow_env(work, dags)
    tag = f"{people}_{int(optimize)}{int(resume)}"
    result_file = base / f"result_{tag}.json"
    result_file.unlink(missing_ok=True)
    log = base / f"child_{tag}.log"
    cmd = [
        str(PYTHON),
        "-m",
        "bench.roundtrips",
        "--child",
        str(people),
        str(int(optimize)),
        str(int(resume)),
        str(base),
    ]
    with log.open("w") as out:
        rc = subprocess.run(
            cmd, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, check=False
        ).returncode
    if rc != 0 or not result_file.exists():
        raise RuntimeError(f"round-trip run failed (rc={rc}); see {log}")
    result: dict[str, Any] = json.loads(result_file.read_text())
    if result["state"] != "success":
        raise RuntimeError(f"round-trip DAG run ended {result['state']}; see {log}")
    return result


def main(argv: list[str] | None = None) -> None:
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--child":
        _, people, optimize, resume, base = sys.argv[1:6]
        base_path = Path(base)
        result_file = base_path / f"result_{people}_{optimize}{resume}.json"
        child(int(people), bool(int(optimize)), bool(int(resume)), base_path, result_file)
        return
    parser = base_parser(__doc__ or "", sizes="300", repeat=1)
    parser.add_argument("--optimize", default="off,on", help="optimize modes to run (default: %(default)s)")
    parser.add_argument(
        "--resume-loop", default="on,off", help="resume_loop modes to run (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    modes = [
        (m.strip() == "on", r.strip() == "on")
        for m in args.optimize.split(",")
        for r in args.resume_loop.split(",")
    ]
    rows, results = [], []
    for people in parse_sizes(args.sizes):
        for optimize, resume in modes:
            r = run_one(args.work, people, optimize, resume)
            results.append(r)
            kinds = ", ".join(f"{k} {v:g}" for k, v in sorted(r["per_iteration_kinds"].items()))
            target = "" if optimize else (" ✅" if r["per_iteration"] <= TARGET_OPTIMIZE_OFF else " ❌")
            rows.append(
                [
                    people,
                    "on" if optimize else "off",
                    "on" if resume else "off",
                    r["iterations"],
                    f"{r['per_iteration']:g}{target}",
                    SEED_PER_ITERATION[optimize],
                    kinds,
                    r["total_statements"],
                    r["connects"],
                ]
            )
            print(rows[-1])
    body = "\n\n".join(
        [
            f"Target: ≤ {TARGET_OPTIMIZE_OFF} statements per iteration with optimize off. Counted, not timed "
            "(deterministic): statements from after iteration 1's convergence check through the last check, "
            "divided by iterations - 1. Seed script: USEx2, CREATE, INSERT, check (+ OPTIMIZE). "
            "`resume_loop` on (the default) adds the loop-log row a retried loop resumes from.",
            table(
                [
                    "people",
                    "optimize",
                    "resume_loop",
                    "iterations",
                    "per iteration",
                    "seed",
                    "kinds per iteration",
                    "statements in run",
                    "sessions opened",
                ],
                rows,
            ),
        ]
    )
    print(
        write_results(
            args.out,
            "roundtrips",
            "5. Round trips per loop iteration (Databricks)",
            body,
            {"results": results, "target_optimize_off": TARGET_OPTIMIZE_OFF},
            command=command_line("bench.roundtrips", argv),
        )
    )


if __name__ == "__main__":
    main()
